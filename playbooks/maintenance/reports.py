"""Reports of maintenance runs: numbering, files, and the review workflow of Batam SOP 05
(drafted → acknowledged by the OPD → checked by the Kasi → forwarded by the Kabid → reviewed by the Kadis,
each step allowed 1 day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.findings import DC
from exporters.reports import ROLES, STATES, ReportData, Signature, render
from inventory.models import Inventory
from playbooks.errors import PlaybookError
from playbooks.maintenance.run import stored_results
from store.schema import Report, ReportSignature

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
STEP_ALLOWANCE = timedelta(days=1)
DEFAULT_PLAN = "Batam SOP 05 Pemeliharaan Jaringan Berkala"


@dataclass(frozen=True)
class ReportFiles:
    report_id: int
    number: str
    location: str
    paths: list[Path]


def _names(inv: Inventory, lang: str) -> dict[str, str]:
    names = {o.slug: o.name for o in inv.opds}
    names[DC] = "Pusat Data" if lang == "id" else "Data center"
    return names


def _data(store: Engine, inv: Inventory, report: Report, lang: str) -> ReportData:
    run, results = stored_results(store, report.run_id)
    with Session(store) as s:
        sigs = s.scalars(
            select(ReportSignature).where(ReportSignature.report_id == report.id).order_by(ReportSignature.id)
        ).all()
        signatures = [Signature(x.role, x.name, _aware(x.at)) for x in sigs]
    names = _names(inv, lang)
    chosen = results if report.location == "*" else [r for r in results if r.location == report.location]
    return ReportData(
        number=report.number,
        location=report.location,
        location_name=names.get(report.location, report.location),
        agency=inv.agency.name,
        team=inv.agency.team,
        plan=run.plan or DEFAULT_PLAN,
        started_at=_aware(run.started_at),
        timezone=inv.agency.timezone,
        results=chosen,
        state=report.state,
        signatures=signatures,
        location_names=names,
    )


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _write(store: Engine, inv: Inventory, report: Report, langs: list[str]) -> list[Path]:
    directory = Path(report.directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = report.number.replace("/", "-")
    paths = []
    for lang in langs:
        data = _data(store, inv, report, lang)
        for fmt in ("md", "html"):
            path = directory / f"{stem}.{lang}.{fmt}"
            path.write_text(render(data, lang, fmt), encoding="utf-8")
            paths.append(path)
    return paths


def create_reports(store: Engine, inv: Inventory, run_id: int, directory: Path, langs: list[str]) -> list[ReportFiles]:
    """A Berita Acara per location of the run, and the summary; files in ``directory``."""
    run, results = stored_results(store, run_id)
    locations = list(dict.fromkeys(r.location for r in results))
    started = _aware(run.started_at).astimezone()
    out = []
    for location in [*locations, "*"]:
        with Session(store) as s, s.begin():
            report = Report(
                run_id=run_id,
                location=location,
                number=f"pending-{run_id}-{location}",
                state="drafted",
                created_at=datetime.now(UTC),
                directory=str(directory),
            )
            s.add(report)
            s.flush()
            kind = "LAP-PJB" if location == "*" else "BA-PJB"
            where = "SEMUA" if location == "*" else location.upper()
            report.number = f"{report.id:03d}/{kind}/{where}/{ROMAN[started.month - 1]}/{started.year}"
            s.flush()
            s.expunge(report)
        out.append(ReportFiles(report.id, report.number, location, _write(store, inv, report, langs)))
    return out


def sign(
    store: Engine, inv: Inventory, report_id: int, role: str, name: str, langs: list[str]
) -> tuple[str, list[Path]]:
    """Record ``name`` as ``role`` on the report; roles sign in SOP order. Returns the new state and files."""
    if role not in ROLES:
        raise PlaybookError(f"--as {role}: choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise PlaybookError("--name is empty: write the signer's name")
    with Session(store) as s, s.begin():
        report = s.get(Report, report_id)
        if report is None:
            raise PlaybookError(f"no report {report_id}; see pantau report list")
        done = [x.role for x in s.scalars(select(ReportSignature).where(ReportSignature.report_id == report_id))]
        expected = next((r for r in ROLES if r not in done), None)
        if expected is None:
            raise PlaybookError(f"report {report.number} is already reviewed by the Kadis")
        if role != expected:
            raise PlaybookError(f"report {report.number} is {report.state}: the next to sign is {expected}, not {role}")
        s.add(ReportSignature(report_id=report_id, role=role, name=name.strip(), at=datetime.now(UTC)))
        report.state = STATES[role]
        s.flush()
        s.expunge(report)
    return report.state, _write(store, inv, report, langs)


def review_times(store: Engine, report_id: int) -> list[dict[str, object]]:
    """Each review step's time since the previous one, against SOP 05's 1 day."""
    with Session(store) as s:
        report = s.get(Report, report_id)
        if report is None:
            raise PlaybookError(f"no report {report_id}; see pantau report list")
        sigs = s.scalars(
            select(ReportSignature).where(ReportSignature.report_id == report_id).order_by(ReportSignature.id)
        ).all()
        previous = _aware(report.created_at)
        out = []
        for x in sigs:
            at = _aware(x.at)
            out.append(
                {
                    "role": x.role,
                    "name": x.name,
                    "at": at.isoformat(),
                    "seconds": (at - previous).total_seconds(),
                    "within_allowance": at - previous <= STEP_ALLOWANCE,
                }
            )
            previous = at
        return out


def report_list(store: Engine, limit: int = 50) -> list[dict[str, object]]:
    with Session(store) as s:
        rows = s.scalars(select(Report).order_by(Report.id.desc()).limit(limit)).all()
        return [
            {
                "id": r.id,
                "number": r.number,
                "run": r.run_id,
                "location": r.location,
                "state": r.state,
                "directory": r.directory,
            }
            for r in rows
        ]
