"""Counter rates: bits per second from two readings of an interface octet counter. Pure.

Elapsed time comes from the device's own sysUpTime when both readings carry it (immune to the
agent's scheduling jitter), from the poll timestamps otherwise. Counters themselves are refreshed by
the agent on its own cache period (net-snmp: 3 s by default, 1 s in the lab), so a counter can be up
to one cache period older than the sysUpTime read with it. The relative error of a rate over a window
W is therefore at most ``cache / W``: 10 % for 30 s with a 3 s cache, 3.3 % with 1 s, 1 % over 5
minutes. Longer windows (the 5-minute rollups) shrink it; the 30 s rate is a live view.

Never produces a negative or impossible rate: a device restart (sysUpTime went back), a counter going
back, or a rate beyond the interface's speed (× 1.1) yields no rate and a counted reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

UPTIME_MODULO = 2**32  # sysUpTime is TimeTicks: 32 bits of 1/100 s, wraps after 497 days
GLITCH_FACTOR = 1.1


class Discard(StrEnum):
    """Why an interval gave no rate."""

    DEVICE_RESTART = "device-restart"
    COUNTER_BACKWARDS = "counter-backwards"
    ABOVE_SPEED = "above-speed"
    NO_ELAPSED_TIME = "no-elapsed-time"


@dataclass(frozen=True)
class Reading:
    """One counter value with the time it was read."""

    value: int
    timestamp: float  # UNIX seconds, when the answer arrived
    uptime_ticks: int | None = None  # the device's sysUpTime with it
    bits: int = 64  # counter width: 64 (ifHC*) or 32


@dataclass(frozen=True)
class Rate:
    bps: float | None
    discard: Discard | None = None
    wrapped: bool = False


def elapsed_seconds(prev: Reading, cur: Reading) -> tuple[float | None, Discard | None]:
    """Seconds between two readings, or the reason there is no meaningful interval."""
    wall = cur.timestamp - prev.timestamp
    if prev.uptime_ticks is not None and cur.uptime_ticks is not None:
        ticks = cur.uptime_ticks - prev.uptime_ticks
        if ticks < 0:
            # a 497-day wrap looks like a restart unless the wall clock says the ticks only wrapped
            wrapped = ticks + UPTIME_MODULO
            if wall > 0 and abs(wrapped / 100 - wall) <= max(5.0, 0.1 * wall):
                return wrapped / 100, None
            return None, Discard.DEVICE_RESTART
        if ticks > 0:
            # the device's clock cannot run slower than ours: if it advanced over 1 s less, it restarted meanwhile
            # (after a restart longer ago than the previous uptime, sysUpTime has not gone back)
            if wall > 0 and ticks / 100 < wall - max(1.0, 0.02 * wall):
                return None, Discard.DEVICE_RESTART
            return ticks / 100, None
    if wall > 0:
        return wall, None
    return None, Discard.NO_ELAPSED_TIME


def plausible_bps(speed_bps: int | None, subscribed_bps: int, bits: int) -> int | None:
    """The highest rate a link's port is believed to carry (a rate above it is a counter glitch, a 32-bit
    wrap beyond it a reset): the higher of the port's speed and the link's subscription. Virtual
    interfaces report a nominal speed (RouterOS: 10 Mbit/s for PPPoE and wireless) below what they carry;
    the subscription says what the link may. Without a speed, a 64-bit counter is not capped (it does not
    wrap), a 32-bit one by the subscription (a wrap is no reset on a link that could carry that much)."""
    if speed_bps:
        return max(speed_bps, subscribed_bps)
    return subscribed_bps if bits == 32 else None


def counter_rate(prev: Reading, cur: Reading, max_bps: float | None) -> Rate:
    """The rate between two octet-counter readings, in bits per second."""
    elapsed, why = elapsed_seconds(prev, cur)
    if elapsed is None:
        return Rate(None, why)
    delta = cur.value - prev.value
    wrapped = False
    if delta < 0:
        if cur.bits != 32:
            return Rate(None, Discard.COUNTER_BACKWARDS)  # a 64-bit counter does not wrap: it was reset
        delta += 2**32
        wrapped = True
        # a wrap is only believable if the corrected rate is possible on this interface
        if max_bps is None or delta * 8 / elapsed > max_bps * GLITCH_FACTOR:
            return Rate(None, Discard.COUNTER_BACKWARDS)
    bps = delta * 8 / elapsed
    if max_bps is not None and bps > max_bps * GLITCH_FACTOR:
        return Rate(None, Discard.ABOVE_SPEED)
    return Rate(bps, None, wrapped)


def refreshed_span(values: Sequence[tuple[int | None, ...]]) -> tuple[int, int]:
    """Indices of the first and last of consecutive counter reads at which the device had refreshed its
    counters (a value differs from the read before), for a rate over a short window.

    A device serves counters from a cache (net-snmp: 1-3 s), so a read can be up to a cache period old
    and a rate between two arbitrary reads is off by up to ``cache / window``. Read often (every 0.25 s,
    say) and take the rate between two reads that each saw a fresh value: each is then at most one read
    spacing old. Fewer than two refreshes seen (an idle or unchanging counter): the first and last reads.
    """
    fresh = [i for i in range(1, len(values)) if values[i] != values[i - 1]]
    if len(fresh) >= 2:
        return fresh[0], fresh[-1]
    return 0, len(values) - 1


def share(bps: float | None, subscribed_bps: float) -> float | None:
    """One direction's rate as a share of the link's subscription; None without a rate or a subscription."""
    return None if bps is None or not subscribed_bps else bps / subscribed_bps


def utilization(rates: Sequence[float | None], subscribed_bps: float) -> float | None:
    """The higher of a link's direction rates as a share of its subscription; None without a rate. The one
    definition for the exporter, the status page, the CLI, the SOP 13 survey, the agent's saturation history
    and triage's window."""
    ratios = [r for bps in rates if (r := share(bps, subscribed_bps)) is not None]
    return max(ratios) if ratios else None
