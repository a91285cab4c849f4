from __future__ import annotations

from core.rollup import Rollups, percentile95


def test_a_period_closes_when_the_next_one_starts_with_avg_and_max() -> None:
    r = Rollups(period=300)
    assert r.add("l", "o", 600.0, rx_bps=10.0, tx_bps=1.0) == []
    assert r.add("l", "o", 630.0, rx_bps=30.0, tx_bps=3.0, loss=0.5) == []
    (row,) = r.add("l", "o", 905.0, rx_bps=1.0)
    assert row.period_start.timestamp() == 600.0
    assert (row.in_bps_avg, row.in_bps_max, row.out_bps_max, row.loss_ratio, row.samples) == (20.0, 30.0, 3.0, 0.5, 2)


def test_percentile95_drops_the_top_five_percent_of_periods() -> None:
    # a month of 5-minute periods: 8640; the 432 busiest are forgiven
    values = [10.0] * 8208 + [100.0] * 432
    assert percentile95(values) == 10.0
    assert percentile95([*values, 100.0]) == 100.0  # one more busy period and the 95th is busy
    assert percentile95([7.0, 3.0, 5.0]) == 7.0  # fewer than 20 periods: nothing dropped
    assert percentile95([]) is None
