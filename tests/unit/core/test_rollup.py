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


def test_the_open_period_taken_up_after_a_restart_goes_on_as_if_there_was_none() -> None:
    first = Rollups(period=300)
    first.add("l", "o", 600.0, rx_bps=10.0, loss=0.1)
    first.add("l", "o", 630.0, rx_bps=30.0, loss=0.3)
    kept = first.open()
    again = Rollups(period=300)
    assert again.restore(kept, now=700.0) == []  # still within the period: it goes on accumulating
    again.add("l", "o", 660.0, rx_bps=20.0)
    (row,) = again.add("l", "o", 905.0, rx_bps=1.0)
    whole = Rollups(period=300)
    for t, v, loss in ((600.0, 10.0, 0.1), (630.0, 30.0, 0.3), (660.0, 20.0, None)):
        whole.add("l", "o", t, rx_bps=v, loss=loss)
    assert [row] == whole.add("l", "o", 905.0, rx_bps=1.0)
    assert (row.in_bps_avg, row.in_bps_max, row.loss_ratio, row.samples) == (20.0, 30.0, 0.2, 3)


def test_a_period_that_ended_while_the_agent_was_down_is_closed_on_restore() -> None:
    first = Rollups(period=300)
    first.add("l", "o", 600.0, rx_bps=10.0)
    (row,) = Rollups(period=300).restore(first.open(), now=1500.0)
    assert row.period_start.timestamp() == 600.0 and row.in_bps_avg == 10.0


def test_a_sample_older_than_the_open_period_closes_nothing() -> None:
    r = Rollups(period=300)
    r.add("l", "o", 901.0, rx_bps=1.0)
    assert r.add("l", "o", 899.0, loss=0.5) == []  # a probe round that began before the boundary
    (row,) = r.add("l", "o", 1201.0, rx_bps=1.0)
    assert row.period_start.timestamp() == 900.0 and row.loss_ratio is None


def test_a_link_handed_to_another_agent_closes_its_open_period_with_what_was_measured() -> None:
    r = Rollups(period=300)
    r.add("l", "o", 600.0, rx_bps=10.0)
    r.add("l", "o", 630.0, rx_bps=30.0)
    r.add("m", "o", 600.0)  # a period with no figure yet
    (row,) = r.close(["l", "m", "gone"])
    assert (row.link, row.period_start.timestamp(), row.in_bps_avg, row.samples) == ("l", 600.0, 20.0, 2)
    assert r.open() == [] and r.close(["l"]) == []  # closed once: nothing left to write twice


def test_a_lost_agents_part_of_the_current_period_is_merged_into_what_this_agent_measured() -> None:
    lost = Rollups(period=300)
    lost.add("l", "o", 600.0, rx_bps=10.0)
    kept = lost.open()
    taker = Rollups(period=300)
    taker.add("l", "o", 700.0, rx_bps=40.0)  # it polls the link since the lost agent's lease ran out
    assert taker.restore(kept, now=710.0) == []
    (row,) = taker.add("l", "o", 905.0, rx_bps=1.0)
    assert (row.in_bps_avg, row.in_bps_max, row.samples) == (25.0, 40.0, 2)  # both parts, one row
