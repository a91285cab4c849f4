"""Five-minute rollups of link measurements (avg and max per direction, loss, RTT). Pure.

A period's bucket keeps count, sum and maximum of each measure (not every sample), so the period still
open can be kept in the store as it grows and taken up again after a restart (:meth:`Rollups.open`,
:meth:`Rollups.restore`): a killed agent loses at most the samples since the open periods were last written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

PERIOD_SECONDS = 300
MEASURES = ("rx", "tx", "loss", "rtt")


@dataclass
class Series:
    """Count, sum and maximum of one measure over a period."""

    count: int = 0
    total: float = 0.0
    peak: float | None = None

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.peak = value if self.peak is None else max(self.peak, value)

    def merge(self, other: Series) -> None:
        """Take in what another agent measured of the same period."""
        self.count += other.count
        self.total += other.total
        if other.peak is not None:
            self.peak = other.peak if self.peak is None else max(self.peak, other.peak)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class OpenPeriod:
    """The period of one link still accumulating (what the store keeps of it, and restores)."""

    link: str
    opd: str
    start: float  # Unix seconds
    series: dict[str, Series] = field(default_factory=lambda: {m: Series() for m in MEASURES})


@dataclass(frozen=True)
class RollupRow:
    link: str
    opd: str
    period_start: datetime
    period_seconds: int
    samples: int
    in_bps_avg: float | None
    in_bps_max: float | None
    out_bps_avg: float | None
    out_bps_max: float | None
    loss_ratio: float | None
    rtt_avg_seconds: float | None


class Rollups:
    """Accumulates per link; :meth:`add` returns the rows of periods that have closed."""

    def __init__(self, period: int = PERIOD_SECONDS) -> None:
        self.period = period
        self._open: dict[str, OpenPeriod] = {}

    def add(
        self,
        link: str,
        opd: str,
        timestamp: float,
        rx_bps: float | None = None,
        tx_bps: float | None = None,
        loss: float | None = None,
        rtt: float | None = None,
    ) -> list[RollupRow]:
        start = timestamp - timestamp % self.period
        closed = []
        bucket = self._open.get(link)
        if bucket is not None and bucket.start != start:
            if bucket.start < start:
                closed.append(self._row(bucket))
            else:  # a sample older than the open period (a late probe round): it goes nowhere
                return []
            bucket = None
        if bucket is None:
            bucket = self._open[link] = OpenPeriod(link, opd, start)
        for name, value in (("rx", rx_bps), ("tx", tx_bps), ("loss", loss), ("rtt", rtt)):
            if value is not None:
                bucket.series[name].add(value)
        return closed

    def open(self) -> list[OpenPeriod]:
        """Copies of the periods still accumulating, one per link (safe to hand to another thread)."""
        return [
            OpenPeriod(p.link, p.opd, p.start, {k: Series(v.count, v.total, v.peak) for k, v in p.series.items()})
            for p in self._open.values()
        ]

    def close(self, links: list[str]) -> list[RollupRow]:
        """Close the open periods of ``links`` now (another agent measures them from here on): their rows,
        partial, for the store to merge with the other agent's part of the same period."""
        closed = [self._open.pop(link) for link in links if link in self._open]
        return [self._row(b) for b in closed if any(series.count for series in b.series.values())]

    def restore(self, periods: list[OpenPeriod], now: float) -> list[RollupRow]:
        """Take up periods kept open in the store (this agent's before a restart, or a lost agent's whose
        links it took over): one of the current period goes on accumulating, merged with what this agent
        has measured of it; one that ended is closed now (its row is returned, for the store to merge)."""
        current = now - now % self.period
        closed = []
        for p in periods:
            mine = self._open.get(p.link)
            if p.start == current and mine is None:
                self._open[p.link] = p
            elif p.start == current and mine is not None and mine.start == current:
                for name, series in p.series.items():
                    mine.series[name].merge(series)
            elif p.start < current:
                closed.append(self._row(p))
        return closed

    def _row(self, b: OpenPeriod) -> RollupRow:
        s = b.series
        return RollupRow(
            link=b.link,
            opd=b.opd,
            period_start=datetime.fromtimestamp(b.start, UTC),
            period_seconds=self.period,
            samples=max(s["rx"].count, s["tx"].count, s["loss"].count),
            in_bps_avg=s["rx"].mean,
            in_bps_max=s["rx"].peak,
            out_bps_avg=s["tx"].mean,
            out_bps_max=s["tx"].peak,
            loss_ratio=s["loss"].mean,
            rtt_avg_seconds=s["rtt"].mean,
        )


def percentile95(values: list[float]) -> float | None:
    """The 95th percentile as bandwidth is billed and planned (SOP 13): sort the 5-minute rates, drop the
    highest 5 % (rounded down, so a short series drops nothing), and take the highest left."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, len(ordered) - len(ordered) // 20 - 1)]
