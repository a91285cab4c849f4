"""SOP 13's bandwidth map (weighted max-min fair share with floors and caps): its properties over
generated inputs, and the worked examples staff would check by hand."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.bandwidth_plan import MBIT, Demand, Plan, plan
from i18n import in_language

EPS = 1e-6  # bit/s: float sums


@st.composite
def demands(draw: st.DrawFn) -> list[Demand]:
    out = []
    for i in range(draw(st.integers(1, 8))):
        link = draw(st.sampled_from([2, 10, 20, 50, 100, 1000])) * MBIT
        cap = draw(st.none() | st.floats(0.5, 200).map(lambda m: m * MBIT))
        floor = draw(st.floats(0, 30).map(lambda m: m * MBIT))
        if cap is not None:
            floor = min(floor, cap)
        out.append(
            Demand(
                opd=f"opd{i}",
                measured_bps=draw(st.none() | st.floats(0, 120).map(lambda m: m * MBIT)),
                link_bps=link,
                floor_bps=floor,
                cap_bps=cap,
                weight=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
            )
        )
    return out


capacities = st.floats(1, 500).map(lambda m: m * MBIT)
headrooms = st.sampled_from([1.0, 1.2, 1.5])


def by_opd(p: Plan) -> dict[str, float]:
    return {s.opd: s.guaranteed_bps for s in p.shares}


@settings(max_examples=400, deadline=None)
@given(capacities, demands(), headrooms)
def test_the_guarantees_never_sum_past_the_capacity(capacity: float, ds: list[Demand], headroom: float) -> None:
    p = plan(capacity, ds, headroom)
    assert p.guaranteed_bps <= capacity + EPS
    assert all(0 <= s.guaranteed_bps <= s.ceiling_bps + EPS for s in p.shares)
    assert all(s.ceiling_bps <= capacity + EPS for s in p.shares)


@settings(max_examples=400, deadline=None)
@given(capacities, demands(), headrooms)
def test_every_floor_is_met_when_the_floors_fit_and_named_when_they_do_not(
    capacity: float, ds: list[Demand], headroom: float
) -> None:
    p = plan(capacity, ds, headroom)
    given_ = by_opd(p)
    if sum(d.least_bps for d in ds) <= capacity:
        assert p.unmet == ()
        assert all(given_[d.opd] >= d.least_bps - EPS for d in ds)
    else:
        short = sorted(d.opd for d in ds if d.least_bps > 0)  # every floor scaled down alike
        assert short and list(p.unmet) == short
        assert all(given_[o] <= next(d.least_bps for d in ds if d.opd == o) for o in short)
        assert p.guaranteed_bps == pytest.approx(capacity)


@settings(max_examples=400, deadline=None)
@given(capacities, demands(), headrooms)
def test_an_opd_asking_less_than_its_fair_share_gets_what_it_asks(
    capacity: float, ds: list[Demand], headroom: float
) -> None:
    p = plan(capacity, ds, headroom)
    if p.unmet:
        return  # no fair share beyond the floors to speak of
    given_ = by_opd(p)
    spare = capacity - sum(d.least_bps for d in ds)
    weights = sum(d.weight for d in ds)
    for d in ds:
        fair = d.least_bps + spare * d.weight / weights  # its share if everyone wanted without limit
        asked = d.asked_bps(headroom)
        if asked <= fair:
            assert given_[d.opd] == pytest.approx(asked, abs=EPS)
        assert given_[d.opd] <= asked + EPS  # nobody is given more than it asks


@settings(max_examples=300, deadline=None)
@given(capacities, st.floats(1.0, 4.0), demands(), headrooms)
def test_more_capacity_never_lowers_anyone(capacity: float, more: float, ds: list[Demand], headroom: float) -> None:
    before, after = by_opd(plan(capacity, ds, headroom)), by_opd(plan(capacity * more, ds, headroom))
    assert all(after[o] >= before[o] - EPS for o in before)


@settings(max_examples=200, deadline=None)
@given(capacities, demands(), headrooms, st.randoms())
def test_the_same_input_gives_the_same_plan_in_any_order(
    capacity: float, ds: list[Demand], headroom: float, rnd: random.Random
) -> None:
    shuffled = list(ds)
    rnd.shuffle(shuffled)
    assert plan(capacity, ds, headroom) == plan(capacity, shuffled, headroom)


def test_the_lab_month_worked_by_hand() -> None:
    """100 Mbit/s shared; dinkes uses 9 of 10, disdik 2 of 20 (floor 5), dishub 40 of 50 (weight 2),
    bappeda 30 of 100 (cap 25)."""
    ds = [
        Demand("dinkes", 9 * MBIT, 10 * MBIT),
        Demand("disdik", 2 * MBIT, 20 * MBIT, floor_bps=5 * MBIT),
        Demand("dishub", 40 * MBIT, 50 * MBIT, weight=2),
        Demand("bappeda", 30 * MBIT, 100 * MBIT, cap_bps=25 * MBIT),
    ]
    p = plan(100 * MBIT, ds, 1.2)
    got = {s.opd: round(s.guaranteed_bps / MBIT, 3) for s in p.shares}
    # asks: dinkes 10 (its link), disdik 5 (its floor), dishub 48, bappeda 25 (its cap) = 88 <= 100
    assert got == {"bappeda": 25.0, "dinkes": 10.0, "disdik": 5.0, "dishub": 48.0}
    assert {s.opd: s.ceiling_bps / MBIT for s in p.shares} == {
        "bappeda": 25.0,
        "dinkes": 10.0,
        "disdik": 20.0,
        "dishub": 50.0,
    }
    assert str(p.share("disdik").why) == (
        "p95 2.0 Mbit/s × 1.2 = 2.4 Mbit/s, raised to its floor of 5.0 Mbit/s; given in full"
    )
    assert (
        str(p.share("bappeda").why)
        == "p95 30.0 Mbit/s × 1.2 = 36.0 Mbit/s, held to its cap of 25.0 Mbit/s; given in full"
    )
    tight = plan(60 * MBIT, ds, 1.2)  # 60 - 5 (disdik's floor) = 55 shared by weight 1:1:2 among the rest
    got = {s.opd: round(s.guaranteed_bps / MBIT, 3) for s in tight.shares}
    assert got == {"dinkes": 10.0, "disdik": 5.0, "bappeda": 15.0, "dishub": 30.0}
    assert str(tight.share("dishub").why).endswith(
        "its fair share (weight 2) of what the floors leave gives 30.0 Mbit/s"
    )


def test_floors_beyond_the_capacity_are_scaled_and_named() -> None:
    ds = [Demand("a", None, 50 * MBIT, floor_bps=30 * MBIT), Demand("b", None, 50 * MBIT, floor_bps=10 * MBIT)]
    p = plan(20 * MBIT, ds)
    assert p.unmet == ("a", "b")
    assert by_opd(p) == {"a": pytest.approx(15 * MBIT), "b": pytest.approx(5 * MBIT)}
    assert "exceed the capacity (20.0 Mbit/s): each floor is scaled to 50 %" in str(p.share("a").why)


def test_a_capacity_or_weight_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        plan(0, [Demand("a", None, MBIT)])
    with pytest.raises(ValueError, match="positive"):
        plan(MBIT, [Demand("a", None, MBIT, weight=0)])
    with pytest.raises(ValueError, match="each OPD once"):
        plan(MBIT, [Demand("a", None, MBIT), Demand("a", None, MBIT)])


@given(capacities, demands(), headrooms)
def test_a_plan_kept_as_json_reads_back_the_same_with_its_reasons_in_any_language(
    capacity: float, ds: list[Demand], headroom: float
) -> None:
    made = plan(capacity, ds, headroom)
    kept = Plan.from_json(json.loads(json.dumps(made.to_json())))
    assert kept == made
    assert [in_language(s.why, "id") for s in kept.shares] == [in_language(s.why, "id") for s in made.shares]
