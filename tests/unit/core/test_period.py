"""Months of the agency, as UTC bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import RuleError
from core.period import month_bounds


def test_a_wib_month_starts_at_17_utc_the_day_before_and_december_ends_in_january() -> None:
    assert month_bounds("2026-12", "Asia/Jakarta") == (
        datetime(2026, 11, 30, 17, tzinfo=UTC),
        datetime(2026, 12, 31, 17, tzinfo=UTC),
    )
    assert month_bounds("2027-02", "Asia/Jayapura")[1] == datetime(2027, 2, 28, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("month", "says"),
    [("2026-13", "no such month"), ("2026-00", "no such month"), ("2026-1", "YYYY-MM"), ("Desember", "YYYY-MM")],
)
def test_an_impossible_or_misspelt_month_is_refused_saying_how_to_write_it(month: str, says: str) -> None:
    with pytest.raises(RuleError, match=says):
        month_bounds(month, "Asia/Jakarta")
