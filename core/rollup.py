"""Five-minute rollups of link measurements (avg and max per direction, loss, RTT). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

PERIOD_SECONDS = 300


@dataclass
class _Bucket:
    start: float
    rx: list[float] = field(default_factory=list)
    tx: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    rtt: list[float] = field(default_factory=list)


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


def _avg(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class Rollups:
    """Accumulates per link; :meth:`add` returns the rows of periods that have closed."""

    def __init__(self, period: int = PERIOD_SECONDS) -> None:
        self.period = period
        self._buckets: dict[tuple[str, str], _Bucket] = {}

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
        key = (link, opd)
        closed = []
        bucket = self._buckets.get(key)
        if bucket is not None and bucket.start != start:
            closed.append(self._row(key, bucket))
            bucket = None
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(start)
        for values, value in ((bucket.rx, rx_bps), (bucket.tx, tx_bps), (bucket.loss, loss), (bucket.rtt, rtt)):
            if value is not None:
                values.append(value)
        return closed

    def _row(self, key: tuple[str, str], b: _Bucket) -> RollupRow:
        return RollupRow(
            link=key[0],
            opd=key[1],
            period_start=datetime.fromtimestamp(b.start, UTC),
            period_seconds=self.period,
            samples=max(len(b.rx), len(b.tx), len(b.loss)),
            in_bps_avg=_avg(b.rx),
            in_bps_max=max(b.rx, default=None),
            out_bps_avg=_avg(b.tx),
            out_bps_max=max(b.tx, default=None),
            loss_ratio=_avg(b.loss),
            rtt_avg_seconds=_avg(b.rtt),
        )


def percentile95(values: list[float]) -> float | None:
    """The 95th percentile as bandwidth is billed and planned (SOP 13): sort the 5-minute rates, drop the
    highest 5 % (rounded down, so a short series drops nothing), and take the highest left."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, len(ordered) - len(ordered) // 20 - 1)]
