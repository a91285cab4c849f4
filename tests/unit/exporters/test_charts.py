"""The link page's day chart: what it draws, read back from the SVG's text (matplotlib keeps each label's
text in a comment beside its glyphs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.bandwidth import Sample
from exporters.charts import link_day


def labels(svg: str) -> list[str]:
    return re.findall(r"<!-- (.*?) -->", svg)


def day(n: int = 36) -> list[Sample]:
    start = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    return [
        Sample(start + timedelta(minutes=5 * i), 300, 5e6, 2e6, 0.0 if i < 24 else 1.0, 0.004 if i < 24 else None)
        for i in range(n)
    ]


def test_the_day_chart_has_rates_loss_and_rtt_panels_in_the_page_language() -> None:
    id_text, en_text = labels(link_day(day(), 10e6, "id")), labels(link_day(day(), 10e6, "en"))
    assert {"Mbit/s", "loss %", "RTT ms", "masuk", "keluar", "langganan"} <= set(id_text)
    assert {"in", "out", "subscribed"} <= set(en_text) and "masuk" not in en_text


def test_the_day_chart_reads_its_hours_in_the_agency_time_zone() -> None:
    """00:00-03:00 UTC is 07:00-10:00 in Jakarta and 08:00-11:00 in Makassar."""
    jakarta = [x for x in labels(link_day(day(), 10e6, "id", "Asia/Jakarta")) if re.fullmatch(r"\d\d \d\d:\d\d", x)]
    makassar = [x for x in labels(link_day(day(), 10e6, "id", "Asia/Makassar")) if re.fullmatch(r"\d\d \d\d:\d\d", x)]
    assert jakarta and makassar
    assert all("07:00" <= x[3:] <= "10:00" for x in jakarta), jakarta
    assert all("08:00" <= x[3:] <= "11:00" for x in makassar), makassar
    assert "jam (Asia/Jakarta)" in labels(link_day(day(), 10e6, "id", "Asia/Jakarta"))
