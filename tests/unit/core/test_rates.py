"""Counter-rate math: wraps, restarts, gaps and glitches never give a negative or impossible rate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.rates import Discard, Reading, counter_rate, elapsed_seconds, refreshed_span

GBIT = 1e9


def test_steady_counter_gives_bits_per_second_from_device_uptime() -> None:
    prev = Reading(1_000_000, 100.0, uptime_ticks=10_000)
    cur = Reading(1_000_000 + 1_250_000, 110.7, uptime_ticks=11_000)  # device says 10 s, wall says 10.7 s
    assert counter_rate(prev, cur, GBIT).bps == 1_000_000


def test_wall_clock_is_used_when_uptime_is_missing() -> None:
    assert counter_rate(Reading(0, 100.0), Reading(125_000, 101.0), GBIT).bps == 1_000_000


def test_32bit_wrap_is_corrected_when_the_result_is_plausible() -> None:
    prev = Reading(2**32 - 1000, 0.0, 0, bits=32)
    cur = Reading(24_000, 10.0, 1000, bits=32)
    rate = counter_rate(prev, cur, 100e6)
    assert rate.wrapped and rate.bps == (25_000 * 8) / 10


def test_32bit_counter_going_back_implausibly_is_discarded_not_wrapped() -> None:
    prev = Reading(3_000_000_000, 0.0, 0, bits=32)
    cur = Reading(1_000, 1.0, 100, bits=32)  # a wrap would mean 10 Gbit/s on a 10 Mbit/s port
    assert counter_rate(prev, cur, 10e6).discard is Discard.COUNTER_BACKWARDS


def test_64bit_counter_going_back_is_a_reset() -> None:
    rate = counter_rate(Reading(5_000, 0.0, 100), Reading(10, 10.0, 1100), GBIT)
    assert rate.bps is None and rate.discard is Discard.COUNTER_BACKWARDS


def test_uptime_going_back_is_a_device_restart() -> None:
    rate = counter_rate(Reading(10**9, 1000.0, 500_000), Reading(5_000, 1030.0, 300), GBIT)
    assert rate.bps is None and rate.discard is Discard.DEVICE_RESTART


def test_restart_longer_ago_than_the_previous_uptime_is_still_a_restart() -> None:
    # previous poll 3 s after the agent started; it restarted right after; next poll 25 s later shows 24 s
    rate = counter_rate(Reading(1_000, 1000.0, 300), Reading(9_000, 1025.0, 2400), GBIT)
    assert rate.bps is None and rate.discard is Discard.DEVICE_RESTART


def test_uptime_wrap_after_497_days_is_not_a_restart() -> None:
    prev = Reading(0, 1000.0, 2**32 - 500)
    cur = Reading(125_000, 1010.0, 500)
    assert elapsed_seconds(prev, cur) == (10.0, None)
    assert counter_rate(prev, cur, GBIT).bps == 100_000


def test_rate_above_interface_speed_is_a_glitch() -> None:
    rate = counter_rate(Reading(0, 0.0, 0), Reading(10**9, 1.0, 100), 100e6)
    assert rate.bps is None and rate.discard is Discard.ABOVE_SPEED


def test_same_timestamp_gives_no_rate() -> None:
    assert counter_rate(Reading(0, 5.0), Reading(10, 5.0), GBIT).discard is Discard.NO_ELAPSED_TIME


def test_missed_polls_use_the_real_elapsed_time() -> None:
    # three 30 s polls missed: the 120 s interval gives the average, not a 4x spike
    rate = counter_rate(Reading(0, 0.0, 0), Reading(15_000_000, 120.0, 12_000), GBIT)
    assert rate.bps == 1_000_000


readings = st.builds(
    Reading,
    value=st.integers(0, 2**64 - 1),
    timestamp=st.floats(0, 1e6, allow_nan=False),
    uptime_ticks=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
    bits=st.sampled_from([32, 64]),
)


@given(readings, readings, st.one_of(st.none(), st.floats(1e3, 1e11)))
def test_rate_is_never_negative_nor_beyond_the_interface_speed(
    prev: Reading, cur: Reading, speed: float | None
) -> None:
    if cur.bits == 32:
        prev = Reading(prev.value % 2**32, prev.timestamp, prev.uptime_ticks, 32)
        cur = Reading(cur.value % 2**32, cur.timestamp, cur.uptime_ticks, 32)
    rate = counter_rate(prev, cur, speed)
    if rate.bps is None:
        assert rate.discard is not None
    else:
        assert rate.bps >= 0
        if speed is not None:
            assert rate.bps <= speed * 1.1


@given(st.integers(0, 2**32 - 1), st.integers(1, 2**20), st.integers(100, 100_000))
def test_any_plausible_32bit_wrap_is_recovered_exactly(start: int, delta: int, ticks: int) -> None:
    prev = Reading(start, 0.0, 0, bits=32)
    cur = Reading((start + delta) % 2**32, ticks / 100, ticks, bits=32)
    rate = counter_rate(prev, cur, 1e12)
    assert rate.bps is not None
    assert abs(rate.bps - delta * 8 / (ticks / 100)) < 1e-6 * max(1.0, rate.bps)


def test_rate_window_is_taken_between_reads_that_saw_the_counter_cache_refresh() -> None:
    # reads every 0.25 s of a counter the device refreshes every 1 s: the value changes at reads 3, 7, 11
    values = [(100, 5)] * 3 + [(200, 6)] * 4 + [(300, 7)] * 4 + [(400, 8)] * 2
    assert refreshed_span(values) == (3, 11)
    assert refreshed_span([(1, 1)] * 5) == (0, 4)  # idle: first and last
    assert refreshed_span([(1, 1), (2, 2), (2, 2)]) == (0, 2)  # one refresh only: first and last
