"""SOP 15's monthly service report: the month's tickets per OPD and cause, each step's time against its
allowance, the breaches, and the time to restore, with a chart of tickets per OPD (HTML and PDF)."""

from __future__ import annotations

from typing import Any

from exporters.charts import tickets_per_opd
from exporters.reports import Letterhead, month_document, svg_uri
from i18n import Msg, words
from i18n.formats import number
from inventory.models import SopCatalog

TEXT: dict[str, Msg] = {
    "title": Msg("NETWORK FAULT HANDLING SERVICE REPORT"),
    "period": Msg("Period"),
    "basis": Msg(
        "Basis: {sop}. Each ticket is timed from the OPD's complaint; "
        "each step is compared with its time allowance (Mutu Baku). Times in {tz}."
    ),
    "per_opd": Msg("Tickets per OPD and cause"),
    "opd": Msg("OPD"),
    "tickets": Msg("Tickets"),
    "resolved": Msg("Resolved"),
    "open": Msg("Still open"),
    "cause": Msg("Cause (triage verdict)"),
    "steps": Msg("Time per step against the allowance"),
    "step": Msg("Step"),
    "sop": Msg("SOP"),
    "count": Msg("Count"),
    "avg": Msg("Mean (min)"),
    "median": Msg("Median (min)"),
    "max": Msg("Longest (min)"),
    "allowance": Msg("Allowance (min)"),
    "breaches": Msg("Over the allowance"),
    "breach_list": Msg("Steps over their allowance"),
    "ticket": Msg("Ticket"),
    "minutes": Msg("Minutes"),
    "no_breaches": Msg("No step took longer than its allowance."),
    "restore": Msg("Time to restore"),
    "restore_text": Msg("{n} tickets resolved; median time to restore {median}, 90th percentile {p90}."),
    "no_restore": Msg("No ticket was resolved in this period yet."),
    "no_tickets": Msg("No outage tickets in this period."),
    "chart": Msg("Tickets per OPD by cause"),
    "minute_unit": Msg("min"),
    "untriaged": Msg("not triaged"),
    "page": Msg("Page"),
    "of": Msg("of"),
}

SEED = SopCatalog()  # the seed documents' procedures: the default where a caller gives none


def _minutes(v: float | None, unit: str, lang: str) -> str:
    if v is None:
        return "—"
    return f"{number(v, lang, 0)} {unit}" if v < 120 else f"{number(v / 60, lang)} {'jam' if lang == 'id' else 'h'}"


def render_sla(
    report: dict[str, Any], kop: Letterhead, names: dict[str, str], lang: str = "id", fmt: str = "md"
) -> str:
    """The month report of :func:`playbooks.tickets.month_report` as Markdown or HTML (chart in HTML)."""
    t = words(TEXT, lang)

    def cause(c: str) -> str:
        return t["untriaged"] if c == "belum ditriage" else c

    per_cause = {o: {cause(c): n for c, n in v.items()} for o, v in report["per_opd_cause"].items()}
    chart = ""
    if fmt == "html" and per_cause:
        svg = tickets_per_opd(per_cause, names, lang)
        chart = svg_uri(svg)
    r = report["restore"]
    restore = (
        t["restore_text"].format(
            n=r["count"],
            median=_minutes(r["median_minutes"], t["minute_unit"], lang),
            p90=_minutes(r["p90_minutes"], t["minute_unit"], lang),
        )
        if r["count"]
        else t["no_restore"]
    )
    return month_document(
        "sla",
        fmt,
        t,
        lang,
        kop,
        report["month"],
        t["basis"].format(tz=report["timezone"], sop=report.get("sop", SEED.outage.label)),
        report=report,
        names=names,
        per_cause=per_cause,
        chart=chart,
        restore=restore,
    )
