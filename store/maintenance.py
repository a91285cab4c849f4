"""Periodic maintenance in the store: runs, their check results, the device facts and configuration
backups the next run compares against, and the Berita Acara reports with their review signatures."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import RuleError
from core.findings import DeviceFacts, Result, Status
from i18n import Msg
from store.errors import NotFound
from store.schema import (
    ConfigBackup,
    DeviceFactsRow,
    MaintenanceResult,
    MaintenanceRun,
    Report,
    ReportSignature,
)
from store.sequences import next_seq
from store.translate import translated

NUMBER_LENGTH = 63  # reports.number


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    ended_at: datetime | None
    trigger: str
    scope: list[str]
    plan: str | None
    by: str


@dataclass(frozen=True)
class ReportInfo:
    id: int
    run_id: int
    location: str
    number: str
    state: str
    created_at: datetime
    directory: str


@dataclass(frozen=True)
class SignatureInfo:
    role: str
    name: str
    at: datetime
    account: str | None = None  # the login or operator that signed (None: signed before it was kept)


def _now() -> datetime:
    return datetime.now(UTC)


def _run(r: MaintenanceRun) -> RunInfo:
    return RunInfo(r.id, r.started_at, r.ended_at, r.trigger, json.loads(r.scope), r.plan, r.by)


def _report(r: Report) -> ReportInfo:
    return ReportInfo(r.id, r.run_id, r.location, r.number, r.state, r.created_at, r.directory)


# ---- runs -----------------------------------------------------------------------------------------
@translated("reading the previous maintenance facts")
def previous_facts(store: Engine, devices: Iterable[str]) -> dict[str, DeviceFacts]:
    out: dict[str, DeviceFacts] = {}
    with Session(store) as s:
        for name in devices:
            row = s.scalars(
                select(DeviceFactsRow).where(DeviceFactsRow.device == name).order_by(DeviceFactsRow.id.desc())
            ).first()
            if row is not None:
                out[name] = DeviceFacts.from_json(json.loads(row.facts))
    return out


@translated("reading the previous configuration backups")
def previous_configs(store: Engine, devices: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    with Session(store) as s:
        for name in devices:
            row = s.scalars(
                select(ConfigBackup).where(ConfigBackup.device == name).order_by(ConfigBackup.id.desc())
            ).first()
            if row is not None:
                out[name] = row.text
    return out


@translated("recording the start of a maintenance run")
def start(store: Engine, trigger: str, scope: list[str], plan: str | None, by: str) -> int:
    with Session(store) as s, s.begin():
        run = MaintenanceRun(started_at=_now(), trigger=trigger, scope=json.dumps(scope), plan=plan, by=by)
        s.add(run)
        s.flush()
        return run.id


@translated("removing an unfinished maintenance run")
def discard(store: Engine, run_id: int) -> None:
    with Session(store) as s, s.begin():
        gone = s.get(MaintenanceRun, run_id)
        if gone is not None:
            s.delete(gone)


@translated("storing a maintenance run's results")
def finish(
    store: Engine, run_id: int, facts: Iterable[DeviceFacts], configs_before: dict[str, str], results: list[Result]
) -> None:
    """Keep every device's facts, a configuration backup where it changed, the results; end the run."""
    with Session(store) as s, s.begin():
        for f in facts:
            s.add(DeviceFactsRow(run_id=run_id, device=f.device, facts=json.dumps(f.to_json())))
            if f.config is not None and configs_before.get(f.device) != f.config:
                digest = hashlib.sha256(f.config.encode()).hexdigest()
                s.add(ConfigBackup(device=f.device, taken_at=_now(), sha256=digest, text=f.config, run_id=run_id))
        for r in results:
            s.add(
                MaintenanceResult(
                    run_id=run_id,
                    location=r.location,
                    device=r.device,
                    check=r.check,
                    subject=r.subject,
                    status=r.status.value,
                    finding=r.finding,
                    finding_en=r.finding_en,
                    follow_up=r.follow_up,
                    follow_up_en=r.follow_up_en,
                    detail=r.detail,
                )
            )
        row = s.get(MaintenanceRun, run_id)
        if row is not None:
            row.ended_at = _now()


@translated("reading a maintenance run")
def results_of(store: Engine, run_id: int) -> tuple[RunInfo, list[Result]]:
    with Session(store) as s:
        run = s.get(MaintenanceRun, run_id)
        if run is None:
            raise NotFound(Msg("no maintenance run {run_id}; see pantau maintenance list", run_id=run_id))
        rows = s.scalars(
            select(MaintenanceResult).where(MaintenanceResult.run_id == run_id).order_by(MaintenanceResult.id)
        ).all()
        results = [
            Result(
                r.check,
                r.location,
                r.device,
                r.subject,
                Status(r.status),
                r.finding,
                r.finding_en,
                r.follow_up,
                r.follow_up_en,
                r.detail,
            )
            for r in rows
        ]
        return _run(run), results


@translated("listing maintenance runs")
def newest_runs(store: Engine, limit: int = 20) -> list[RunInfo]:
    with Session(store) as s:
        return [_run(r) for r in s.scalars(select(MaintenanceRun).order_by(MaintenanceRun.id.desc()).limit(limit))]


@translated("reading the latest maintenance findings")
def latest_findings(store: Engine) -> list[tuple[str, datetime, dict[str, int]]]:
    """Per location, the latest finished run with results there: (location, ended at, warn/fail counts)."""
    with Session(store) as s:
        latest = (
            select(MaintenanceResult.location, func.max(MaintenanceResult.run_id).label("run_id"))
            .join(MaintenanceRun, MaintenanceRun.id == MaintenanceResult.run_id)
            .where(MaintenanceRun.ended_at.is_not(None))
            .group_by(MaintenanceResult.location)
            .subquery()
        )
        rows = s.execute(
            select(MaintenanceResult.location, MaintenanceRun.ended_at, MaintenanceResult.status, func.count())
            .join(
                latest,
                (latest.c.location == MaintenanceResult.location) & (latest.c.run_id == MaintenanceResult.run_id),
            )
            .join(MaintenanceRun, MaintenanceRun.id == MaintenanceResult.run_id)
            .group_by(MaintenanceResult.location, MaintenanceRun.ended_at, MaintenanceResult.status)
        ).all()
    views: dict[str, tuple[datetime, dict[str, int]]] = {}
    for location, ended, status, count in rows:
        if ended is None:
            continue
        entry = views.setdefault(location, (ended, {"warn": 0, "fail": 0}))
        if status in entry[1]:
            entry[1][status] = int(count)
    return [(loc, at, found) for loc, (at, found) in sorted(views.items())]


# ---- reports --------------------------------------------------------------------------------------
@translated("numbering a report")
def new_report(
    store: Engine, run_id: int, location: str, directory: str, kind: str, year: int, number: Callable[[int], str]
) -> ReportInfo:
    """A drafted report numbered ``number(seq)``, ``seq`` the next of ``kind`` in ``year`` (from 1 each year).

    Raises:
        RuleError: the number is longer than the store keeps, or another report holds it already.
    """
    for attempt in range(3):
        try:
            with Session(store) as s, s.begin():
                seq = next_seq(s, kind, year)
                text = number(seq)
                if len(text) > NUMBER_LENGTH:
                    raise RuleError(
                        Msg(
                            "report number '{text}' is longer than {most} characters; shorten the pattern",
                            text=text,
                            most=NUMBER_LENGTH,
                        )
                    )
                if s.scalar(select(Report.id).where(Report.number == text)) is not None:
                    raise RuleError(
                        Msg(
                            "report number '{text}' is taken; the numbering pattern needs {{seq}} and {{tahun}}",
                            text=text,
                        )
                    )
                report = Report(
                    run_id=run_id,
                    location=location,
                    number=text,
                    state="drafted",
                    created_at=_now(),
                    directory=directory,
                )
                s.add(report)
                s.flush()
                return _report(report)
        except IntegrityError:  # another process began the year's sequence at the same moment: count on from it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@translated("reading a report")
def report(store: Engine, report_id: int) -> ReportInfo:
    with Session(store) as s:
        row = s.get(Report, report_id)
        if row is None:
            raise NotFound(Msg("no report {report_id}; see pantau report list", report_id=report_id))
        return _report(row)


@translated("reading a report's signatures")
def signatures(store: Engine, report_id: int) -> list[SignatureInfo]:
    with Session(store) as s:
        rows = s.scalars(
            select(ReportSignature).where(ReportSignature.report_id == report_id).order_by(ReportSignature.id)
        )
        return [SignatureInfo(x.role, x.name, x.at, x.account) for x in rows]


@translated("signing a report")
def add_signature(
    store: Engine, report: ReportInfo, role: str, name: str, state: str, account: str | None = None
) -> ReportInfo:
    """Sign ``report`` as ``role`` under ``name`` (as printed), by ``account`` (who did it), moving it from the
    state it was read in to ``state``: compare and set, so of two signers at once only one signs this step.

    Raises:
        RuleError: the report was signed meanwhile.
    """
    with Session(store) as s, s.begin():
        moved = s.execute(
            update(Report).where(Report.id == report.id, Report.state == report.state).values(state=state)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise RuleError(
                Msg("report {number} was signed meanwhile; see pantau report list and sign again", number=report.number)
            )
        s.add(ReportSignature(report_id=report.id, role=role, name=name, at=_now(), account=account))
    return ReportInfo(
        report.id, report.run_id, report.location, report.number, state, report.created_at, report.directory
    )


@translated("listing reports")
def reports(store: Engine, limit: int = 50) -> list[ReportInfo]:
    with Session(store) as s:
        return [_report(r) for r in s.scalars(select(Report).order_by(Report.id.desc()).limit(limit))]
