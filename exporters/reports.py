"""Berita Acara and summary rendering (Jinja2): Bahasa Indonesia first, English with ``lang="en"``;
Markdown and printable HTML. Pure: the caller passes everything the report shows."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.findings import DC, Result, Status
from core.sop import REVIEW_ROLES
from exporters.naskah import clock, date_time, in_words, long_date, month_name
from exporters.report_text import CHECK_NAMES, TEXT
from i18n import in_language, words
from i18n.formats import number
from inventory.models import Person

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Signature:
    role: str
    name: str
    at: datetime


@dataclass(frozen=True)
class Letterhead:
    """The kop surat: the government, the agency, its address and contact, a logo (a ``data:`` URI)."""

    agency: str
    government: str | None = None
    address: str | None = None
    contact: str | None = None
    logo: str | None = None
    city: str | None = None  # where the document is signed


@dataclass(frozen=True)
class ReportData:
    number: str
    location: str  # OPD slug, "pusat-data", or "*" for the summary
    location_name: str
    letterhead: Letterhead
    team: str
    plan: str | None  # None: the default plan text, in the report's language
    started_at: datetime
    timezone: str
    results: list[Result]
    state: str = "drafted"
    signatures: list[Signature] = field(default_factory=list)
    location_names: dict[str, str] = field(default_factory=dict)  # for the summary
    officer: Person | None = None  # Pihak Pertama: who carried the work out
    representative: Person | None = None  # Pihak Kedua: the OPD's, for work at an OPD
    known_by: Person | None = None  # "Mengetahui": the Kepala Dinas (or the Kabid)
    review: tuple[str, ...] = REVIEW_ROLES  # the review steps of this report (no OPD step for the data center's)
    basis: str = "SOP 05 Pemeliharaan Jaringan Berkala"  # the agency's maintenance procedure (agency.sops)


def env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html.j2"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = number  # {{ value | num(lang) }}: the language's decimal mark and grouping
    return env


def month_document(
    name: str, fmt: str, t: dict[str, str], lang: str, kop: Letterhead, month: str, basis: str, **context: Any
) -> str:
    """A month's document from template ``name`` (``md`` or ``html``): its words ``t``, the kop, the month
    (YYYY-MM) as its period, the footer (its title and the period), the basis line, and its own ``context``."""
    first = date.fromisoformat(f"{month}-01")
    period = month_name(first.year, first.month, lang)
    footer = f"{t['title'].capitalize()} — {period}"
    template = env().get_template(f"{name}.{fmt}.j2")
    return template.render(t=t, lang=lang, kop=kop, period=period, footer=footer, basis=basis, **context)


def svg_uri(svg: str) -> str:
    """An SVG chart as a ``data:`` URI, for an ``<img>`` of the HTML (and so of the PDF)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _person(person: Person | None, t: dict[str, str], jabatan: str | None = None) -> dict[str, str]:
    """A signer's lines; blanks to fill by hand for anyone the inventory does not list."""
    return {
        "name": person.name if person else t["blank_name"],
        "nip": (person.nip or t["blank_nip"]) if person else t["blank_nip"],
        "jabatan": person.jabatan if person else (jabatan or t["blank_jabatan"]),
        "listed": "yes" if person else "",
    }


def _context(data: ReportData, lang: str) -> dict[str, Any]:
    t = words(TEXT, lang)
    en = lang == "en"
    tz = ZoneInfo(data.timezone)
    started = data.started_at.astimezone(tz)
    rows = [
        {
            "check": in_language(CHECK_NAMES.get(r.check, r.check), lang),
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
    tally = Counter(r.status.value for r in data.results)
    signed = {s.role: s for s in data.signatures}
    place = data.location_name
    plan = data.plan or t["default_plan"]
    at_opd = data.location not in (DC, "*")
    return {
        "t": t,
        "d": data,
        "lang": lang,
        "kop": data.letterhead,
        "footer": f"{t['number']} {data.number}",
        "date": long_date(started.date(), lang),
        "when": date_time(started, lang),
        "opening": t["opening_two" if at_opd else "opening_one"].format(
            date=in_words(started.date(), lang), place=place
        ),
        "body": t["body_opd" if at_opd else "body_dc"].format(place=place, plan=plan, time=clock(started, lang)),
        "tally": t["tally"].format(n=len(data.results), **{k: tally[k] for k in ("pass", "warn", "fail", "skip")}),
        "summary_opening": t["summary_opening"].format(
            date=long_date(started.date(), lang), team=data.team, n=len(counts), plan=plan, time=clock(started, lang)
        ),
        "called_one": t["called_one"].format(team=data.team),
        "plan": plan,
        "at_opd": at_opd,
        "officer": _person(data.officer, t),
        "representative": _person(data.representative, t, t["representative_of"].format(place=place)),
        "known_by": _person(data.known_by, t),
        "signed_at": f"{data.letterhead.city}, {long_date(started.date(), lang)}"
        if data.letterhead.city
        else long_date(started.date(), lang),
        "rows": rows,
        "findings": [r for r in rows if r["status"] in (Status.WARN.value, Status.FAIL.value)],
        "changes": [r for r in rows if r["id"] == "config.backup" and r["detail"]],
        "counts": counts,
        "state_text": t[data.state],
        "signatures": [
            {
                "role": t[role],
                "name": signed[role].name if role in signed else None,
                "at": date_time(signed[role].at.astimezone(tz), lang) if role in signed else None,
            }
            for role in data.review
        ],
        "names": data.location_names,
    }


def render(data: ReportData, lang: str = "id", fmt: str = "md") -> str:
    """The Berita Acara of one location (or the summary when ``data.location == '*'``) as Markdown or HTML."""
    kind = "summary" if data.location == "*" else "berita_acara"
    return env().get_template(f"{kind}.{fmt}.j2").render(**_context(data, lang))
