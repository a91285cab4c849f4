from __future__ import annotations

from agent.rollup import Rollups


def test_a_period_closes_when_the_next_one_starts_with_avg_and_max() -> None:
    r = Rollups(period=300)
    assert r.add("l", "o", 600.0, rx_bps=10.0, tx_bps=1.0) == []
    assert r.add("l", "o", 630.0, rx_bps=30.0, tx_bps=3.0, loss=0.5) == []
    (row,) = r.add("l", "o", 905.0, rx_bps=1.0)
    assert row.period_start.timestamp() == 600.0
    assert (row.in_bps_avg, row.in_bps_max, row.out_bps_max, row.loss_ratio, row.samples) == (20.0, 30.0, 3.0, 0.5, 2)
