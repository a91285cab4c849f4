"""The measurements of every OPD link between polls: the last counter readings, the checked rates, the
utilization history saturation is judged on, and the 5-minute rollups. Pure: the caller hands in what a
poll or a probe round saw, with its time, and stores the rollup rows that come back closed.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from core.health import UtilizationPoint
from core.rates import Reading, counter_rate, plausible_bps, utilization
from core.rollup import PERIOD_SECONDS, RollupRow, Rollups

HISTORY = 1000  # utilization points kept per link (8 hours at 30 s; saturation needs 5 minutes)


@dataclass(frozen=True)
class Counters:
    """One read of a link's data-center port: octets both ways, with the device's clock."""

    timestamp: float
    uptime_ticks: int | None
    in_octets: int
    out_octets: int
    bits: int  # 64 (ifHC*) or 32
    speed_bps: int | None  # the interface's speed, when the device reports it


class LinkMeter:
    """Rates, utilization and rollups of every link, fed reading by reading."""

    def __init__(self, subscribed_bps: dict[str, int], period: int = PERIOD_SECONDS) -> None:
        self.subscribed_bps = subscribed_bps
        self.rollups = Rollups(period)
        self.readings: dict[str, Counters] = {}
        self.rates: dict[str, tuple[float | None, float | None]] = {}
        self.utilization: dict[str, deque[UtilizationPoint]] = {}
        self.discarded: Counter[str] = Counter()

    def forget(self, links: list[str]) -> list[RollupRow]:
        """Drop what the meter holds of ``links`` (another agent polls them now: a rate taken when they come
        back spans no gap); the rows of their open rollup periods, closed now with what was measured of them."""
        for link in links:
            self.readings.pop(link, None)
            self.rates.pop(link, None)
            self.utilization.pop(link, None)
        return self.rollups.close(links)

    def counters(self, link: str, opd: str, now: Counters) -> list[RollupRow]:
        """Take a read of the link's port; the rollup rows of periods that closed."""
        before = self.readings.get(link)
        self.readings[link] = now
        if before is None:
            return []
        limit = plausible_bps(now.speed_bps, self.subscribed_bps[link], now.bits)
        rates = []
        for a, b in ((before.in_octets, now.in_octets), (before.out_octets, now.out_octets)):
            rate = counter_rate(
                Reading(a, before.timestamp, before.uptime_ticks, before.bits),
                Reading(b, now.timestamp, now.uptime_ticks, now.bits),
                limit,
            )
            if rate.discard is not None:
                self.discarded[rate.discard.value] += 1
            rates.append(rate.bps)
        rx, tx = rates
        self.rates[link] = (rx, tx)
        ratio = utilization(rates, self.subscribed_bps[link])
        if ratio is not None:
            history = self.utilization.setdefault(link, deque(maxlen=HISTORY))
            history.append(UtilizationPoint(now.timestamp, ratio, now.timestamp - before.timestamp))
        return self.rollups.add(link, opd, now.timestamp, rx_bps=rx, tx_bps=tx)

    def probe(self, link: str, opd: str, timestamp: float, loss: float, rtt: float | None) -> list[RollupRow]:
        """Take an ICMP round to the link's far end (loss and RTT go into the rollups too)."""
        return self.rollups.add(link, opd, timestamp, loss=loss, rtt=rtt)

    def lost(self, link: str) -> None:
        """The link's port could not be read: no rate until two reads follow each other again."""
        self.rates.pop(link, None)
