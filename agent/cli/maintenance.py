"""CLI of periodic maintenance (Batam SOP 05) and its reports (attached to ``pantau`` by agent.cli)."""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from apscheduler.jobstores.base import JobLookupError
from rich.progress import Progress

from agent import wiring
from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, err, local, out, wired
from agent.cli.sla import report_sla
from agent.config import Config
from agent.lang import current, tr
from agent.maintenance_jobs import FUNCTION, JOBSTORE, editor, run_with_reports
from agent.schedule import crontab
from agent.wiring import App
from core.bandwidth import LinkSurvey, reason
from exporters.report_text import BANDWIDTH_TEXT
from i18n import Msg, in_language, words
from i18n.formats import number
from playbooks.bandwidth import month_survey, write_month_report
from playbooks.engine import operator
from playbooks.errors import PlaybookError, require_opd
from playbooks.maintenance.reports import report_list as listing
from playbooks.maintenance.reports import review_times, sign
from playbooks.maintenance.run import check_locations
from store import maintenance as maintenance_store

maintenance_app = typer.Typer(no_args_is_help=True, help="Periodic network maintenance (SOP 05) and its plan.")
report_app = typer.Typer(no_args_is_help=True, help="Berita Acara reports and their review (OPD, Kasi, Kabid, Kadis).")
report_app.command("sla")(report_sla)

KnownHostsOption = Annotated[Path | None, typer.Option("--known-hosts", help="SSH known_hosts (host keys checked)")]
OpdOption = Annotated[list[str] | None, typer.Option("--opd", help="OPD slug or pusat-data; repeat; default: all")]
LangOption = Annotated[list[str] | None, typer.Option("--lang", help="report language: id (default), en; repeat")]


@maintenance_app.command("run")
def maintenance_run(
    opd: OpdOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="report folder (default: state dir)")] = None,
    lang: LangOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    known_hosts: KnownHostsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the maintenance checks now (devices in parallel) and write a Berita Acara per location."""

    cfg = wiring.configuration(config, inventory=inventory, state_dir=state_dir, known_hosts=known_hosts)
    if lang:
        if any(x not in ("id", "en") for x in lang):
            raise PlaybookError(Msg("--lang {lang}: choose id or en", lang=lang))
        cfg = cfg.model_copy(update={"maintenance": cfg.maintenance.model_copy(update={"languages": lang})})
    deps = wiring.build(cfg)
    with Progress(console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("pemeliharaan", total=None)

        def started(n: int) -> None:
            bar.update(task, total=n)

        def advance(device: str) -> None:
            bar.update(task, advance=1, description=device)

        run_id, results, files = run_with_reports(deps, opd or [], "manual", operator(), output, advance, started)
    counts = {s: sum(1 for r in results if r.status.value == s) for s in ("pass", "warn", "fail", "skip")}
    if as_json:
        payload = {
            "run": run_id,
            "counts": counts,
            "results": [{**r.__dict__, "status": r.status.value} for r in results],
            "reports": [
                {"id": f.report_id, "number": f.number, "location": f.location, "paths": [str(p) for p in f.paths]}
                for f in files
            ],
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=tr("Maintenance {run_id}: findings", run_id=run_id))
    for col in (
        tr("location"),
        tr("check"),
        tr("device"),
        tr("subject"),
        tr("result"),
        tr("finding"),
    ):
        table.add_column(col)
    for r in results:
        if r.status.value in ("warn", "fail"):
            color = "red" if r.status.value == "fail" else "yellow"
            table.add_row(r.location, r.check, r.device, r.subject, f"[{color}]{r.status.value}[/]", r.finding)
    out.print(table)
    out.print(
        tr(
            "passed {pass_}, warnings {warn}, failed {fail}, not checked {skip}",
            pass_=counts["pass"],
            warn=counts["warn"],
            fail=counts["fail"],
            skip=counts["skip"],
        )
    )
    for f in files:
        out.print(f"{tr('report')} {f.report_id} {f.number}: {f.paths[0].parent}", markup=False)


def _scheduler(deps: App) -> AbstractContextManager[Any]:
    deps.store.dispose()  # migrated before APScheduler adds its table beside ours
    return editor(deps.config)  # paused: only to read and write the job store, never to run jobs here


@maintenance_app.command("schedule")
def maintenance_schedule(
    at: Annotated[str, typer.Option("--at", help="local time, 'YYYY-MM-DD HH:MM[:SS]' (the agency's time zone)")],
    opd: OpdOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Schedule a one-off maintenance; the running agent runs it at that time (kept across restarts)."""

    deps = wired(config, state_dir=state_dir, inventory=inventory)
    cfg = deps.config
    check_locations(deps.inventory, list(opd or []))
    tz = ZoneInfo(cfg.timezone)
    try:
        when = datetime.fromisoformat(at).replace(tzinfo=tz)
    except ValueError:
        raise PlaybookError(
            Msg("--at '{at}': write the time as YYYY-MM-DD HH:MM (in {zone})", at=at, zone=cfg.timezone)
        ) from None
    if when <= datetime.now(tz):
        raise PlaybookError(Msg("--at {at} is in the past ({zone}); choose a later time", at=at, zone=cfg.timezone))
    with _scheduler(deps) as scheduler:
        job = scheduler.add_job(
            FUNCTION,
            "date",
            run_date=when,
            kwargs={"locations": list(opd or []), "trigger": "scheduled", "by": operator()},
            jobstore=JOBSTORE,
            id=uuid.uuid4().hex[:8],
            name=f"maintenance {','.join(opd or []) or 'all'}",
            misfire_grace_time=3600,
            coalesce=True,
        )
    if as_json:
        payload = {"id": job.id, "at": when.isoformat(), "locations": list(opd or [])}
        sys.stdout.write(json.dumps(payload) + "\n")
        return
    at_text = f"{when:%Y-%m-%d %H:%M:%S %Z}"
    where = ", ".join(opd or []) or tr("all locations")
    out.print(tr("scheduled {id}: maintenance of {where} at {at_text}", id=job.id, where=where, at_text=at_text))


@maintenance_app.command("list")
def maintenance_list(config: ConfigOption = None, state_dir: StateOption = None, as_json: JsonOption = False) -> None:
    """The plan's next run, scheduled one-off maintenance and the latest runs."""

    deps = wired(config, state_dir=state_dir)
    cfg, store = deps.config, deps.existing_store
    plan: dict[str, Any] | None = None
    if cfg.maintenance.schedule:
        now = datetime.now(ZoneInfo(cfg.timezone))
        upcoming = crontab(cfg.maintenance.schedule, cfg.timezone).get_next_fire_time(None, now)
        plan = {
            "schedule": cfg.maintenance.schedule,
            "next": upcoming.isoformat() if upcoming else None,
            "locations": cfg.maintenance.locations,
            "reference": cfg.maintenance.plan,
        }
    with _scheduler(deps) as scheduler:
        jobs = [
            {
                "id": j.id,
                "name": j.name,
                "at": j.next_run_time.isoformat() if j.next_run_time else None,
                "locations": j.kwargs.get("locations"),
            }
            for j in scheduler.get_jobs(jobstore=JOBSTORE)
        ]
    runs: list[dict[str, Any]] = [
        {
            "id": r.id,
            "started_at": r.started_at.isoformat(),
            "ended": r.ended_at is not None,
            "trigger": r.trigger,
            "scope": r.scope,
            "by": r.by,
        }
        for r in maintenance_store.newest_runs(store, 20)
    ]
    if as_json:
        sys.stdout.write(json.dumps({"plan": plan, "scheduled": jobs, "runs": runs}, indent=2) + "\n")
        return
    if plan is None:
        out.print(tr("plan: none (set maintenance.schedule in pantau.yml)"))
    else:
        where = ", ".join(cfg.maintenance.locations) or "semua lokasi"
        out.print(
            tr("plan '{schedule}' ({where}), next {next}", schedule=plan["schedule"], where=where, next=plan["next"]),
            markup=False,
        )
    table = Table(title=tr("Scheduled maintenance"))
    for col in ("id", "at", "locations"):
        table.add_column(col)
    for j in jobs:
        at = local(datetime.fromisoformat(j["at"]), cfg.timezone) if j["at"] else "paused"
        table.add_row(j["id"], at, ", ".join(j["locations"] or []) or "all")
    out.print(table)
    table = Table(title=tr("Latest maintenance runs"))
    for col in ("run", "started", "trigger", "scope", "by"):
        table.add_column(col)
    for r in runs:
        started = local(datetime.fromisoformat(r["started_at"]), cfg.timezone)
        table.add_row(str(r["id"]), started, r["trigger"], ", ".join(r["scope"]), r["by"])
    out.print(table)


@maintenance_app.command("cancel")
def maintenance_cancel(
    job: Annotated[str, typer.Argument(help="id from pantau maintenance list")],
    config: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a scheduled one-off maintenance."""

    with _scheduler(wired(config, state_dir=state_dir)) as scheduler:
        try:
            scheduler.remove_job(job, jobstore=JOBSTORE)
        except JobLookupError:
            raise PlaybookError(Msg("no scheduled maintenance '{job}'; see pantau maintenance list", job=job)) from None
    if as_json:
        sys.stdout.write(json.dumps({"id": job, "cancelled": True}) + "\n")
        return
    out.print(tr("cancelled {job}", job=job))


@report_app.command("list")
def report_list(config: ConfigOption = None, state_dir: StateOption = None, as_json: JsonOption = False) -> None:
    """Reports with their review state."""

    rows = listing(wired(config, state_dir=state_dir).existing_store)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="Berita Acara")
    for col in ("id", tr("number"), "run", tr("location"), tr("state")):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), str(r["number"]), str(r["run"]), str(r["location"]), str(r["state"]))
    out.print(table)


@report_app.command("sign")
def report_sign(
    report: Annotated[int, typer.Argument(help="report id from pantau report list")],
    role: Annotated[str, typer.Option("--as", help="opd, kasi, kabid or kadis (in this order)")],
    name: Annotated[str, typer.Option("--name", help="the signer's name")],
    lang: LangOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a review step (who and when) and render the report again with it."""

    deps = wired(config, inventory=inventory, state_dir=state_dir)
    store = deps.store
    langs = lang or deps.config.maintenance.languages
    state, paths = sign(store, deps.inventory, report, role, name, langs, operator())
    if as_json:
        steps = review_times(store, report, deps.sops)
        payload = {"report": report, "state": state, "files": [str(p) for p in paths], "reviews": steps}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    out.print(f"report {report}: {state}; {', '.join(str(p) for p in paths)}", markup=False)
    sop = deps.sops.maintenance
    for step in review_times(store, report, deps.sops):
        hours, limit = float(str(step["seconds"])) / 3600, float(str(step["allowance_seconds"])) / 3600
        verdict = (
            tr("within {sop}'s {limit} h", sop=sop.number, limit=number(limit, current()))
            if step["within_allowance"]
            else tr("OVER {sop}'s {limit} h", sop=sop.number, limit=number(limit, current()))
        )
        out.print(f"  {step['role']}: {step['name']}, {number(hours, current())} h — {verdict}", markup=False)


def _survey_json(r: LinkSurvey, cfg: Config) -> dict[str, Any]:
    """A link's survey for --json: its figures, daily series and reason; not the heat map's 720 cells."""
    row = dataclasses.asdict(r)
    row.pop("hourly")
    return row | {"reason": in_language(reason(r, cfg.bandwidth), current())}


@report_app.command("bandwidth")
def report_bandwidth(
    month: Annotated[str, typer.Option(help="YYYY-MM, a month in the agency's time zone")],
    opd: Annotated[str | None, typer.Option(help="one OPD's link only")] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    output: Annotated[
        Path | None, typer.Option(help="also write the report (Markdown, HTML and PDF, with charts) here")
    ] = None,
) -> None:
    """SOP 13's survey: per OPD link, the month's 95th percentile in and out, peak, volume, availability,
    hours above 80 % and the recommendation (upgrade, keep, lower) with its reason, from the stored 5-minute
    rollups."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    cfg, inv = deps.config, deps.inventory
    if opd is not None:
        require_opd(inv, opd)
    rows = month_survey(deps.existing_store, inv, month, cfg.timezone, cfg.bandwidth, opd)
    written = []
    if output is not None:
        written = write_month_report(rows, inv, month, cfg.timezone, cfg.bandwidth, output, current(), opd)
    if as_json:
        payload = {
            "month": month,
            "timezone": cfg.timezone,
            "links": [_survey_json(r, cfg) for r in rows],
            "paths": [str(p) for p in written],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    _print_survey(rows, cfg, month)
    for path in written:
        out.print(tr("written: {path}", path=path))
    if all(r.recommendation == "no-data" for r in rows):
        out.print(
            tr("no data for {month}: the agent recorded no link that month (or its store is another)", month=month)
        )


def _print_survey(rows: list[LinkSurvey], cfg: Config, month: str) -> None:
    table = Table(title=tr("Bandwidth survey {month} (SOP 13)", month=month))
    columns = (
        "OPD",
        "link",
        tr("subscribed"),
        tr("p95 in"),
        tr("p95 out"),
        tr("peak"),
        "GB",
        tr("availability"),
        tr("hours >80%"),
        tr("recommendation"),
    )
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < 2 or i == len(columns) - 1 else "right")
    said = words(BANDWIDTH_TEXT, current())  # the recommendations in the survey document's words

    def mbit(v: float | None) -> str:
        return "—" if v is None else f"{v / 1e6:.2f}"

    for r in rows:
        peak = max((v for v in (r.peak_in_bps, r.peak_out_bps) if v is not None), default=None)
        available = "—" if r.availability is None else f"{r.availability:.3%}"
        table.add_row(
            r.opd,
            r.link,
            mbit(r.subscribed_bps),
            mbit(r.p95_in_bps),
            mbit(r.p95_out_bps),
            mbit(peak),
            f"{r.volume_in_gb + r.volume_out_gb:.1f}",
            available,
            f"{r.hours_above_busy:.1f}",
            said[r.recommendation],
        )
    out.print(table)
    out.print(tr("rates in Mbit/s; 95th percentile of 5-minute periods"))
    for r in rows:
        out.print(f"{r.opd} ({r.link}): {in_language(reason(r, cfg.bandwidth), current())}")
