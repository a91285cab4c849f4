"""``pantau capacity``: the hosting SOP's capacity step: the servers' use, trend and headroom, and where a new
application fits (``pantau capacity check``), as a table, JSON or a document for the request file."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, out, wired
from agent.lang import current, tr
from agent.wiring import App
from core.capacity import GIB, Need
from exporters.capacity_report import ServerState
from i18n.formats import number
from playbooks.capacity import check, read, write

capacity_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="The servers' capacity (hosting SOP): use, trend, headroom; where a new application fits.",
)
OutputOption = Annotated[
    Path | None, typer.Option("--output", help="also write the document (Markdown, HTML, PDF) to this folder")
]


def _states(deps: App) -> list[ServerState]:
    poll = deps.config.poll
    return read(deps.store, deps.inventory, deps.probes, poll.snmp_timeout, poll.device_deadline)


def _json(states: list[ServerState], extra: dict[str, Any]) -> None:
    payload = {"servers": [dataclasses.asdict(s) for s in states], **extra}
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def _gib(value: float | None) -> str:
    return "—" if value is None else number(value / GIB, current())


@capacity_app.callback()
def capacity(
    ctx: typer.Context,
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Read every server (kind server, with SNMP) now: processors and load, RAM, the largest disk; its
    headroom (20 % of each kept free) and how its use grows over the readings kept (30 days)."""
    if ctx.invoked_subcommand is not None:
        return
    deps = wired(config_path, inventory=inventory, state_dir=state_dir)
    states = _states(deps)
    paths = write(states, deps.inventory, output, [current()]) if output is not None else []
    if as_json:
        _json(states, {"files": [str(p) for p in paths]})
        return
    table = Table(title=tr("Server capacity"))
    for col in ("server", "vCPU", "RAM GiB", "disk GiB", tr("headroom")):
        table.add_column(col)
    for s in states:
        r, room = s.reading, s.room
        if r is None or room is None:
            table.add_row(s.name, tr("no answer: {error}", error=s.error), "", "", "")
            continue
        cpu = "—" if r.cpu_used is None else f"{number(r.cpu_used, current())} / {r.vcpus}"
        spare = "—" if room.vcpus is None else number(room.vcpus, current())
        table.add_row(
            s.name,
            cpu,
            f"{_gib(r.ram_used)} / {_gib(r.ram)}",
            f"{_gib(r.disk_used)} / {_gib(r.disk)}",
            f"{spare} vCPU, {_gib(room.ram)} GiB RAM, {_gib(room.disk)} GiB disk",
        )
    out.print(table)
    for p in paths:
        out.print(str(p), markup=False)


@capacity_app.command("check")
def capacity_check(
    vcpu: Annotated[float, typer.Option("--vcpu", min=0.1, help="vCPUs the application needs")],
    ram: Annotated[float, typer.Option("--ram", min=0.0, help="GiB of RAM")],
    disk: Annotated[float, typer.Option("--disk", min=0.0, help="GiB of disk")],
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Whether and where a new application fits: every server's answer, the one with most room after it
    first (exit 1 when none fits)."""
    deps = wired(config_path, inventory=inventory, state_dir=state_dir)
    states = _states(deps)
    need = Need(vcpu, ram, disk)
    fits = check(states, need)
    paths = write(states, deps.inventory, output, [current()], need, fits) if output is not None else []
    if as_json:
        _json(states, {"need": dataclasses.asdict(need), "fits": [dataclasses.asdict(f) for f in fits],
                       "files": [str(p) for p in paths]})  # fmt: skip
    else:
        for f in fits:
            verdict = tr("fits") if f.fits else tr("short of {what}", what=", ".join(f.short))
            out.print(f"{f.server}: {verdict}", markup=False)
        for p in paths:
            out.print(str(p), markup=False)
    if not any(f.fits for f in fits):
        raise typer.Exit(1)
