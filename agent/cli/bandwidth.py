"""``pantau bandwidth``: SOP 13's bandwidth map, planned from a month's measurements."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, err, out, wired
from agent.cli.playbooks import playbook_runner, run_and_report
from agent.lang import current, tr
from agent.wiring import App
from core.bandwidth_plan import MBIT, Plan
from i18n import in_language
from playbooks.bandwidth import (
    approve_plan,
    keep_plan,
    month_plan,
    plan_changes,
    read_today,
    write_change_report,
    write_plan,
)
from playbooks.boosts import boost_end
from playbooks.engine import operator
from playbooks.shaping import SHAPING, ShapingRequest, dry_run_lines
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
    today: dict[str, float] = {}
    if cfg.known_hosts is not None:  # today's limits, read from the shaping devices
        today, problems = read_today(deps.shapers)
        for problem in problems:
            problem_text = in_language(problem, current())
            err.print(tr("warning: today's limits not read: {problem}", problem=problem_text), markup=False)
    kept = None
    if save:
        directory = output or cfg.state_dir / "reports" / "bandwidth"
        kept, written = keep_plan(
            deps.store, deps.inventory, planned, month, operator(), directory, [current()], datetime.now(UTC), today
        )
    else:
        written = [] if output is None else write_plan(planned, deps.inventory, month, output, current(), None, today)
    if as_json:
        payload = {**_json(planned, month, today), "paths": [str(p) for p in written]}
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


def _mbit(bps: int | None) -> str:
    return "—" if bps is None else f"{bps / MBIT:g}"


@bandwidth_app.command("show")
def bandwidth_show(
    opd: Annotated[str | None, typer.Option(help="only this OPD (slug)")] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each OPD's limits as its shaping device holds them now (read over SSH), beside its subscription."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    inv, shapers = deps.inventory, deps.shapers
    slugs = [opd] if opd is not None else [o.slug for o in inv.opds if inv.links_of(o.slug)]
    places = [place for slug in slugs for place in shapers.places(slug)]
    by_device: dict[str, list[str]] = {}
    for place in places:
        by_device.setdefault(place.device, []).append(place.queue)
    read = {device: shapers.read(device, queues) for device, queues in sorted(by_device.items())}
    subscribed = {link.opd: link.subscribed_bps for link in inv.links}
    rows: list[dict[str, Any]] = [
        {
            "opd": place.opd,
            "device": place.device,
            "queue": place.queue,
            "guaranteed_bps": read[place.device][place.queue].guaranteed_bps,
            "ceiling_bps": read[place.device][place.queue].ceiling_bps,
            "enabled": read[place.device][place.queue].enabled,
            "subscribed_bps": subscribed.get(place.opd),
        }
        for place in places
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=tr("Bandwidth limits on the shapers"))
    for col in ("OPD", tr("device"), tr("queue"), tr("guaranteed"), tr("ceiling"), tr("subscribed")):
        table.add_column(col, justify="right" if col not in ("OPD", tr("device"), tr("queue")) else "left")
    for r in rows:
        table.add_row(
            r["opd"],
            r["device"],
            r["queue"],
            _mbit(r["guaranteed_bps"]),
            _mbit(r["ceiling_bps"]),
            _mbit(r["subscribed_bps"]),
        )
    out.print(table)
    out.print(tr("rates in Mbit/s"))


RevertOption = Annotated[
    int,
    typer.Option(
        "--revert-after",
        min=10,
        max=3600,
        help="seconds after which each device puts the old limits back by itself unless pantau confirmed",
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="print each device's exact commands and the limits before and after")
]
ReportDirOption = Annotated[
    Path | None,
    typer.Option(help="where the Berita Acara Perubahan Bandwidth is written (default: the state dir's reports)"),
]
WindowOption = Annotated[
    int,
    typer.Option(
        "--window",
        min=5,
        max=600,
        help="seconds of SNMP counters that check a link naming no iperf3 server (the traffic within the ceiling)",
    ),
]
StopOption = Annotated[
    str | None, typer.Option(hidden=True, help="testing: SIGSTOP after this step, or at STEP:POINT inside it")
]
MeasureOption = Annotated[
    bool,
    typer.Option(
        "--measure/--no-measure",
        help="measure each link after the change: iperf3 towards its server (shaper.iperf3), else its SNMP counters",
    ),
]


@bandwidth_app.command("set")
def bandwidth_set(
    opd: Annotated[str, typer.Option(help="the OPD (slug)")],
    mbit: Annotated[float, typer.Option(help="its new ceiling, Mbit/s", min=0.008)],
    guaranteed: Annotated[
        float | None, typer.Option(help="its new guaranteed rate, Mbit/s (default: today's, within the ceiling)")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="'YYYY-MM-DD HH:MM[:SS]' in the agency's time zone: then the agent puts today's limit back"),
    ] = None,
    revert_after: RevertOption = 120,
    dry_run: DryRunOption = False,
    measure: MeasureOption = True,
    window: WindowOption = 30,
    stop_after: StopOption = None,
    output: ReportDirOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """One OPD's limit changed on its shaper, with a revert armed on the device first: read, arm, apply,
    verify, confirm (SOP 13). With --until, a boost: the old limit comes back at that time."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    change = {
        "opd": opd,
        "ceiling_bps": round(mbit * MBIT),
        "guaranteed_bps": None if guaranteed is None else round(guaranteed * MBIT),
    }
    ends = None if until is None else boost_end(until, deps.config.timezone, datetime.now(UTC))
    request = ShapingRequest([change], revert_after, until=ends, measure=measure, window_seconds=window)
    _change(deps, request, dry_run, as_json, stop_after, output)


@bandwidth_app.command("apply")
def bandwidth_apply(
    plan: Annotated[int, typer.Argument(help="the approved plan's id (pantau bandwidth list)")],
    revert_after: RevertOption = 120,
    dry_run: DryRunOption = False,
    measure: MeasureOption = True,
    window: WindowOption = 30,
    stop_after: StopOption = None,
    output: ReportDirOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """An approved plan put on the shapers, all or nothing: every device's revert armed, every OPD's new
    limits applied and verified, then every device confirmed (SOP 13)."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    kept = bandwidth_plans.get(deps.existing_store, plan)
    request = ShapingRequest(plan_changes(kept), revert_after, plan_id=kept.id, measure=measure, window_seconds=window)
    _change(deps, request, dry_run, as_json, stop_after, output)


def _change(
    deps: App, request: ShapingRequest, dry_run: bool, as_json: bool, stop_after: str | None, output: Path | None
) -> None:
    if dry_run:
        shown = dry_run_lines(deps.shapers, request)
        if as_json:
            sys.stdout.write(json.dumps(shown, indent=2) + "\n")
            return
        for device in shown:
            out.print(f"[bold]{device['device']}[/bold]")
            for q in device["queues"]:
                out.print(f"  {q['opd']} {q['queue']}: {q['before']} → {q['after']}", markup=False)
            for line in device["commands"]:
                out.print(f"    {line}", markup=False)
        out.print(tr("dry run: nothing was changed"))
        return
    cfg = deps.config
    runner = playbook_runner(deps, live_check=False)
    run_id = run_and_report(runner, SHAPING, request, operator(), stop_after, deps.store, cfg, as_json)
    directory = output or cfg.state_dir / "reports" / "bandwidth"
    for path in write_change_report(deps.store, deps.inventory, run_id, directory, [current()], datetime.now(UTC)):
        (err if as_json else out).print(tr("written: {path}", path=path), markup=False)


def _json(planned: Plan, month: str, today: dict[str, float]) -> dict[str, object]:
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
                "today_ceiling_mbps": today[s.opd] / MBIT if s.opd in today else None,
                "why": in_language(s.why, current()),
            }
            for s in planned.shares
        ],
    }
