"""Decoding of SNMP textual conventions into Python values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo


def parse_date_and_time(octets: bytes) -> datetime | None:
    """SNMPv2-TC DateAndTime (8 or 11 octets) as an aware datetime; None if malformed."""
    if len(octets) not in (8, 11):
        return None
    year = octets[0] * 256 + octets[1]
    try:
        tz: tzinfo = UTC
        if len(octets) == 11:
            sign = -1 if chr(octets[8]) == "-" else 1
            tz = timezone(sign * timedelta(hours=octets[9], minutes=octets[10]))
        return datetime(year, octets[2], octets[3], octets[4], octets[5], octets[6], octets[7] * 100_000, tz)
    except ValueError:
        return None
