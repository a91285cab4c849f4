"""An agent among others on one store: it owns its rendezvous share of the live agents' devices, a lost
agent's share goes to the rest, and without the store it gives everything up one lease after its last
heartbeat (the others have it by then)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from agent.config import ClusterConfig
from agent.membership import Membership
from agent.store_channel import StoreChannel
from core.cluster import shard
from store.engine import open_store

DEVICES = [f"dev-{i}" for i in range(60)]
CONFIG = ClusterConfig(enabled=True, lease_seconds=6, heartbeat_seconds=2)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_three_agents_split_the_devices_and_two_take_over_a_lost_ones_share(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")

    async def run() -> None:
        channel = StoreChannel(store, 5.0, 100, Counter())
        agents = {name: Membership(CONFIG, name) for name in ("nms-a", "nms-b", "nms-c")}
        for m in agents.values():
            await m.refresh(channel, DEVICES)
        for m in agents.values():  # each now sees all three
            await m.refresh(channel, DEVICES)
        assert sorted(d for m in agents.values() for d in m.owned) == sorted(DEVICES)
        lost = agents.pop("nms-c")
        await lost.leave(channel)
        for m in agents.values():
            await m.refresh(channel, DEVICES)
        assert sorted(d for m in agents.values() for d in m.owned) == sorted(DEVICES)
        assert agents["nms-a"].owned == shard(DEVICES, ["nms-a", "nms-b"], "nms-a")
        channel.close()

    asyncio.run(run())


def test_without_the_store_an_agent_keeps_its_share_one_lease_then_owns_nothing(tmp_path: Path) -> None:
    clock = Clock()

    async def run() -> None:
        good = StoreChannel(open_store(f"sqlite:///{tmp_path / 'pantau.db'}"), 5.0, 100, Counter())
        m = Membership(CONFIG, "nms-a", clock)
        await m.refresh(good, DEVICES)
        assert m.owned == set(DEVICES)  # alone: everything
        cut = StoreChannel(None, 5.0, 100, Counter())  # no answer at all
        clock.now += 5  # within the lease: it polls on
        await m.refresh(cut, DEVICES)
        assert m.owned == set(DEVICES)
        clock.now += 2  # past it: it polls nothing, before its next refresh says so (that may hang on the store)
        assert not any(m.owns(d) for d in DEVICES)
        await m.refresh(cut, DEVICES)
        assert m.owned == set()
        good.close()
        cut.close()

    asyncio.run(run())


def test_an_agent_superseded_by_a_newer_incarnation_of_its_id_steps_back_for_good(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")

    async def run() -> None:
        channel = StoreChannel(store, 5.0, 100, Counter())
        old, new = Membership(CONFIG, "nms-a"), Membership(CONFIG, "nms-a")
        await old.refresh(channel, DEVICES)
        await new.refresh(channel, DEVICES)  # the same id started again elsewhere (a restart while old hung)
        await old.refresh(channel, DEVICES)
        assert old.superseded and old.owned == set() and old.fence is None
        await old.refresh(channel, DEVICES)  # and it does not join again, taking the id back
        await new.refresh(channel, DEVICES)
        assert old.fence is None and new.owned == set(DEVICES)
        channel.close()

    asyncio.run(run())


def test_an_agent_whose_lease_ran_out_joins_again_under_a_new_epoch_and_says_so(tmp_path: Path) -> None:
    clock = Clock()
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")

    async def run() -> None:
        channel = StoreChannel(store, 5.0, 100, Counter())
        m = Membership(CONFIG, "nms-a", clock)
        m.lease = timedelta(milliseconds=300)  # shorter than configuration allows, for the test's sake
        assert await m.refresh(channel, DEVICES) is False
        first = m.fence
        assert first is not None and m.owned == set(DEVICES)
        time.sleep(0.4)  # the store's clock: the heartbeat is older than the lease
        assert await m.refresh(channel, DEVICES) is True  # the agent refuses what it buffered meanwhile
        assert m.fence is not None and m.fence.epoch == first.epoch + 1  # a new incarnation
        assert m.owned == set(DEVICES)  # alone again: everything, under the new epoch
        assert await m.refresh(channel, DEVICES) is False
        channel.close()

    asyncio.run(run())


def test_what_waits_to_be_written_is_refused_and_counted_not_what_is_being_written() -> None:
    errors: Counter[tuple[str, str]] = Counter()
    channel = StoreChannel(None, 5.0, 100, errors)
    channel.rows.add(["in flight", "waiting", "waiting too"])
    channel.rows.in_flight = 1  # the store is writing the first
    channel.events.add(["a state change"])
    channel.refuse_buffered()
    assert channel.rows.items == ["in flight"] and channel.events.items == []
    assert errors[("store", "fenced")] == 3
    channel.close()


def test_a_joining_agent_takes_its_share_only_once_the_others_have_let_it_go(tmp_path: Path) -> None:
    clock = Clock()
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")

    async def run() -> None:
        channel = StoreChannel(store, 5.0, 100, Counter())
        first = Membership(CONFIG, "nms-a", clock, settle=5.0)
        await first.refresh(channel, DEVICES)
        assert first.owned == set(DEVICES)  # alone: no one to wait for
        joiner = Membership(CONFIG, "nms-b", clock, settle=5.0)
        await joiner.refresh(channel, DEVICES)
        assert joiner.owned == set()  # nms-a may still be polling its share this round
        await first.refresh(channel, DEVICES)  # nms-a's next heartbeat: it lets nms-b's share go
        share = shard(DEVICES, ["nms-a", "nms-b"], "nms-b")
        assert first.owned == set(DEVICES) - share
        clock.now += 5.0
        await joiner.refresh(channel, DEVICES)
        assert joiner.owned == share and share  # a heartbeat and a round later: taken, never polled twice
        channel.close()

    asyncio.run(run())
