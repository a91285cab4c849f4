"""SOP 13's monthly bandwidth survey as a document: a summary table of every OPD link, then per link its
figures, the recommendation with its reason, and two charts (HTML and PDF; Markdown has the tables)."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.bandwidth import LinkSurvey, SurveyThresholds, reason
from exporters.charts import daily_p95, heat_map
from exporters.report_text import BANDWIDTH_TEXT
from exporters.reports import Letterhead, month_document, svg_uri
from i18n import in_language, words
from i18n.formats import number, percent
from inventory.models import SopCatalog

CSS = {"upgrade": "fail", "lower": "warn", "keep": "pass"}

SEED = SopCatalog()  # the seed documents' procedures: the default where a caller gives none


def _mbit(v: float | None, lang: str) -> str:
    return "—" if v is None else number(v / 1e6, lang, 2, fixed=True)


def _pct(v: float | None, lang: str, digits: int = 2) -> str:
    return "—" if v is None else percent(v, lang, digits, fixed=True)


def chart_uris(r: LinkSurvey, first: date, t: SurveyThresholds, lang: str) -> dict[str, str]:
    """The link's two charts as ``data:`` URIs of SVG, or none when the link has no data."""
    if not r.daily:
        return {}
    return {"daily": svg_uri(daily_p95(r, first, t.upgrade_ratio, lang)), "heat": svg_uri(heat_map(r, first, lang))}


def _row(
    r: LinkSurvey, names: dict[str, str], t: SurveyThresholds, lang: str, charts: dict[str, str]
) -> dict[str, Any]:
    text = words(BANDWIDTH_TEXT, lang)
    peak = max((v for v in (r.peak_in_bps, r.peak_out_bps) if v is not None), default=None)
    mean = max((v for v in (r.mean_in_bps, r.mean_out_bps) if v is not None), default=None)
    return {
        "opd": r.opd,
        "opd_name": names.get(r.opd, r.opd),
        "link": r.link,
        "subscribed": _mbit(r.subscribed_bps, lang),
        "p95_in": _mbit(r.p95_in_bps, lang),
        "p95_out": _mbit(r.p95_out_bps, lang),
        "peak": _mbit(peak, lang),
        "mean": _mbit(mean, lang),
        "volume": number(r.volume_in_gb + r.volume_out_gb, lang, fixed=True),
        "availability": _pct(r.availability, lang, 3),
        "monitored": f"{number(r.monitored_seconds / 86400, lang)} {text['days']}",
        "loss": _pct(r.loss_p95, lang),
        "rtt": "—" if r.rtt_p95_seconds is None else f"{number(r.rtt_p95_seconds * 1000, lang)} ms",
        "busy": number(r.hours_above_busy, lang, fixed=True),
        "days_full": str(r.days_full),
        "word": text[r.recommendation],
        "css": CSS.get(r.recommendation, "skip"),
        "reason": in_language(reason(r, t), lang),
        "charts": charts,
    }


def render_bandwidth(
    rows: list[LinkSurvey],
    month: str,
    tz: str,
    kop: Letterhead,
    names: dict[str, str],
    t: SurveyThresholds,
    lang: str = "id",
    fmt: str = "md",
    sop: str = SEED.bandwidth.label,
) -> str:
    """The month's survey (``month`` YYYY-MM) as Markdown or HTML (charts in HTML only); ``sop`` is the
    agency's bandwidth procedure."""
    text = words(BANDWIDTH_TEXT, lang)
    first = date.fromisoformat(f"{month}-01")
    return month_document(
        "bandwidth",
        fmt,
        text,
        lang,
        kop,
        month,
        text["basis"].format(tz=tz, sop=sop),
        any_data=any(r.daily for r in rows),
        rows=[_row(r, names, t, lang, chart_uris(r, first, t, lang) if fmt == "html" else {}) for r in rows],
    )
