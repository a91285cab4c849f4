"""``pantau bandwidth``: SOP 13's bandwidth map, planned from a month's measurements."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, out, wired
from agent.lang import current, tr
from core.bandwidth_plan import MBIT, Plan
from i18n import in_language
from playbooks.bandwidth import approve_plan, keep_plan, month_plan, write_plan
from playbooks.engine import operator
from store import bandwidth_plans

bandwidth_app = typer.Typer(no_args_is_help=True, help="SOP 13's bandwidth map: each OPD's share of the capacity.")


@bandwidth_app.command("plan")
def bandwidth_plan(
    month: Annotated[str, typer.Option(help="YYYY-MM: the month whose measurements the plan uses")],
    capacity: Annotated[
        float | None, typer.Option(help="Mbit/s the OPDs share (default: agency.bandwidth.capacity_mbps)")
    ] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    output: Annotated[Path | None, typer.Option(help="also write the plan (Markdown, HTML and PDF) here")] = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save",
            help="keep the plan, numbered, for the Kabid's approval (documents in --output, else the state dir)",
        ),
    ] = False,
) -> None:
    """SOP 13 step 'map the bandwidth': each OPD's guaranteed rate and ceiling within the capacity, by
    weighted max-min fair share of the month's 95th percentiles (times the headroom), within each OPD's
    floor, cap and weight from the inventory."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    cfg = deps.config
    planned, _ = month_plan(deps.existing_store, deps.inventory, month, cfg.timezone, cfg.bandwidth, capacity)
    kept = None
    if save:
        directory = output or cfg.state_dir / "reports" / "bandwidth"
        kept, written = keep_plan(
            deps.store, deps.inventory, planned, month, operator(), directory, [current()], datetime.now(UTC)
        )
    else:
        written = [] if output is None else write_plan(planned, deps.inventory, month, output, current())
    if as_json:
        payload = {**_json(planned, month), "paths": [str(p) for p in written]}
        if kept is not None:
            payload["plan"] = {"id": kept.id, "number": kept.number, "state": kept.state}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=tr("Bandwidth map from {month}", month=month), show_header=True)
    for col in ("OPD", tr("p95 (Mbit/s)"), tr("asks"), tr("guaranteed"), tr("ceiling"), tr("why")):
        table.add_column(col, justify="left" if col in ("OPD", tr("why")) else "right")
    for s in planned.shares:
        table.add_row(
            s.opd,
            "—" if s.measured_bps is None else f"{s.measured_bps / MBIT:.1f}",
            f"{s.asked_bps / MBIT:.1f}",
            f"{s.guaranteed_bps / MBIT:.1f}",
            f"{s.ceiling_bps / MBIT:.1f}",
            in_language(s.why, current()),
        )
    out.print(table)
    out.print(
        tr(
            "guaranteed {guaranteed:.1f} of {capacity:.1f} Mbit/s (headroom {headroom:g})",
            guaranteed=planned.guaranteed_bps / MBIT,
            capacity=planned.capacity_bps / MBIT,
            headroom=planned.headroom,
        )
    )
    if planned.unmet:
        out.print(tr("[red]floors not met[/]: {opds}", opds=", ".join(planned.unmet)))
    if kept is not None:
        out.print(
            tr(
                "kept as plan {id}, number {number}: for the Kabid's approval, pantau bandwidth approve {id}",
                id=kept.id,
                number=kept.number,
            )
        )
    for path in written:
        out.print(tr("written: {path}", path=path))


@bandwidth_app.command("approve")
def bandwidth_approve(
    plan: Annotated[int, typer.Argument(help="the plan's id (pantau bandwidth list)")],
    name: Annotated[
        str | None, typer.Option(help="the Kabid who approves it (default: agency.people.kabid's name)")
    ] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 13: the Kabid approves a kept plan; its documents are written again with the approval. Only an
    approved plan may be applied."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    kabid = deps.inventory.agency.people.kabid
    who = name if name is not None else (kabid.name if kabid else "")
    kept, written = approve_plan(deps.existing_store, deps.inventory, plan, who, [current()])
    if as_json:
        sys.stdout.write(json.dumps({**kept.to_json(), "paths": [str(p) for p in written]}, indent=2) + "\n")
        return
    out.print(tr("plan {id} ({number}) approved by {name}", id=kept.id, number=kept.number, name=kept.approved_by))
    for path in written:
        out.print(tr("written: {path}", path=path))


@bandwidth_app.command("list")
def bandwidth_list(config: ConfigOption = None, state_dir: StateOption = None, as_json: JsonOption = False) -> None:
    """The kept bandwidth plans, newest first, with their approval."""
    deps = wired(config, state_dir=state_dir)
    plans = bandwidth_plans.newest(deps.existing_store)
    if as_json:
        sys.stdout.write(json.dumps([p.to_json() for p in plans], indent=2) + "\n")
        return
    table = Table(title=tr("Bandwidth plans"))
    for col in ("id", tr("number"), tr("month"), tr("state"), tr("approved by")):
        table.add_column(col)
    states = {"drafted": tr("drafted"), "approved": tr("approved")}
    for p in plans:
        table.add_row(str(p.id), p.number, p.month, states.get(p.state, p.state), p.approved_by or "")
    out.print(table)


def _json(planned: Plan, month: str) -> dict[str, object]:
    return {
        "month": month,
        "capacity_mbps": planned.capacity_bps / MBIT,
        "headroom": planned.headroom,
        "guaranteed_mbps": planned.guaranteed_bps / MBIT,
        "unmet": list(planned.unmet),
        "opds": [
            {
                "opd": s.opd,
                "measured_mbps": None if s.measured_bps is None else s.measured_bps / MBIT,
                "asked_mbps": s.asked_bps / MBIT,
                "guaranteed_mbps": s.guaranteed_bps / MBIT,
                "ceiling_mbps": s.ceiling_bps / MBIT,
                "why": in_language(s.why, current()),
            }
            for s in planned.shares
        ],
    }
