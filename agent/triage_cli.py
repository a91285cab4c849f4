"""CLI of outage triage and SOP 15 tickets (attached to ``pantau`` by agent.cli)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from agent.config import Config, load_config
from playbooks.errors import PlaybookError

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="pantau.yml (default: ./pantau.yml)")]
InventoryOption = Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")]
StateOption = Annotated[Path | None, typer.Option("--state-dir", help="state directory (SQLite store)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]
COLORS = {"no-fault-found": "green", "congestion": "yellow", "dns-or-service": "yellow"}


def register(app: typer.Typer) -> None:
    app.command()(triage)


def resolve_opd(inv: Any, what: str) -> str:
    """An OPD slug from a slug, an address (its LAN, WAN or a server's) or a registered hostname."""
    from ipaddress import ip_address, ip_interface  # noqa: PLC0415

    slugs = [lk.opd for lk in inv.links]
    if what in slugs:
        return what
    try:
        address = ip_address(what)
    except ValueError:
        address = None
    if address is not None:
        for p in inv.prefixes:
            if p.opd and address in p.prefix:
                return str(p.opd)
        for device in inv.devices:
            if device.opd and any(i.address and ip_interface(i.address).ip == address for i in device.interfaces):
                return str(device.opd)
    for s in (p.static for p in inv.prefixes):
        for st in s:
            if what in (st.hostname, str(st.address)) and st.opd:
                return str(st.opd)
    raise PlaybookError(f"'{what}' is not an OPD with a WAN link, nor one of their addresses; OPDs: {', '.join(slugs)}")


def run_triage(cfg: Config, what: str) -> tuple[Any, float]:
    from agent.store import open_store  # noqa: PLC0415
    from inventory.loader import load_inventory  # noqa: PLC0415
    from playbooks.triage import decide, gather  # noqa: PLC0415

    start = time.monotonic()
    inv = load_inventory(cfg.inventory)
    opd = resolve_opd(inv, what)
    store = open_store(cfg.database_url)
    try:
        facts = asyncio.run(gather(inv, cfg.inventory, opd, store, timeout=cfg.poll.snmp_timeout))
    finally:
        store.dispose()
    return decide(inv, facts), time.monotonic() - start


def triage(
    opd: Annotated[str, typer.Argument(help="OPD slug, or an address or host name of the OPD")],
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 steps 2-4 in seconds: where the fault is (OPD, provider link, data center, service), with evidence."""
    cfg = load_config(config, overrides={"inventory": inventory, "state_dir": state_dir})
    diagnosis, seconds = run_triage(cfg, opd)
    if as_json:
        sys.stdout.write(json.dumps(diagnosis.to_json(seconds), indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(show_header=False, box=None)
    for e in diagnosis.evidence:
        mark = "[green]✓[/]" if e.ok else "[red]✗[/]" if e.ok is False else "•"
        table.add_row(mark, e.check, e.detail)
    color = COLORS.get(diagnosis.verdict.value, "red")
    body = Table.grid(padding=(0, 1))
    body.add_row(f"[bold]{diagnosis.summary}[/]")
    body.add_row(f"Langkah berikut (next step): {diagnosis.next_step}")
    if len(diagnosis.affected) > 1:
        body.add_row(f"OPD terdampak: {', '.join(diagnosis.affected)}")
    body.add_row(table)
    out.print(
        Panel(body, title=f"[{color}]{diagnosis.verdict.value}[/] — {diagnosis.opd}", subtitle=f"{seconds:.1f} s")
    )
