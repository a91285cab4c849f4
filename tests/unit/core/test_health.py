"""The health table of an OPD link."""

from __future__ import annotations

import itertools
import random

import pytest

from core.health import (
    HealthThresholds,
    LinkState,
    ProbePoint,
    UtilizationPoint,
    link_causes,
    link_health,
    lossy,
    window_loss,
)

T = HealthThresholds(saturation_seconds=300)


def full(now: float, seconds: int, ratio: float) -> list[UtilizationPoint]:
    return [UtilizationPoint(now - s, ratio, 30.0) for s in range(seconds, -1, -30)]


@pytest.mark.parametrize(
    ("oper", "loss", "rtt", "state", "reasons"),
    [
        (True, 0.0, 0.002, LinkState.UP, ()),
        (False, 0.0, 0.002, LinkState.DOWN, ("oper-down",)),
        (True, 1.0, None, LinkState.DOWN, ("no-icmp-reply",)),
        (None, None, None, LinkState.UNKNOWN, ("no-data",)),
        (True, 0.10, 0.002, LinkState.DEGRADED, ("loss",)),
        (True, 0.0, 0.200, LinkState.DEGRADED, ("latency",)),
        (None, 0.0, 0.002, LinkState.UP, ()),
    ],
)
def test_state_from_oper_status_loss_and_rtt(
    oper: bool | None, loss: float | None, rtt: float | None, state: LinkState, reasons: tuple[str, ...]
) -> None:
    health = link_health(oper, loss, rtt, [], 1000.0, T)
    assert (health.state, health.reasons) == (state, reasons)


def test_saturation_sustained_over_the_window_degrades_the_link() -> None:
    health = link_health(True, 0.0, 0.002, full(10_000.0, 300, 0.95), 10_000.0, T)
    assert health.state is LinkState.DEGRADED and health.reasons == ("saturation",)


def test_saturation_shorter_than_the_window_does_not() -> None:
    assert link_health(True, 0.0, 0.002, full(10_000.0, 60, 0.95), 10_000.0, T).state is LinkState.UP


def test_a_dip_that_brings_the_window_below_the_ratio_ends_saturation() -> None:
    points = full(10_000.0, 300, 0.95)
    points[3] = UtilizationPoint(points[3].timestamp, 0.3, 30.0)
    assert link_health(True, 0.0, 0.002, points, 10_000.0, T).state is LinkState.UP


def test_counter_cache_jitter_on_a_full_link_keeps_it_saturated() -> None:
    # a 1 s counter cache polled every 5 s: a full link reads 0.8 and 1.2 in turn (seen in the lab)
    points = [UtilizationPoint(10_000.0 - s, 0.8 if i % 2 else 1.2, 5.0) for i, s in enumerate(range(300, -1, -5))]
    assert min(p.ratio for p in points) < T.saturation_ratio
    assert link_health(True, 0.0, 0.002, points, 10_000.0, T).reasons == ("saturation",)


def test_intervals_weigh_by_their_length() -> None:
    # a 30 s gap read at 0.5 outweighs five 5 s intervals at 1.0 (mean of points 0.92, of time 0.73)
    points = [UtilizationPoint(10_000.0 - 300 + 30, 0.5, 30.0)]
    points += [UtilizationPoint(10_000.0 - 300 + 30 + 5 * i, 1.0, 5.0) for i in range(1, 55)]
    points[1:11] = [UtilizationPoint(p.timestamp, 0.5, 5.0) for p in points[1:11]]
    uniform = sum(p.ratio for p in points) / len(points)
    weighted = sum(p.ratio * p.seconds for p in points) / sum(p.seconds for p in points)
    assert uniform >= T.saturation_ratio > weighted
    assert link_health(True, 0.0, 0.002, points, 10_000.0, T).state is LinkState.UP


def test_oper_down_wins_over_everything_else() -> None:
    assert link_health(False, 0.5, 0.3, full(10_000.0, 300, 1.0), 10_000.0, T).reasons == ("oper-down",)


def test_link_outages_are_put_on_the_core_only_when_the_core_does_not_answer() -> None:
    links = {"a": "core", "b": "core", "c": "core", "d": "core"}
    one = link_causes(
        {"a": LinkState.DOWN, "b": LinkState.UP, "c": LinkState.UP, "d": LinkState.UP}, links, {"core": True}
    )
    assert one == {"a": "link", "b": "none", "c": "none", "d": "none"}
    many = {"a": LinkState.DOWN, "b": LinkState.DOWN, "c": LinkState.UP, "d": LinkState.DEGRADED}
    # half the links down while the core answers: each is its own outage (triage groups the symptoms)
    assert link_causes(many, links, {"core": True}) == {"a": "link", "b": "link", "c": "none", "d": "none"}
    assert link_causes(many, links, {"core": False})["a"] == "datacenter-core"
    assert link_causes({"a": LinkState.DOWN}, {"a": "core"}, {"core": False}) == {"a": "datacenter-core"}


def test_the_rtt_baseline_is_the_median_of_recent_periods_and_needs_three() -> None:
    from core.health import rtt_baseline

    assert rtt_baseline([0.004, 0.050]) is None  # two periods tell nothing usual yet
    assert rtt_baseline([0.004, 0.050, 0.005]) == 0.005  # one slow period does not move it
    assert rtt_baseline([0.004, 0.006, 0.005, 0.007]) == 0.0055


def _states(loss: float, minutes: int, windowed: bool, seed: int = 7) -> list[LinkState]:
    """A link losing ``loss`` of its echoes, 5 echoes a round every 15 s, judged as the agent does."""
    rng = random.Random(seed)
    t = HealthThresholds()
    history: list[ProbePoint] = []
    states, lossy_before = [], False
    for i in range(minutes * 4):
        now = 15.0 * i
        received = sum(rng.random() >= loss for _ in range(5))
        history.append(ProbePoint(now, 5, received))
        over = window_loss(history, now, t) if windowed else None
        health = link_health(True, 1 - received / 5, 0.01, [], now, t, over, lossy_before)
        lossy_before = "loss" in health.reasons
        states.append(health.state)
    return states


def _flips(states: list[LinkState]) -> int:
    return sum(a is not b for a, b in itertools.pairwise(states))


def test_a_lossy_link_judged_over_a_window_does_not_flap_between_up_and_degraded() -> None:
    per_round = _states(0.3, 55, windowed=False)
    assert _flips(per_round) >= 20  # 0.7**5: about one round in six loses nothing, and reads "up"
    windowed = _states(0.3, 55, windowed=True)
    assert _flips(windowed) == 0 and set(windowed) == {LinkState.DEGRADED}


def test_loss_clears_only_well_below_the_threshold_and_a_cut_link_is_down_at_once() -> None:
    t = HealthThresholds()  # degraded from 5 %, clear again under 2.5 %
    assert lossy(0.04, was_lossy=True, t=t) and not lossy(0.04, was_lossy=False, t=t)
    assert not lossy(0.02, was_lossy=True, t=t)
    cut = link_health(True, 1.0, None, [], 0.0, t, 0.1, True)  # this round: no reply at all
    assert cut.state is LinkState.DOWN and cut.reasons == ("no-icmp-reply",)
    healthy = _states(0.0, 10, windowed=True)
    assert set(healthy) == {LinkState.UP}


def test_a_link_back_from_a_cut_is_up_at_once_not_lossy_for_a_window() -> None:
    t = HealthThresholds()
    history = [ProbePoint(15.0 * i, 5, 5) for i in range(10)] + [ProbePoint(150.0 + 15 * i, 5, 0) for i in range(8)]
    history.append(ProbePoint(300.0, 5, 5))  # the first round after the cut
    back = link_health(True, 0.0, 0.01, [], 300.0, t, window_loss(history, 300.0, t), False)
    assert back.state is LinkState.UP
