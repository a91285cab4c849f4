"""The ``pantau`` command line (Typer + Rich).

Commands import the heavy modules they need (pysnmp, APScheduler, the lab) inside themselves, so
``pantau inventory …`` starts without loading them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agent import __version__
from agent.config import Config, load_config
from agent.errors import AgentError
from collectors.errors import CollectorError
from inventory.errors import InventoryError, InventoryLoadError
from inventory.loader import load_inventory
from inventory.models import Inventory, InventoryFile
from lab.errors import LabError
from playbooks.errors import PlaybookError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="pantau: the data center's operations agent.")
inventory_app = typer.Typer(no_args_is_help=True, help="Validate and show the inventory.")
app.add_typer(inventory_app, name="inventory")


def _add_lab_commands() -> None:
    # The lab is a development tool, not product code: only its CLI is attached here.
    from lab.cli import app as lab_app  # noqa: PLC0415

    app.add_typer(lab_app, name="lab")


_add_lab_commands()


def _add_playbook_commands() -> None:
    from agent.cli.maintenance import register as register_maintenance  # noqa: PLC0415
    from agent.cli.playbooks import register  # noqa: PLC0415
    from agent.cli.triage import register as register_triage  # noqa: PLC0415

    register(app)
    register_maintenance(app)
    register_triage(app)


_add_playbook_commands()

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="pantau.yml (default: ./pantau.yml)")]
DirArgument = Annotated[Path | None, typer.Argument(help="inventory folder (default: from the configuration)")]


def _config(path: Path | None, **overrides: Any) -> Config:
    return load_config(path, overrides=overrides)


def _inventory(directory: Path | None, config: Path | None) -> Inventory:
    cfg = _config(config, inventory=directory)
    return load_inventory(cfg.inventory)


@app.command()
def version() -> None:
    """Print pantau's version."""
    out.print(f"pantau {__version__}")


@inventory_app.command("validate")
def inventory_validate(directory: DirArgument = None, config: ConfigOption = None) -> None:
    """Check the inventory; list every problem with file:line (exit 2) or print a summary (exit 0)."""
    inv = _inventory(directory, config)
    table = Table(title=f"{inv.agency.name} — zone {inv.agency.zone}", show_header=True)
    table.add_column("section")
    table.add_column("count", justify="right")
    for name in ("sites", "opds", "devices", "links", "prefixes", "zones"):
        table.add_row(name, str(len(getattr(inv, name))))
    creds = inv.credentials
    table.add_row("credential profiles", str(len(creds.snmp) + len(creds.ssh) + len(creds.tsig)))
    out.print(table)
    out.print("[green]inventory OK[/green]")


@inventory_app.command("show")
def inventory_show(
    directory: DirArgument = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show OPDs and their links."""
    inv = _inventory(directory, config)
    if as_json:
        payload = inv.model_dump(mode="json", include={"agency", "opds", "devices", "links", "prefixes", "zones"})
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"OPD — {inv.agency.name}")
    for col in ("OPD", "name", "link", "data center", "CPE", "provider", "circuit", "Mbit/s"):
        table.add_column(col, justify="right" if col == "Mbit/s" else "left")
    for opd in inv.opds:
        links = inv.links_of(opd.slug) or (None,)
        for link in links:
            if link is None:
                table.add_row(opd.slug, opd.name, "—", "", "", "", "", "")
                continue
            table.add_row(
                opd.slug,
                opd.name,
                link.name,
                f"{link.dc.device}:{link.dc.interface}",
                f"{link.cpe.device}:{link.cpe.interface}",
                link.provider,
                link.circuit_id,
                str(link.subscribed_mbps),
            )
    out.print(table)


@inventory_app.command("schema")
def inventory_schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")] = None,
) -> None:
    """Write the JSON Schema of an inventory file, for editors (yaml-language-server)."""
    schema = InventoryFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "pantau inventory file"
    text = json.dumps(schema, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"schema written to {output}")


StateOption = Annotated[Path | None, typer.Option("--state-dir", help="state directory (SQLite store)")]
ListenOption = Annotated[str | None, typer.Option("--listen", help="HOST:PORT for /metrics")]


@app.command()
def run(
    config: ConfigOption = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")] = None,
    state_dir: StateOption = None,
    listen: ListenOption = None,
) -> None:
    """Run the agent: poll every OPD link on schedule and serve Prometheus metrics."""
    from agent.daemon import run_agent  # noqa: PLC0415
    from agent.logsetup import configure_logging  # noqa: PLC0415

    cfg = _config(config, inventory=inventory, state_dir=state_dir, listen=listen)
    configure_logging(fmt=cfg.log_format)
    asyncio.run(run_agent(cfg))


@app.command()
def links(
    config: ConfigOption = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")] = None,
    window: Annotated[float, typer.Option(help="seconds between the two SNMP polls a rate needs")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """One live poll: state, in/out Mbit/s, utilization, RTT and loss of every OPD link."""
    from agent.poller import Agent  # noqa: PLC0415

    cfg = _config(config, inventory=inventory)
    agent = Agent(cfg, load_inventory(cfg.inventory))

    async def once() -> None:
        agent.start()
        try:
            await asyncio.gather(agent.poll_snmp(), agent.probe_icmp())
            await asyncio.sleep(window)
            await agent.poll_snmp()
        finally:
            agent.close()

    asyncio.run(once())
    snap = agent.snapshot
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
                "utilization": max(
                    (
                        u
                        for u in (link.utilization(link.receive_bps), link.utilization(link.transmit_bps))
                        if u is not None
                    ),
                    default=None,
                ),
                "rtt_avg_seconds": r.rtt_avg if r else None,
                "loss_ratio": r.loss_ratio if r else None,
            }
        )
    if as_json:
        sys.stdout.write(json.dumps({"links": rows, "devices": [d.__dict__ for d in snap.devices]}, indent=2) + "\n")
        return
    table = Table(title="OPD links")
    for col in ("OPD", "link", "state", "in Mbit/s", "out Mbit/s", "util", "RTT ms", "loss"):
        table.add_column(col, justify="left" if col in ("OPD", "link", "state") else "right")
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
    config: ConfigOption = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")] = None,
) -> None:
    """Poll one device over SNMP and print its raw samples as JSON."""

    from collectors.snmp import SnmpCollector  # noqa: PLC0415

    cfg = _config(config, inventory=inventory)
    inv = load_inventory(cfg.inventory)
    names = [d.name for d in inv.devices]
    if device not in names:
        raise AgentError(f"no device '{device}' in {cfg.inventory}; devices: {', '.join(names)}")
    dev = inv.device(device)
    if dev.snmp is None:
        raise AgentError(f"device '{device}' has no snmp profile in the inventory")

    async def once() -> dict[str, object]:
        collector = SnmpCollector(cfg.inventory, cfg.poll.snmp_timeout, cfg.poll.snmp_retries)
        try:
            return dataclasses.asdict(await collector.poll(dev, inv.snmp_profile(dev.snmp or "")))
        finally:
            collector.close()

    sys.stdout.write(json.dumps(asyncio.run(once()), indent=2) + "\n")


def main() -> None:
    """Entry point: user errors print a clear message and exit 2, never a traceback."""
    try:
        app()
    except InventoryLoadError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        err.print(f"{len(exc.problems)} problem(s) in {exc.directory}", markup=False)
        sys.exit(2)
    except (InventoryError, AgentError, LabError, CollectorError, PlaybookError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except Exception as exc:
        # the store unusable (locked past the busy timeout, disk full, read-only): say so, not a traceback;
        # SQLAlchemy is imported only by commands that use the store, so look for it instead of importing it
        sa = sys.modules.get("sqlalchemy.exc")
        if sa is None or not isinstance(exc, sa.OperationalError):
            raise
        err.print(
            f"error: the store failed: {exc.orig}. If another pantau process held it, run the command again; "
            "an interrupted playbook is listed by `pantau runs list` and undone by `pantau runs recover`.",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
