"""SOP 13's monthly bandwidth survey: every OPD link's month from the store, in the agency's time zone."""

from __future__ import annotations

from pathlib import Path

from core.bandwidth import LinkSurvey, SurveyThresholds, down_intervals, survey
from core.period import month_bounds
from exporters.bandwidth_report import render_bandwidth
from inventory.models import Inventory
from playbooks.documents import letterhead, write_document
from store import links
from store.engine import Store


def month_survey(
    store: Store, inv: Inventory, month: str, tz: str, thresholds: SurveyThresholds, opd: str | None = None
) -> list[LinkSurvey]:
    """One survey per OPD link of the inventory (of ``opd`` only, when given), for ``month`` (YYYY-MM)."""
    start, end = month_bounds(month, tz)
    samples, states = links.month_of_links(store, start, end)
    out = []
    for link in inv.links:
        if opd is not None and link.opd != opd:
            continue
        before, changes = states.get(link.name, ("up", []))
        down = down_intervals(changes, before, start, end)
        out.append(survey(link.opd, link.name, link.subscribed_bps, samples.get(link.name, []), down, tz, thresholds))
    return out


def write_month_report(
    rows: list[LinkSurvey],
    inv: Inventory,
    month: str,
    tz: str,
    thresholds: SurveyThresholds,
    directory: Path,
    lang: str,
    opd: str | None = None,
) -> list[Path]:
    """The survey as Markdown, HTML (with the charts) and PDF in ``directory``; the paths written."""
    kop = letterhead(inv)
    names = {o.slug: o.name for o in inv.opds}
    stem = f"survei-bandwidth-{month}" + (f"-{opd}" if opd else "") + f".{lang}"
    markdown = render_bandwidth(rows, month, tz, kop, names, thresholds, lang, "md")
    return write_document(
        directory, stem, markdown, render_bandwidth(rows, month, tz, kop, names, thresholds, lang, "html")
    )
