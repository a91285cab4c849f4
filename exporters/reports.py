"""Berita Acara and summary rendering (Jinja2): Bahasa Indonesia first, English with ``lang="en"``;
Markdown and printable HTML. Pure: the caller passes everything the report shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.findings import Result, Status

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLES = ("opd", "kasi", "kabid", "kadis")  # the order of SOP 05's review
STATES = {"opd": "acknowledged", "kasi": "checked", "kabid": "forwarded", "kadis": "reviewed"}

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "BERITA ACARA PEMELIHARAAN JARINGAN BERKALA",
        "summary_title": "LAPORAN HASIL PEMELIHARAAN JARINGAN BERKALA",
        "number": "Nomor",
        "date": "Tanggal/waktu",
        "location": "Lokasi",
        "team": "Tim pelaksana",
        "plan": "Rujukan rencana",
        "checks": "Hasil pemeriksaan",
        "no": "No",
        "check": "Pemeriksaan",
        "device": "Perangkat",
        "subject": "Objek",
        "result": "Hasil",
        "finding": "Keterangan",
        "findings": "Temuan dan tindak lanjut",
        "no_findings": "Tidak ada temuan: semua pemeriksaan lulus.",
        "follow_up": "Tindak lanjut",
        "changes": "Perubahan konfigurasi",
        "no_changes": "Tidak ada perubahan konfigurasi.",
        "review": "Status pemeriksaan laporan",
        "state": "Status",
        "signatures": "Tanda tangan",
        "opd": "Mengetahui, perwakilan OPD",
        "kasi": "Diperiksa oleh Kepala Seksi",
        "kabid": "Diteruskan oleh Kepala Bidang",
        "kadis": "Ditelaah oleh Kepala Dinas",
        "signed": "ditandatangani",
        "unsigned": "(nama dan tanda tangan)",
        "totals": "Ringkasan per lokasi",
        "opening": "Pada tanggal tersebut di atas, {team} telah melaksanakan pemeliharaan jaringan berkala "
        "sesuai rencana kerja, dengan hasil sebagai berikut.",
        "pass": "lulus",
        "warn": "peringatan",
        "fail": "gagal",
        "skip": "tidak diperiksa",
        "drafted": "draf",
        "acknowledged": "diketahui OPD",
        "checked": "diperiksa Kasi",
        "forwarded": "diteruskan Kabid",
        "reviewed": "ditelaah Kadis",
        "dc": "Pusat Data",
    },
    "en": {
        "title": "PERIODIC NETWORK MAINTENANCE REPORT (BERITA ACARA)",
        "summary_title": "PERIODIC NETWORK MAINTENANCE SUMMARY",
        "number": "Number",
        "date": "Date/time",
        "location": "Location",
        "team": "Executing team",
        "plan": "Plan reference",
        "checks": "Check results",
        "no": "No",
        "check": "Check",
        "device": "Device",
        "subject": "Subject",
        "result": "Result",
        "finding": "Finding",
        "findings": "Findings and follow-up",
        "no_findings": "No findings: every check passed.",
        "follow_up": "Follow-up",
        "changes": "Configuration changes",
        "no_changes": "No configuration changes.",
        "review": "Review status",
        "state": "State",
        "signatures": "Signatures",
        "opd": "Acknowledged by the OPD",
        "kasi": "Checked by the Head of Section",
        "kabid": "Forwarded by the Head of Division",
        "kadis": "Reviewed by the Head of Agency",
        "signed": "signed",
        "unsigned": "(name and signature)",
        "totals": "Summary per location",
        "opening": "On the date above, {team} carried out the periodic network maintenance according to the work "
        "plan, with the following results.",
        "pass": "pass",
        "warn": "warning",
        "fail": "fail",
        "skip": "not checked",
        "drafted": "draft",
        "acknowledged": "acknowledged by the OPD",
        "checked": "checked by the Head of Section",
        "forwarded": "forwarded by the Head of Division",
        "reviewed": "reviewed by the Head of Agency",
        "dc": "Data center",
    },
}

CHECK_NAMES = {
    "reach.icmp": ("Jangkauan ICMP", "ICMP reachability"),
    "reach.snmp": ("Jangkauan SNMP", "SNMP reachability"),
    "reach.ssh": ("Jangkauan SSH", "SSH reachability"),
    "uptime.restart": ("Restart tak terencana", "Unplanned restart"),
    "link.status": ("Status jalur", "Link status"),
    "link.errors": ("Galat jalur", "Link errors"),
    "health.cpu": ("Beban CPU", "CPU load"),
    "health.memory": ("Memori", "Memory"),
    "health.disk": ("Disk", "Disk"),
    "clock.skew": ("Jam perangkat", "Device clock"),
    "routing.routes": ("Rute", "Routes"),
    "routing.ospf": ("Tetangga OSPF", "OSPF neighbor"),
    "dns.soa": ("DNS SOA", "DNS SOA"),
    "config.backup": ("Cadangan konfigurasi", "Configuration backup"),
}


@dataclass(frozen=True)
class Signature:
    role: str
    name: str
    at: datetime


@dataclass(frozen=True)
class ReportData:
    number: str
    location: str  # OPD slug, "pusat-data", or "*" for the summary
    location_name: str
    agency: str
    team: str
    plan: str
    started_at: datetime
    timezone: str
    results: list[Result]
    state: str = "drafted"
    signatures: list[Signature] = field(default_factory=list)
    location_names: dict[str, str] = field(default_factory=dict)  # for the summary


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html.j2"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _context(data: ReportData, lang: str) -> dict[str, Any]:
    if lang not in TEXT:
        raise ValueError(f"language '{lang}': choose id or en")
    t = TEXT[lang]
    en = lang == "en"
    tz = ZoneInfo(data.timezone)

    def local(dt: datetime) -> str:
        return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    rows = [
        {
            "check": CHECK_NAMES.get(r.check, (r.check, r.check))[1 if en else 0],
            "id": r.check,
            "location": r.location,
            "device": r.device,
            "subject": r.subject,
            "status": r.status.value,
            "status_text": t[r.status.value],
            "finding": r.finding_en if en else r.finding,
            "follow_up": r.follow_up_en if en else r.follow_up,
            "detail": r.detail,
        }
        for r in data.results
    ]
    counts: dict[str, Counter[str]] = {}
    for r in data.results:
        counts.setdefault(r.location, Counter())[r.status.value] += 1
    signed = {s.role: s for s in data.signatures}
    return {
        "t": t,
        "d": data,
        "when": local(data.started_at),
        "rows": rows,
        "findings": [r for r in rows if r["status"] in (Status.WARN.value, Status.FAIL.value)],
        "changes": [r for r in rows if r["id"] == "config.backup" and r["detail"]],
        "counts": counts,
        "state_text": t[data.state],
        "signatures": [
            {
                "role": t[role],
                "name": signed[role].name if role in signed else None,
                "at": local(signed[role].at) if role in signed else None,
            }
            for role in ROLES
        ],
        "opening": t["opening"].format(team=data.team),
        "names": data.location_names,
    }


def render(data: ReportData, lang: str = "id", fmt: str = "md") -> str:
    """The Berita Acara of one location (or the summary when ``data.location == '*'``) as Markdown or HTML."""
    kind = "summary" if data.location == "*" else "berita_acara"
    return _env().get_template(f"{kind}.{fmt}.j2").render(**_context(data, lang))


def render_tickets(report: dict[str, Any], agency: str, fmt: str = "md") -> str:
    """The month's SOP 15 ticket report (Bahasa Indonesia) as Markdown or HTML."""
    return _env().get_template(f"tickets.{fmt}.j2").render(agency=agency, **report)
