"""SNMP values as Python values: numbers only from integer types, interface names as text, DateAndTime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any


def number(value: Any) -> int | None:
    """An integer-typed SNMP value (INTEGER, Counter, Gauge, TimeTicks) as int; None for any other type
    (an OCTET STRING holding digits is not a number: a device that sends one for a counter is wrong)."""
    if type(value) is int:  # the wire codec's numbers: most calls, answered first
        return value
    if value is None or isinstance(value, bool | bytes | str) or hasattr(value, "asOctets"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def interface_name(value: Any) -> str:
    """An interface name (ifName/ifDescr, DisplayString) as text: trailing NULs and padding stripped (some
    agents send C strings whole), UTF-8 where it decodes, else Latin-1 (every byte is a character there)."""
    raw = (
        bytes(value.asOctets())
        if hasattr(value, "asOctets")
        else bytes(value)
        if isinstance(value, bytes)
        else str(value).encode()
    )
    raw = raw.rstrip(b"\x00").strip()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


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
