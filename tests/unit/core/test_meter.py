"""The link meter: rates from consecutive port reads, 32-bit wraps, restarts, and rollups with loss/RTT."""

from __future__ import annotations

import pytest

from core.meter import Counters, LinkMeter
from core.rates import plausible_bps

MBIT = 1_000_000


def read(t: float, rx: int, tx: int = 0, bits: int = 64, speed: int | None = None) -> Counters:
    return Counters(t, int(t * 100), rx, tx, bits, speed)


def test_the_first_read_gives_no_rate_and_the_second_gives_both_directions() -> None:
    m = LinkMeter({"l": 100 * MBIT})
    assert m.counters("l", "o", read(0.0, 0, 0)) == []
    assert "l" not in m.rates
    m.counters("l", "o", read(30.0, 30 * MBIT // 8 * 10, 30 * MBIT // 8))
    assert m.rates["l"] == (10 * MBIT, 1 * MBIT)
    (point,) = m.utilization["l"]
    assert point.ratio == pytest.approx(0.1) and point.seconds == 30.0


@pytest.mark.parametrize("speed", [100 * MBIT, None], ids=["ifSpeed", "subscription"])
def test_a_32_bit_wrap_gives_the_exact_rate_across_it(speed: int | None) -> None:
    m = LinkMeter({"l": 100 * MBIT})
    start = 2**32 - 1_000_000  # a million octets before the wrap
    m.counters("l", "o", read(0.0, start, bits=32, speed=speed))
    moved = 60 * 80 * MBIT // 8  # 80 Mbit/s for 60 s: 600 MB, past 2**32 once
    m.counters("l", "o", read(60.0, (start + moved) % 2**32, bits=32, speed=speed))
    assert m.rates["l"][0] == pytest.approx(80 * MBIT)
    assert not m.discarded


def test_a_32_bit_counter_going_back_beyond_what_the_link_can_carry_is_a_reset() -> None:
    m = LinkMeter({"l": 10 * MBIT})
    m.counters("l", "o", read(0.0, 3_000_000_000, bits=32))
    m.counters("l", "o", read(30.0, 1_000, bits=32))  # a wrap would mean 570 Mbit/s on a 10 Mbit/s link
    assert m.rates["l"][0] is None and m.discarded["counter-backwards"] == 1


def test_a_port_reporting_a_nominal_speed_below_its_subscription_keeps_a_rate_the_subscription_allows() -> None:
    """A PPPoE or wireless interface says 10 Mbit/s and carries 20: the link's 50 Mbit/s subscription allows
    it; a rate above both the speed and the subscription is still a glitch."""
    m = LinkMeter({"l": 50 * MBIT})
    m.counters("l", "o", read(0.0, 0, speed=10 * MBIT))
    m.counters("l", "o", read(30.0, 30 * 20 * MBIT // 8, speed=10 * MBIT))
    assert m.rates["l"][0] == pytest.approx(20 * MBIT) and not m.discarded
    m.counters("l", "o", read(60.0, 30 * 20 * MBIT // 8 + 30 * 80 * MBIT // 8, speed=10 * MBIT))
    assert m.rates["l"][0] is None and m.discarded["above-speed"] == 1


@pytest.mark.parametrize(
    ("speed", "subscribed", "bits", "limit"),
    [(1_000, 100, 64, 1_000), (10, 50, 64, 50), (None, 50, 64, None), (None, 50, 32, 50), (10, 50, 32, 50)],
)
def test_the_plausible_rate_is_the_higher_of_speed_and_subscription(
    speed: int | None, subscribed: int, bits: int, limit: int | None
) -> None:
    assert plausible_bps(speed, subscribed, bits) == limit


def test_a_64_bit_counter_going_back_is_never_a_wrap() -> None:
    m = LinkMeter({"l": 100 * MBIT})
    m.counters("l", "o", read(0.0, 5_000))
    m.counters("l", "o", read(30.0, 10))
    assert m.rates["l"][0] is None and m.discarded["counter-backwards"] == 1


def test_a_device_restart_gives_no_rate() -> None:
    m = LinkMeter({"l": 100 * MBIT})
    m.counters("l", "o", Counters(0.0, 500_000, 1_000_000, 0, 64, None))
    m.counters("l", "o", Counters(30.0, 1_000, 2_000, 0, 64, None))  # sysUpTime went back
    assert m.rates["l"] == (None, None) and m.discarded["device-restart"] == 2


def test_rollups_carry_the_probes_loss_and_rtt_beside_the_rates() -> None:
    m = LinkMeter({"l": 100 * MBIT}, period=300)
    m.counters("l", "o", read(600.0, 0))
    m.probe("l", "o", 610.0, 0.2, 0.010)
    m.counters("l", "o", read(630.0, 30 * MBIT // 8))
    m.probe("l", "o", 640.0, 0.4, 0.030)
    (row,) = m.probe("l", "o", 905.0, 0.0, 0.001)
    assert row.period_start.timestamp() == 600.0
    assert row.loss_ratio == pytest.approx(0.3) and row.rtt_avg_seconds == pytest.approx(0.020)
    assert row.in_bps_avg == pytest.approx(MBIT)


def test_a_lost_read_clears_the_rate_but_the_next_two_reads_measure_again() -> None:
    m = LinkMeter({"l": 100 * MBIT})
    m.counters("l", "o", read(0.0, 0))
    m.counters("l", "o", read(30.0, 1000))
    m.lost("l")
    assert "l" not in m.rates
    m.counters("l", "o", read(90.0, 1000 + 60 * 125))
    assert m.rates["l"][0] == pytest.approx(1000)  # across the gap: 60 s
