"""``pantau run`` (the agent), ``pantau links`` (one live poll), ``pantau poll DEVICE``, ``pantau version``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import uvloop

from agent import __version__
from agent.cli.common import ConfigOption, StateOption, Table, err, out, wired
from agent.daemon import run_agent
from agent.errors import AgentError
from agent.lang import tr
from agent.logsetup import configure_logging
from agent.poller import Agent
from core.snapshot import Snapshot
from i18n import Msg

app = typer.Typer()
ListenOption = Annotated[str | None, typer.Option("--listen", help="HOST:PORT for /metrics")]


@app.command()
def version() -> None:
    """Print pantau's version."""
    out.print(f"pantau {__version__}")


@app.command()
def run(
    config_path: ConfigOption = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")] = None,
    state_dir: StateOption = None,
    listen: ListenOption = None,
) -> None:
    """Run the agent: poll every OPD link on schedule and serve Prometheus metrics."""
    deps = wired(config_path, inventory=inventory, state_dir=state_dir, listen=listen)
    configure_logging(fmt=deps.config.log_format)
    # libuv's event loop: at 3,000 devices its datagram transport cut the SNMP round by a sixth (benchmarks.fleet)
    uvloop.run(run_agent(deps))


@app.command()
def links(
    config_path: ConfigOption = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")] = None,
    window: Annotated[float, typer.Option(help="seconds between the two SNMP polls a rate needs")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """One live poll: state, in/out Mbit/s, utilization, RTT and loss of every OPD link."""
    agent = Agent(wired(config_path, inventory=inventory))

    async def once() -> None:
        agent.start()
        try:
            await asyncio.gather(agent.poll_snmp(), agent.probe_icmp())
            await asyncio.sleep(window)
            await agent.poll_snmp()
        finally:
            agent.close()

    with err.status(tr("measuring the links for {window:.0f} s ...", window=window)):
        asyncio.run(once())
    snap = agent.snapshot
    rows = _link_rows(snap)
    if as_json:
        sys.stdout.write(json.dumps({"links": rows, "devices": [d.__dict__ for d in snap.devices]}, indent=2) + "\n")
        return
    table = Table(title=tr("OPD links"))
    columns = (
        "OPD",
        "link",
        tr("state"),
        tr("in Mbit/s"),
        tr("out Mbit/s"),
        tr("util"),
        "RTT ms",
        tr("loss"),
    )
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < 3 else "right")
    colors = {"up": "green", "degraded": "yellow", "down": "red", "unknown": "dim"}

    def mbit(v: float | None) -> str:
        return "—" if v is None else f"{v / 1e6:.2f}"

    for row in rows:
        state = f"[{colors[row['state']]}]{row['state']}[/] {' '.join(row['reasons'])}"
        util = "—" if row["utilization"] is None else f"{row['utilization']:.0%}"
        rtt = "—" if row["rtt_avg_seconds"] is None else f"{row['rtt_avg_seconds'] * 1000:.2f}"
        loss = "—" if row["loss_ratio"] is None else f"{row['loss_ratio']:.0%}"
        table.add_row(
            row["opd"], row["link"], state, mbit(row["receive_bps"]), mbit(row["transmit_bps"]), util, rtt, loss
        )
    out.print(table)
    for device in snap.devices:
        if not device.up:
            err.print(f"[red]{device.name}[/red]: {device.error}")


@app.command()
def poll(
    device: Annotated[str, typer.Argument(help="device name from the inventory")],
    config_path: ConfigOption = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")] = None,
) -> None:
    """Poll one device over SNMP and print its raw samples as JSON."""
    deps = wired(config_path, inventory=inventory)
    cfg, inv = deps.config, deps.inventory
    dev = inv.device(device)
    if dev.snmp is None:
        raise AgentError(Msg("device '{device}' has no snmp profile in the inventory", device=device))

    profile = inv.snmp_profile(dev.snmp)

    async def once() -> dict[str, object]:
        collector = deps.probes.snmp(cfg.poll.snmp_timeout, cfg.poll.snmp_retries)
        try:
            return dataclasses.asdict(await collector.poll(dev, profile))
        finally:
            collector.close()

    sys.stdout.write(json.dumps(asyncio.run(once()), indent=2) + "\n")


def _link_rows(snap: Snapshot) -> list[dict[str, Any]]:
    """One row per OPD link of a snapshot: state, rates, utilization, the CPE probe's RTT and loss."""
    probes = {p.opd: p for p in snap.probes if p.kind == "cpe-wan"}
    rows: list[dict[str, Any]] = []
    for link in snap.links:
        probe = probes.get(link.opd)
        r = probe.result if probe else None
        rows.append(
            {
                "opd": link.opd,
                "link": link.name,
                "state": link.state.value,
                "reasons": list(link.reasons),
                "receive_bps": link.receive_bps,
                "transmit_bps": link.transmit_bps,
                "subscribed_bps": link.subscribed_bps,
                "utilization": link.peak_utilization(),
                "rtt_avg_seconds": r.rtt_avg if r else None,
                "loss_ratio": r.loss_ratio if r else None,
            }
        )
    return rows
