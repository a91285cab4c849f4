"""Agents sharing a store: joining raises the epoch, the heartbeat says who is alive, and the store refuses a
write from an agent whose lease ran out or whose newer incarnation joined (nothing of it is stored)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.board import Entry
from core.rollup import OpenPeriod, RollupRow, Series
from store import cluster, jobs
from store import links as link_store
from store.cluster import Fence, Fenced
from store.engine import open_store

LEASE = timedelta(seconds=30)
ROW = RollupRow(
    "dinkes-wan", "dinkes", datetime(2026, 12, 7, 2, 0, tzinfo=UTC), 300, 10, 1e6, 2e6, 3e5, 4e5, 0.0, 0.004
)


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_store(f"sqlite:///{tmp_path / 'pantau.db'}")


def rollups(store: Engine) -> int:
    with store.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM link_rollups")).scalar_one())


def test_each_join_is_a_new_epoch_and_the_live_ones_are_those_with_a_fresh_heartbeat(store: Engine) -> None:
    assert cluster.join(store, "nms-a") == 1
    assert cluster.join(store, "nms-b") == 1
    assert cluster.join(store, "nms-a") == 2  # restarted
    assert cluster.members(store, LEASE) == ["nms-a", "nms-b"]
    cluster.leave(store, Fence("nms-b", 1, LEASE))
    assert cluster.members(store, LEASE) == ["nms-a"]  # a clean stop: taken over at once


def test_a_clean_stop_hands_the_devices_over_a_round_later_not_a_lease_later(store: Engine) -> None:
    cluster.join(store, "nms-a")
    cluster.leave(store, Fence("nms-b", cluster.join(store, "nms-b"), LEASE), timedelta(seconds=0.5))
    assert cluster.members(store, LEASE) == ["nms-a", "nms-b"]  # its last round's polls are still its own
    time.sleep(0.6)
    assert cluster.members(store, LEASE) == ["nms-a"]  # then the others', well before the lease (30 s)


def test_a_superseded_incarnation_keeps_no_heartbeat_and_writes_nothing(store: Engine) -> None:
    old = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    new = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    assert cluster.beat(store, old) == "superseded" and cluster.beat(store, new) == "held"
    with pytest.raises(Fenced, match="epoch 1 was superseded"):
        link_store.add_measurements(store, [ROW], [], None, "nms-a", old)
    assert rollups(store) == 0
    link_store.add_measurements(store, [ROW], [], None, "nms-a", new)
    assert rollups(store) == 1


def test_a_write_after_the_lease_ran_out_is_refused(store: Engine) -> None:
    fence = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    expired = Fence(fence.agent, fence.epoch, timedelta(0))  # as if the heartbeat were a lease old
    with pytest.raises(Fenced, match="lease ran out"):
        link_store.add_measurements(store, [ROW], [], None, "nms-a", expired)
    assert rollups(store) == 0


def test_each_agent_rewrites_only_its_own_open_periods(store: Engine) -> None:
    period = OpenPeriod("dinkes-wan", "dinkes", 1_800_000_000.0, {"in_bps": Series(1, 5.0, 5.0)})
    link_store.add_measurements(store, [], [], [period], "nms-a")
    link_store.add_measurements(store, [], [], [], "nms-b")  # nms-b has none open: nms-a's stay
    assert [p.link for p in link_store.open_periods(store, "nms-a")] == ["dinkes-wan"]
    assert link_store.open_periods(store, "nms-b") == []


def test_a_firing_is_claimed_once_and_a_fenced_agent_claims_nothing(store: Engine) -> None:
    a = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    b = Fence("nms-b", cluster.join(store, "nms-b"), LEASE)
    due = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert jobs.claim(store, "maintenance-plan", due, a) is True
    assert jobs.claim(store, "maintenance-plan", due, b) is False  # the other agent skips it
    assert jobs.claim(store, "maintenance-plan", due, a) is False  # and this one does not run it twice
    assert jobs.claim(store, "maintenance-plan", due + timedelta(minutes=1), b) is True  # the next firing
    with pytest.raises(Fenced, match="lease ran out"):
        jobs.claim(store, "maintenance-plan", due + timedelta(minutes=2), Fence("nms-b", b.epoch, timedelta(0)))
    with store.connect() as conn:
        claimed = conn.execute(text("SELECT agent FROM job_claims ORDER BY due")).scalars().all()
    assert claimed == ["nms-a", "nms-b"]


def test_the_board_keeps_each_links_latest_entry_and_refuses_a_fenced_agents(store: Engine) -> None:
    a = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    b = Fence("nms-b", cluster.join(store, "nms-b"), LEASE)
    link_store.add_measurements(store, [], [], None, "nms-a", a, [Entry("dinkes-wan", "dinkes", "up", agent="nms-a")])
    link_store.add_measurements(store, [], [], None, "nms-b", b, [Entry("disdik-wan", "disdik", "up", agent="nms-b")])
    taken = [Entry("dinkes-wan", "dinkes", "down", ("oper-down",), agent="nms-b")]
    link_store.add_measurements(store, [], [], None, "nms-b", b, taken)  # nms-b took dinkes over
    late = [Entry("dinkes-wan", "dinkes", "up", agent="nms-a")]
    with pytest.raises(Fenced):
        link_store.add_measurements(store, [], [], None, "nms-a", Fence("nms-a", a.epoch, timedelta(0)), late)
    board = {s.entry.link: s.entry for s in link_store.board_entries(store)}
    assert board == {"dinkes-wan": taken[0], "disdik-wan": Entry("disdik-wan", "disdik", "up", agent="nms-b")}


def test_a_lease_that_ran_out_is_not_renewed_the_agent_joins_again_and_its_old_epoch_writes_nothing(
    store: Engine,
) -> None:
    fence = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    lapsed = Fence(fence.agent, fence.epoch, timedelta(0))  # as if the store took no heartbeat for a lease
    assert cluster.beat(store, lapsed) == "lapsed"
    assert cluster.members(store, timedelta(0)) == []  # no heartbeat taken
    again = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    assert again.epoch == fence.epoch + 1 and cluster.beat(store, again) == "held"
    with pytest.raises(Fenced, match="superseded"):
        link_store.add_measurements(store, [ROW], [], None, "nms-a", fence)
    assert rollups(store) == 0


def test_a_link_period_closed_by_two_agents_is_one_row_with_both_parts(store: Engine) -> None:
    a = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    b = Fence("nms-b", cluster.join(store, "nms-b"), LEASE)
    link_store.add_measurements(store, [ROW], [], None, "nms-a", a)  # nms-a's part: it let the link go
    rest = RollupRow("dinkes-wan", "dinkes", ROW.period_start, 300, 30, 2e6, 5e6, None, None, 0.1, None)
    later = RollupRow("dinkes-wan", "dinkes", datetime(2026, 12, 7, 2, 5, tzinfo=UTC), 300, 1, 1, 1, 1, 1, 0.0, 0.001)
    link_store.add_measurements(store, [rest, later], [], None, "nms-b", b)  # nms-b's part, and its next period
    with store.connect() as conn:
        query = "SELECT samples, in_bps_avg, in_bps_max, out_bps_avg, out_bps_max, loss_ratio, rtt_avg_seconds "
        kept = conn.execute(text(query + "FROM link_rollups ORDER BY period_start")).all()
    assert len(kept) == 2  # one row per link-period, and the write went on to the next
    assert tuple(kept[0]) == pytest.approx((40, 1.75e6, 5e6, 3e5, 4e5, 0.075, 0.004))  # weighted by samples


def test_a_lost_agents_open_periods_are_taken_up_once_by_the_agent_that_takes_its_links(store: Engine) -> None:
    lost = Fence("nms-a", cluster.join(store, "nms-a"), LEASE)
    taker = Fence("nms-b", cluster.join(store, "nms-b"), LEASE)
    period = OpenPeriod("dinkes-wan", "dinkes", 600.0, {"rx": Series(2, 30.0, 20.0)})
    other = OpenPeriod("disdik-wan", "disdik", 600.0, {"rx": Series(1, 5.0, 5.0)})
    link_store.add_measurements(store, [], [], [period, other], "nms-a", lost)
    assert link_store.take_open_periods(store, ["dinkes-wan"], ["nms-a", "nms-b"], taker) == []  # nms-a alive
    (taken,) = link_store.take_open_periods(store, ["dinkes-wan"], ["nms-b"], taker)  # nms-a lost
    assert (taken.link, taken.start, taken.series["rx"]) == ("dinkes-wan", 600.0, Series(2, 30.0, 20.0))
    assert link_store.take_open_periods(store, ["dinkes-wan"], ["nms-b"], taker) == []  # taken once
    assert [p.link for p in link_store.open_periods(store, "nms-a")] == ["disdik-wan"]  # back, it finds the rest
