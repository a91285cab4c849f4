"""Reports of maintenance runs: numbering, files (Markdown, HTML, PDF), and the review workflow of SOP 05
(drafted → acknowledged by the OPD → checked by the Kasi → forwarded by the Kabid → reviewed by the Kadis,
each step allowed 1 day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.findings import DC
from core.sop import REVIEW_ROLES, REVIEW_STATES, STAFF_REVIEWERS, review_allowance
from exporters.naskah import ROMAN
from exporters.reports import Letterhead, ReportData, Signature, render
from i18n import Msg, in_language
from inventory.models import Inventory, SopCatalog
from playbooks.documents import letterhead, write_document
from playbooks.errors import PlaybookError
from store import maintenance
from store.engine import Store
from store.maintenance import ReportInfo


@dataclass(frozen=True)
class ReportFiles:
    report_id: int
    number: str
    location: str
    paths: list[Path]


def _names(inv: Inventory, lang: str) -> dict[str, str]:
    names = {o.slug: o.name for o in inv.opds}
    names[DC] = in_language(Msg("Data center"), lang)
    return names


def review_roles(location: str) -> tuple[str, ...]:
    """SOP 05's review steps of a report: the OPD acknowledges only the Berita Acara of work at its office."""
    return REVIEW_ROLES if location not in (DC, "*") else STAFF_REVIEWERS


def _data(store: Store, inv: Inventory, report: ReportInfo, lang: str, kop: Letterhead) -> ReportData:
    run, results = maintenance.results_of(store, report.run_id)
    signatures = [Signature(x.role, x.name, x.at) for x in maintenance.signatures(store, report.id)]
    names = _names(inv, lang)
    chosen = results if report.location == "*" else [r for r in results if r.location == report.location]
    people = inv.agency.people
    opd = next((o for o in inv.opds if o.slug == report.location), None)
    return ReportData(
        number=report.number,
        location=report.location,
        location_name=names.get(report.location, report.location),
        letterhead=kop,
        team=inv.agency.team,
        plan=run.plan,
        started_at=run.started_at,
        timezone=inv.agency.timezone,
        results=chosen,
        state=report.state,
        signatures=signatures,
        location_names=names,
        officer=people.officer,
        representative=opd.representative if opd else None,
        known_by=people.kadis or people.kabid,
        review=review_roles(report.location),
        basis=inv.agency.sops.maintenance.label,
    )


def _write(store: Store, inv: Inventory, report: ReportInfo, langs: list[str]) -> list[Path]:
    stem = report.number.replace("/", "-")
    kop = letterhead(inv)
    paths = []
    for lang in langs:
        data = _data(store, inv, report, lang, kop)
        paths += write_document(
            Path(report.directory), f"{stem}.{lang}", render(data, lang, "md"), render(data, lang, "html")
        )
    return paths


def report_number(inv: Inventory, kind: str, seq: int, when: datetime, location: str) -> str:
    """The number of a document in the agency's pattern (``agency.numbering``)."""
    a = inv.agency
    pattern = getattr(a.numbering, kind)
    local = when.astimezone(ZoneInfo(a.timezone))
    where = "SEMUA" if location == "*" else location.upper()
    fields = {"kode": a.code, "unit": a.unit, "bulan": ROMAN[local.month - 1], "tahun": local.year, "lokasi": where}
    return str(pattern.format(seq=seq, **fields))


def create_reports(store: Store, inv: Inventory, run_id: int, directory: Path, langs: list[str]) -> list[ReportFiles]:
    """A Berita Acara per location of the run, and the summary; files in ``directory``. Numbers follow the
    agency's pattern, their sequence and year in the agency's time zone (not the host's)."""
    run, results = maintenance.results_of(store, run_id)
    locations = list(dict.fromkeys(r.location for r in results))
    year = run.started_at.astimezone(ZoneInfo(inv.agency.timezone)).year
    out = []
    for location in [*locations, "*"]:
        kind = "laporan" if location == "*" else "berita_acara"

        def number(seq: int, kind: str = kind, location: str = location) -> str:
            return report_number(inv, kind, seq, run.started_at, location)

        report = maintenance.new_report(store, run_id, location, str(directory), kind, year, number)
        out.append(ReportFiles(report.id, report.number, location, _write(store, inv, report, langs)))
    return out


def sign(
    store: Store, inv: Inventory, report_id: int, role: str, name: str, langs: list[str], account: str | None = None
) -> tuple[str, list[Path]]:
    """Record ``name`` as ``role`` on the report, signed by ``account`` (the page's login, the CLI's
    operator); roles sign in SOP order. Returns the new state and files."""
    if role not in REVIEW_ROLES:
        raise PlaybookError(Msg("--as {role}: choose one of {known}", role=role, known=", ".join(REVIEW_ROLES)))
    if not name.strip():
        raise PlaybookError(Msg("--name is empty: write the signer's name"))
    report = maintenance.report(store, report_id)
    done = [x.role for x in maintenance.signatures(store, report_id)]
    roles = review_roles(report.location)
    if role not in roles:
        whose = Msg("the summary") if report.location == "*" else Msg("the data center's")
        raise PlaybookError(
            Msg(
                "report {report} is {whose}: no OPD acknowledges it; the first to sign is kasi",
                report=report.number,
                whose=whose,
            )
        )
    expected = next((r for r in roles if r not in done), None)
    if expected is None:
        raise PlaybookError(Msg("report {report} is already reviewed by the Kadis", report=report.number))
    if role != expected:
        raise PlaybookError(
            Msg(
                "report {report} is {state}: the next to sign is {expected}, not {role}",
                report=report.number,
                state=report.state,
                expected=expected,
                role=role,
            )
        )
    report = maintenance.add_signature(store, report, role, name.strip(), REVIEW_STATES[role], account)
    return report.state, _write(store, inv, report, langs)


def review_times(store: Store, report_id: int, sops: SopCatalog) -> list[dict[str, object]]:
    """Each review step's time since the previous one, against the maintenance procedure's allowance."""
    allowed = review_allowance(sops)
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
                "allowance_seconds": allowed.total_seconds(),
                "within_allowance": x.at - previous <= allowed,
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
