"""Rates as device CLIs write them: ``10M``, ``512k``, ``1.5G``, ``64000`` (bit/s)."""

from __future__ import annotations

import re

from platforms.errors import PlatformError

_UNITS = {"": 1, "k": 1_000, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
_RATE = re.compile(r"(\d+(?:\.\d+)?)([kKMG]?)")


def parse_rate(text: str) -> int:
    """Bit/s of a CLI rate.

    Raises:
        PlatformError: not a rate.
    """
    match = _RATE.fullmatch(text.strip())
    if match is None:
        raise PlatformError(f"'{text}' is not a rate (as 10M, 512k or 64000)")
    return round(float(match.group(1)) * _UNITS[match.group(2)])


def rate_text(bps: int) -> str:
    """The shortest exact CLI form of ``bps``: ``10M`` for 10,000,000, ``1500k``, else the number."""
    for suffix in ("G", "M", "k"):
        if bps and bps % _UNITS[suffix] == 0:
            return f"{bps // _UNITS[suffix]}{suffix}"
    return str(bps)
