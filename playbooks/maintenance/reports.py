"""Reports of maintenance runs: numbering, files, and the review workflow of Batam SOP 05
(drafted → acknowledged by the OPD → checked by the Kasi → forwarded by the Kabid → reviewed by the Kadis,
each step allowed 1 day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.findings import DC
from core.sop import REVIEW_STEP_ALLOWANCE
from exporters.reports import ROLES, STATES, ReportData, Signature, render
from inventory.models import Inventory
from playbooks.errors import PlaybookError
from store import maintenance
from store.engine import Store
from store.files import REPORT_DIRECTORY_MODE, private_directory, write_report
from store.maintenance import ReportInfo

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
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


def _data(store: Store, inv: Inventory, report: ReportInfo, lang: str) -> ReportData:
    run, results = maintenance.results_of(store, report.run_id)
    signatures = [Signature(x.role, x.name, x.at) for x in maintenance.signatures(store, report.id)]
    names = _names(inv, lang)
    chosen = results if report.location == "*" else [r for r in results if r.location == report.location]
    return ReportData(
        number=report.number,
        location=report.location,
        location_name=names.get(report.location, report.location),
        agency=inv.agency.name,
        team=inv.agency.team,
        plan=run.plan or DEFAULT_PLAN,
        started_at=run.started_at,
        timezone=inv.agency.timezone,
        results=chosen,
        state=report.state,
        signatures=signatures,
        location_names=names,
    )


def _write(store: Store, inv: Inventory, report: ReportInfo, langs: list[str]) -> list[Path]:
    directory = Path(report.directory)
    private_directory(directory, REPORT_DIRECTORY_MODE)
    stem = report.number.replace("/", "-")
    paths = []
    for lang in langs:
        data = _data(store, inv, report, lang)
        for fmt in ("md", "html"):
            path = directory / f"{stem}.{lang}.{fmt}"
            write_report(path, render(data, lang, fmt))
            paths.append(path)
    return paths


def create_reports(store: Store, inv: Inventory, run_id: int, directory: Path, langs: list[str]) -> list[ReportFiles]:
    """A Berita Acara per location of the run, and the summary; files in ``directory``."""
    run, results = maintenance.results_of(store, run_id)
    locations = list(dict.fromkeys(r.location for r in results))
    started = run.started_at.astimezone()
    out = []
    for location in [*locations, "*"]:
        kind = "LAP-PJB" if location == "*" else "BA-PJB"
        where = "SEMUA" if location == "*" else location.upper()
        number = f"{{id:03d}}/{kind}/{where}/{ROMAN[started.month - 1]}/{started.year}"
        report = maintenance.new_report(store, run_id, location, str(directory), number)
        out.append(ReportFiles(report.id, report.number, location, _write(store, inv, report, langs)))
    return out


def sign(
    store: Store, inv: Inventory, report_id: int, role: str, name: str, langs: list[str]
) -> tuple[str, list[Path]]:
    """Record ``name`` as ``role`` on the report; roles sign in SOP order. Returns the new state and files."""
    if role not in ROLES:
        raise PlaybookError(f"--as {role}: choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise PlaybookError("--name is empty: write the signer's name")
    report = maintenance.report(store, report_id)
    done = [x.role for x in maintenance.signatures(store, report_id)]
    expected = next((r for r in ROLES if r not in done), None)
    if expected is None:
        raise PlaybookError(f"report {report.number} is already reviewed by the Kadis")
    if role != expected:
        raise PlaybookError(f"report {report.number} is {report.state}: the next to sign is {expected}, not {role}")
    report = maintenance.add_signature(store, report, role, name.strip(), STATES[role])
    return report.state, _write(store, inv, report, langs)


def review_times(store: Store, report_id: int) -> list[dict[str, object]]:
    """Each review step's time since the previous one, against SOP 05's 1 day."""
    report = maintenance.report(store, report_id)
    previous: datetime = report.created_at
    out: list[dict[str, object]] = []
    for x in maintenance.signatures(store, report_id):
        out.append(
            {
                "role": x.role,
                "name": x.name,
                "at": x.at.isoformat(),
                "seconds": (x.at - previous).total_seconds(),
                "within_allowance": x.at - previous <= REVIEW_STEP_ALLOWANCE,
            }
        )
        previous = x.at
    return out


def report_list(store: Store, limit: int = 50) -> list[dict[str, object]]:
    return [
        {
            "id": r.id,
            "number": r.number,
            "run": r.run_id,
            "location": r.location,
            "state": r.state,
            "directory": r.directory,
        }
        for r in maintenance.reports(store, limit)
    ]
