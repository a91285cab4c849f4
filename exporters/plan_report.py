"""SOP 13's bandwidth map as a document in the agency's form (Markdown, HTML with its chart): per OPD, its
link, its measured use, what it asks, the rate it is guaranteed and its ceiling, and why; the capacity,
the floors the capacity cannot give, and the Kabid's approval to fill in."""

from __future__ import annotations

from datetime import datetime

from core.bandwidth_plan import MBIT, Plan
from exporters.charts import plan_bars
from exporters.naskah import date_time
from exporters.reports import Letterhead, month_document, svg_uri
from i18n import Msg, in_language, words
from i18n.formats import number
from inventory.models import SopCatalog
from inventory.models.agency import Person

TEXT: dict[str, Msg] = {
    "title": Msg("BANDWIDTH MAP OF THE OPDS"),
    "from": Msg("Measured in"),
    "basis": Msg(
        "Basis: {sop}, mapping the bandwidth to give each OPD within the "
        "resources available. Each OPD asks for its month's 95th percentile times {headroom:g}, between its "
        "floor and the lower of its cap and its link; the floors come first and the rest is shared by weight "
        "(max-min fair share)."
    ),
    "capacity": Msg("Capacity shared: {capacity} Mbit/s; guaranteed in all: {guaranteed} Mbit/s."),
    "unmet": Msg("The capacity cannot give these OPDs their floor: {opds}."),
    "opd": Msg("OPD"),
    "link": Msg("Link (Mbit/s)"),
    "today": Msg("Today (Mbit/s)"),
    "measured": Msg("p95 (Mbit/s)"),
    "asks": Msg("Asks (Mbit/s)"),
    "guaranteed": Msg("Guaranteed (Mbit/s)"),
    "ceiling": Msg("Ceiling (Mbit/s)"),
    "why": Msg("Why"),
    "chart": Msg("Guaranteed rate and ceiling per OPD, with the measured p95"),
    "approved_by": Msg("Approved by,"),
    "number": Msg("Number"),
    "approved": Msg("Approved in pantau by {name} on {at}."),
    "nip": Msg("NIP"),
    "blank_name": Msg("(.........................................)"),
    "blank_jabatan": Msg("Head of Division"),
    "page": Msg("Page"),
    "of": Msg("of"),
}

SEED = SopCatalog()  # the seed documents' procedures: the default where a caller gives none


def render_plan(
    planned: Plan,
    month: str,
    links: dict[str, float],
    kop: Letterhead,
    names: dict[str, str],
    kabid: Person | None,
    lang: str = "id",
    fmt: str = "md",
    number: str | None = None,
    approval: tuple[str, datetime] | None = None,
    today: dict[str, float] | None = None,
    sop: str = SEED.bandwidth.label,
) -> str:
    """The plan made from ``month`` (YYYY-MM) as Markdown or HTML (the chart in HTML only); ``links`` is
    each OPD's link rate in bit/s. A plan kept in the store has its ``number``, and once the Kabid approved
    it in pantau its ``approval`` (who, when in the agency's zone). ``today``: each OPD's ceiling as its
    shaping device held it when the plan was made (a column of its own; none: not read)."""
    t = words(TEXT, lang)
    rows = [
        {
            "name": names.get(s.opd, s.opd),
            "link": _mbit(links.get(s.opd), lang),
            "today": _mbit((today or {}).get(s.opd), lang),
            "measured": _mbit(s.measured_bps, lang),
            "asks": _mbit(s.asked_bps, lang),
            "guaranteed": _mbit(s.guaranteed_bps, lang),
            "ceiling": _mbit(s.ceiling_bps, lang),
            "why": in_language(s.why, lang),
        }
        for s in planned.shares
    ]
    chart = ""
    if fmt == "html":
        bars = [
            (
                names.get(s.opd, s.opd),
                None if s.measured_bps is None else s.measured_bps / MBIT,
                s.guaranteed_bps / MBIT,
                s.ceiling_bps / MBIT,
            )
            for s in planned.shares
        ]
        chart = svg_uri(plan_bars(bars, lang))
    unmet = t["unmet"].format(opds=", ".join(names.get(o, o) for o in planned.unmet)) if planned.unmet else ""
    return month_document(
        "bandwidth_plan",
        fmt,
        t,
        lang,
        kop,
        month,
        t["basis"].format(headroom=planned.headroom, sop=sop),
        capacity=t["capacity"].format(
            capacity=_mbit(planned.capacity_bps, lang), guaranteed=_mbit(planned.guaranteed_bps, lang)
        ),
        unmet=unmet,
        rows=rows,
        with_today=bool(today),
        chart=chart,
        kabid=kabid,
        number=number,
        approved=None if approval is None else t["approved"].format(name=approval[0], at=date_time(approval[1], lang)),
    )


def _mbit(bps: float | None, lang: str) -> str:
    return "—" if bps is None else number(bps / MBIT, lang, fixed=True)
