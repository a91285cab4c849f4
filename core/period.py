"""Calendar periods in the agency's time zone, as UTC bounds for the store. Pure.

A report month is the agency's month: a ticket opened at 00:30 WIB on the 1st belongs to that month,
though it is still the previous month in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.errors import RuleError
from i18n import Msg

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of ``month`` (YYYY-MM) in ``tz``, as UTC datetimes.

    Raises:
        RuleError: not YYYY-MM, or a month that does not exist (2026-13).
    """
    found = _MONTH.fullmatch(month.strip())
    if found is None:
        raise RuleError(Msg("--month {month}: write it as YYYY-MM, e.g. 2026-12", month=month))
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 12 or year < 1970:
        raise RuleError(
            Msg("--month {month}: there is no such month; write it as YYYY-MM with a month 01-12", month=month)
        )
    zone = ZoneInfo(tz)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
