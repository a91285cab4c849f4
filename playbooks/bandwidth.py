"""SOP 13's monthly bandwidth survey: every OPD link's month from the store, in the agency's time zone."""

from __future__ import annotations

from core.bandwidth import LinkSurvey, SurveyThresholds, down_intervals, survey
from core.period import month_bounds
from inventory.models import Inventory
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
