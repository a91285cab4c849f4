"""The agent's store path: measurements buffered while the store is locked, written once when it is back,
the oldest dropped past the buffer; and the HTTP side: /-/healthy says why, idle clients block nobody."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from agent.daemon import http_app, serve_http, stalled
from agent.poller import Agent, rebuild_delay
from agent.store_channel import Outbox
from agent.wiring import build, configuration
from core.rollup import RollupRow
from store import cluster
from store import links as link_store
from store.engine import open_store

INVENTORY = Path(__file__).resolve().parents[3] / "inventory" / "example"


def row(minute: int) -> RollupRow:
    start = datetime(2026, 12, 1, 2, minute, tzinfo=UTC)
    return RollupRow("dinkes-wan", "dinkes", start, 300, 10, 1e6, 2e6, 3e5, 4e5, 0.01, 0.004)


def agent_on(path: Path, **poll: object) -> Agent:
    config = configuration(None, environ={}, inventory=INVENTORY, poll={"store_timeout": 0.3, **poll})
    return Agent(build(config), open_store(f"sqlite:///{path}"))


def stored(path: Path) -> list[datetime]:
    return [
        r.start
        for r in link_store.history(
            open_store(f"sqlite:///{path}"),
            "dinkes-wan",
            datetime(2026, 12, 1, 3, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
            0.05,
        ).timeline
    ]


def test_rollups_are_written_and_leave_the_buffer(tmp_path: Path) -> None:
    agent = agent_on(tmp_path / "s.db")
    agent.channel.rows.add([row(10), row(15)])
    asyncio.run(agent.flush())
    assert agent.channel.rows.items == [] and agent.channel.up is True
    assert [t.minute for t in stored(tmp_path / "s.db")] == [10, 15]


def test_a_locked_store_holds_nothing_up_and_the_rows_arrive_once_it_is_back(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    agent = agent_on(db)

    async def scenario() -> None:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        agent.channel.rows.add([row(20)])
        await agent.flush()  # returns while the lock is still held: the poll never waits for the store
        assert agent.channel.up is False and agent.channel.rows.items == [row(20)]
        assert agent.errors[("store", "timeout")] == 1
        agent.channel.rows.add([row(25)])
        await agent.flush()  # the first write still hangs: nothing queues behind it
        assert agent.errors[("store", "busy")] == 0 and agent.channel.rows.items == [row(20), row(25)]
        holder.execute("COMMIT")
        holder.close()
        for _ in range(100):  # the hung write goes through once the lock is gone
            if agent.channel._write is None or agent.channel._write.done():
                break
            await asyncio.sleep(0.05)
        await agent.flush()  # settles the late write (row 20), then writes row 25
        await agent.flush()

    asyncio.run(scenario())
    assert agent.channel.rows.items == [] and agent.channel.up is True
    assert [t.minute for t in stored(db)] == [20, 25]  # each once


def test_the_outbox_drops_the_oldest_not_being_written_past_its_limit() -> None:
    box = Outbox(3)
    box.add([1, 2])
    assert box.take() == [1, 2]
    box.add([3, 4, 5])  # 5 items, limit 3: 3 and 4 go (1 and 2 are being written)
    assert box.items == [1, 2, 5] and box.dropped == 2
    box.settle(True)
    assert box.items == [5]
    box.take()
    box.settle(False)
    assert box.items == [5] and box.in_flight == 0


def test_healthy_says_why_not_before_the_first_round_and_when_polling_stalled(tmp_path: Path) -> None:
    agent = agent_on(tmp_path / "s.db")
    assert stalled(agent, 30.0) == "not yet polled: no SNMP round has completed"
    agent.last_success["snmp"] = 1000.0
    assert stalled(agent, 30.0, now=1089.0) is None
    reason = stalled(agent, 30.0, now=1091.0)
    assert reason is not None and "stalled" in reason and "91 s ago" in reason


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_idle_connections_do_not_block_a_scrape_or_the_health_check() -> None:
    port = free_port()
    server = serve_http(f"127.0.0.1:{port}", http_app(CollectorRegistry(), lambda: "SNMP polling stalled"))
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]  # connect, never send
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert answer.status == 200
        with pytest.raises(urllib.error.HTTPError) as unhealthy:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=5)
        assert unhealthy.value.code == 503 and unhealthy.value.read() == b"SNMP polling stalled\n"
    finally:
        for s in idle:
            s.close()
        server.shutdown()
        server.server_close()


def test_a_restarted_agent_takes_up_the_open_period_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    now = datetime(2026, 12, 1, 2, 7, tzinfo=UTC).timestamp()
    first = agent_on(db)
    first.meter.probe("dinkes-wan", "dinkes", now - 60, 0.5, 0.010)
    asyncio.run(first.flush())  # killed after this: the period 02:05-02:10 is half done
    second = Agent(first.app, open_store(f"sqlite:///{db}"), clock=lambda: now)
    asyncio.run(second.resume())
    second.meter.probe("dinkes-wan", "dinkes", now, 0.1, 0.030)
    (row,) = second.meter.probe("dinkes-wan", "dinkes", now + 300, 0.0, 0.001)
    assert row.loss_ratio == 0.3 and row.rtt_avg_seconds == 0.02 and row.samples == 2


def test_open_periods_are_written_at_most_every_30_seconds(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    now = [datetime(2026, 12, 1, 2, 6, tzinfo=UTC).timestamp()]
    made = agent_on(db)
    agent = Agent(made.app, open_store(f"sqlite:///{db}"), clock=lambda: now[0])
    store = open_store(f"sqlite:///{db}")

    def kept() -> int:
        (period,) = link_store.open_periods(store)
        return period.series["loss"].count

    agent.meter.probe("dinkes-wan", "dinkes", now[0], 0.5, 0.010)
    asyncio.run(agent.flush())
    agent.meter.probe("dinkes-wan", "dinkes", now[0] + 15, 0.5, 0.010)
    now[0] += 15
    asyncio.run(agent.flush())
    assert kept() == 1  # 15 s after the last write: not yet
    now[0] += 15
    asyncio.run(agent.flush())
    assert kept() == 2


def _inventory_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "inventory"
    shutil.copytree(INVENTORY, copy)
    creds = copy / "credentials.yml"
    creds.write_text(creds.read_text().replace("file:../../", f"file:{INVENTORY.parent.parent}/"))
    return copy


def test_the_inventory_is_taken_up_when_its_files_change_and_a_bad_edit_keeps_the_old_one(tmp_path: Path) -> None:
    inventory = _inventory_copy(tmp_path)
    config = configuration(None, environ={}, inventory=inventory, state_dir=tmp_path)
    agent = Agent(build(config), open_store(f"sqlite:///{tmp_path / 'pantau.db'}"))
    assert agent.reload_if_changed() is False  # nothing changed: nothing read
    links = inventory / "links.yml"
    text = links.read_text()
    links.write_text(text.replace("subscribed_mbps: 10\n", "subscribed_mbps: 15\n", 1))
    assert agent.reload_if_changed() is True
    assert agent.inventory.link_of("dinkes").subscribed_mbps == 15
    assert agent.app.inventory is agent.inventory  # the page and triage see the same
    assert agent.meter.subscribed_bps["dinkes-wan"] == 15_000_000

    links.write_text(text.replace("opd: dinkes\n", "opd: nobody\n", 1))  # an OPD the inventory lacks
    assert agent.reload_if_changed() is False
    assert agent.inventory.link_of("dinkes").subscribed_mbps == 15  # the last good one stays
    assert agent.errors[("inventory", "reload")] == 1

    agent.request_reload()  # SIGHUP: read again although nothing changed since
    links.write_text(text)
    assert agent.reload_if_changed() is True and agent.inventory.link_of("dinkes").subscribed_mbps == 10
    agent.close()


def test_a_lost_agents_open_periods_are_taken_up_at_the_next_heartbeat_when_the_store_was_busy(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    now = datetime(2026, 12, 1, 2, 6, tzinfo=UTC).timestamp()

    def clustered(name: str) -> Agent:
        cluster = {"enabled": True, "agent_id": name, "lease_seconds": 6, "heartbeat_seconds": 2}
        config = configuration(None, environ={}, inventory=INVENTORY, poll={"store_timeout": 0.3}, cluster=cluster)
        return Agent(build(config), open_store(f"sqlite:///{db}"), clock=lambda: now)

    async def scenario() -> None:
        agents = [clustered("nms-a"), clustered("nms-b")]
        for _ in range(2):  # each sees the other
            for a in agents:
                await a.keep_membership()
        lost, survivor = agents if agents[0].owns("core") else agents[::-1]
        lost.meter.probe("dinkes-wan", "dinkes", now, 0.5, 0.010)
        await lost.flush()  # its half-done period is in the store, then it stops
        assert lost.membership is not None and lost.membership.fence is not None
        cluster.leave(open_store(f"sqlite:///{db}"), lost.membership.fence)
        hold = threading.Event()
        slow = asyncio.ensure_future(survivor.channel.call("a slow write", lambda _store: hold.wait(10)))
        await asyncio.sleep(0.05)  # the survivor's store thread is busy with it
        await survivor.keep_membership()
        assert survivor.owns("core")  # the heartbeat has its own way to the store
        assert [p.link for p in link_store.open_periods(open_store(f"sqlite:///{db}"), lost.agent_id)] == ["dinkes-wan"]
        hold.set()
        await slow
        await survivor.keep_membership()  # the next heartbeat: taken up now
        assert link_store.open_periods(open_store(f"sqlite:///{db}"), lost.agent_id) == []
        (period,) = [p for p in survivor.meter.rollups.open() if p.link == "dinkes-wan"]
        assert period.series["loss"].count == 1 and period.series["loss"].total == 0.5
        for a in agents:
            a.close()

    asyncio.run(scenario())


def test_a_costly_rebuild_is_made_less_often_during_a_round() -> None:
    assert rebuild_delay(0.01) == 2.0  # a regency's fleet: the snapshot follows the answers within 2 s
    assert rebuild_delay(0.25) == pytest.approx(5.0)  # 5,000 links: at most 5 % of the loop goes to rebuilding
