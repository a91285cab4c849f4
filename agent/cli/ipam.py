"""``pantau ipam``: prefix utilization, an address's history, addresses found in use (conflicts)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, local, out
from agent.cli.playbooks import setup
from agent.lang import tr
from i18n import Msg
from inventory.ipam import parse_address, prefix_of, usage
from inventory.models import Purpose
from playbooks.effectors.dns import DnsUpdater
from playbooks.engine import operator
from playbooks.errors import RunError
from playbooks.ipam_import import Action
from playbooks.ipam_import import apply as import_apply
from playbooks.ipam_import import plan as import_plan
from playbooks.live_check import dns_first, network_live_check
from store import conflicts
from store.allocations import Allocations

ipam_app = typer.Typer(no_args_is_help=True, help="IP address management: utilization, history, conflicts.")
conflicts_app = typer.Typer(no_args_is_help=True, help="Addresses found in use by hosts IPAM does not know.")
ipam_app.add_typer(conflicts_app, name="conflicts")


@ipam_app.command("show")
def ipam_show(
    prefix: Annotated[str | None, typer.Argument(help="prefix name (default: server and public prefixes)")] = None,
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Utilization of prefixes: size, reserved, used, conflicts, free; with a prefix, its allocations."""
    deps = setup(config_path, inventory, state_dir)
    inv, store = deps.inventory, deps.existing_store
    allocations = Allocations(store, inv.prefixes)
    chosen = (
        [p for p in inv.prefixes if p.name == prefix]
        if prefix
        else [p for p in inv.prefixes if p.purpose in (Purpose.SERVER, Purpose.PUBLIC)]
    )
    if prefix and not chosen:
        raise RunError(
            Msg(
                "no prefix '{name}' in the inventory; prefixes: {known}",
                name=prefix,
                known=", ".join(p.name for p in inv.prefixes),
            )
        )
    report = []
    for p in chosen:
        used, conflicts = allocations.used(p), allocations.conflicts(p)
        u = usage(p, set(used), set(conflicts))
        report.append(
            {
                **u.__dict__,
                "allocations": {str(a): h for a, h in sorted(used.items())} if prefix else None,
                "conflicts": {str(a): w for a, w in sorted(conflicts.items())},
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    table = Table(title="IPAM")
    columns = (
        "prefix",
        tr("network"),
        tr("size"),
        tr("reserved"),
        tr("used"),
        tr("conflict"),
        tr("free"),
    )
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < 2 else "right")
    for r in report:
        table.add_row(r["prefix"], r["network"], *(str(r[k]) for k in ("size", "reserved", "used", "conflict", "free")))
    out.print(table)
    for r in report:
        for address, host in (r["allocations"] or {}).items():
            out.print(f"  {address}  {host}")
        for address, why in r["conflicts"].items():
            out.print(f"  [red]{tr('conflict')}[/red] {address}: {why}")


@ipam_app.command("history")
def ipam_history(
    address: Annotated[str, typer.Argument(help="IP address")],
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every allocation and release of ADDRESS (who, when, for which OPD and server), and conflicts seen there."""
    deps = setup(config_path, inventory, state_dir)
    cfg, inv, store = deps.config, deps.inventory, deps.existing_store
    addr = parse_address(address)
    pfx = prefix_of(inv, addr)
    allocations = Allocations(store, inv.prefixes)
    events: list[dict[str, Any]] = []
    for a in allocations.history(str(addr)):
        events.append(
            {
                "at": a.allocated_at,
                "event": "allocated",
                "hostname": a.hostname,
                "opd": a.opd,
                "by": a.allocated_by,
                "run": a.run_id,
            }
        )
        if a.released_at is not None:
            events.append(
                {
                    "at": a.released_at,
                    "event": "released",
                    "hostname": a.hostname,
                    "opd": a.opd,
                    "by": a.released_by,
                    "run": a.released_run_id,
                }
            )
    for c in conflicts.history(store, str(addr)):
        seen = {"hostname": f"MAC {c.mac or 'unknown'}", "opd": None}
        events.append({"at": c.seen_at, "event": "conflict", **seen, "by": c.detected_by, "run": c.run_id})
        if c.cleared_at is not None:
            events.append({"at": c.cleared_at, "event": "conflict cleared", **seen, "by": c.cleared_by, "run": None})
    events.sort(key=lambda e: (e["at"], e["event"] != "allocated"))
    for e in events:
        e["at"] = local(e["at"], cfg.timezone)
    if as_json:
        sys.stdout.write(json.dumps({"address": str(addr), "prefix": pfx.name, "events": events}, indent=2) + "\n")
        return
    table = Table(title=f"{addr} ({pfx.name})")
    for col in (
        tr("when"),
        tr("event"),
        tr("server / MAC"),
        "OPD",
        tr("by"),
        "run",
    ):
        table.add_column(col)
    for e in events:
        table.add_row(e["at"], e["event"], e["hostname"], e["opd"] or "", e["by"] or "", str(e["run"] or ""))
    out.print(table)


@conflicts_app.command("list")
def conflicts_list(
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """The open conflicts: addresses IPAM skips until someone clears them."""
    deps = setup(config_path, inventory, state_dir)
    cfg, store = deps.config, deps.existing_store
    found = conflicts.open_conflicts(store)
    rows = [
        {"address": c.address, "prefix": c.prefix, "mac": c.mac, "seen_by": c.detected_by,
         "seen_at": local(c.seen_at, cfg.timezone), "run": c.run_id}
        for c in found
    ]  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=tr("IP conflicts"))
    for col in ("address", "prefix", "MAC", "seen by", "seen at", "run"):
        table.add_column(col)
    for c in found:
        table.add_row(
            c.address, c.prefix, c.mac or "", c.detected_by, local(c.seen_at, cfg.timezone), str(c.run_id or "")
        )
    out.print(table if rows else tr("no open conflicts"))


@conflicts_app.command("clear")
def conflicts_clear(
    address: Annotated[str, typer.Argument(help="the address whose conflict is resolved")],
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Clear the conflict of ADDRESS after checking that the agency's DNS names nothing there and nobody
    answers there any more (ICMP, the gateway's ARP table, an ARP probe); then IPAM may hand it out again."""
    deps = setup(config_path, inventory, state_dir)
    cfg, inv, store = deps.config, deps.inventory, deps.store
    addr = parse_address(address)
    if not conflicts.open_conflicts(store, str(addr)):
        raise RunError(Msg("{addr} has no open conflict; pantau ipam conflicts list shows those there are", addr=addr))
    check = dns_first(DnsUpdater(inv, cfg.inventory_dir), network_live_check(inv, deps.probes, cfg.poll.snmp_timeout))
    seen = check(prefix_of(inv, addr), addr)
    if seen is not None:
        raise RunError(
            Msg(
                "{addr} still answers ({how}, MAC {mac}); nothing cleared: find that host and move "
                "it, or register it in the IP plan, then clear again",
                addr=addr,
                how=seen.how,
                mac=seen.mac or "unknown",
            )
        )
    cleared = conflicts.clear(store, str(addr), operator())
    if as_json:
        sys.stdout.write(json.dumps({"address": str(addr), "cleared": cleared}) + "\n")
        return
    out.print(
        tr("{addr}: conflict cleared (nobody answers there now); IPAM may hand it out again", addr=addr),
        markup=False,
    )


@ipam_app.command("import-dns")
def ipam_import_dns(
    do: Annotated[
        bool, typer.Option("--apply", help="take the addresses in (without it: only say what it would)")
    ] = False,
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take the addresses the agency's DNS zones already name into IPAM (server and public prefixes), so
    they are never handed out again: every A/AAAA and PTR record, by a zone transfer. Without --apply it
    only lists what it would do; run it again at any time: what IPAM has already is left as it is."""
    deps = setup(config_path, inventory, state_dir)
    cfg, inv = deps.config, deps.inventory
    store = deps.store if do else deps.existing_store
    allocations = Allocations(store, inv.prefixes)
    candidates = import_plan(inv, DnsUpdater(inv, cfg.inventory_dir), allocations)
    if do:
        candidates = import_apply(inv, store, allocations, candidates, operator())
    if as_json:
        payload = {"applied": do, "addresses": [c.to_json() for c in candidates]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=tr("DNS records in IPAM's prefixes"))
    for col in (tr("address"), tr("prefix"), tr("name"), tr("action"), tr("note")):
        table.add_column(col)
    for c in candidates:
        table.add_row(c.address, c.prefix, c.name, str(c.action), c.note)
    out.print(table)
    pending = sum(c.action is Action.IMPORT for c in candidates)
    if pending:
        out.print(tr("{n} address(es) to import: run again with --apply", n=pending), markup=False)
    else:
        done = sum(c.action is Action.IMPORTED for c in candidates)
        out.print(tr("{n} address(es) imported; nothing left to import", n=done), markup=False)
