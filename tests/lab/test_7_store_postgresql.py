"""The store on a real PostgreSQL (Debian's, a throwaway cluster on a Unix socket, no TCP): migrations build
the models' schema, and concurrent IPAM claims in a prefix never share an address and leave no hole, with
the live addresses' sort keys compared under a linguistic (ICU) collation."""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from agent.poller import Agent
from agent.wiring import build, configuration
from inventory.ipam import candidates
from inventory.models import Prefix
from lab.runner import Runner
from store import cluster as agents_table
from store.allocations import Allocations
from store.engine import open_store
from store.schema import Base, IpAllocation, LinkRollup
from tests.conftest import INVENTORY

PREFIX = Prefix.model_validate(
    {
        "name": "pg-servers",
        "prefix": "10.77.0.0/24",
        "purpose": "server",
        "gateway": "10.77.0.1",
        "reserved": [{"start": "10.77.0.2", "end": "10.77.0.9", "reason": "network gear"}],
    }
)


def _as_postgres(*argv: str | Path, check: bool = True) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=check, capture_output=True, timeout=120)


@dataclass(frozen=True)
class Cluster:
    url: str
    bin_dir: Path
    base: Path

    def pg_ctl(self, *argv: str) -> None:
        _as_postgres(self.bin_dir / "pg_ctl", "-D", self.base / "data", *argv)

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        options = f"-k {self.base} -c listen_addresses='' -c fsync=off -c max_connections=60"
        self.pg_ctl("-o", options, "-l", str(self.base / "log"), "-w", "start")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of its own in a temporary directory, stopped and removed afterwards."""
    initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert initdb, "PostgreSQL is not installed: make setup installs Debian's postgresql"
    bin_dir = initdb[-1].parent
    base = Path(tempfile.mkdtemp(prefix="pantau-pg-"))
    shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    started = False
    try:
        _as_postgres(
            bin_dir / "initdb", "-D", data, "-U", "pantau", "-A", "trust", "--no-sync", "-E", "UTF8",
            "--locale-provider=icu", "--icu-locale=id-ID", "--locale=C.UTF-8",
        )  # fmt: skip
        cluster = Cluster(f"postgresql+psycopg://pantau@/pantau?host={base}", bin_dir, base)
        cluster.start()
        started = True
        _as_postgres(bin_dir / "createdb", "-h", base, "-U", "pantau", "pantau")
        yield cluster
    finally:
        if started:
            _as_postgres(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(cluster: Cluster) -> str:
    return cluster.url


def test_migrations_on_postgresql_build_exactly_the_models(postgres: str) -> None:
    engine = open_store(postgres)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def _claims(url: str, worker: int, count: int) -> list[str]:
    allocations = Allocations(open_store(url))
    return [allocations.allocate(PREFIX, f"pg{worker}-{i}", "dinkes", None, "test", None).address for i in range(count)]


def test_concurrent_claims_on_postgresql_never_share_an_address_and_leave_no_hole(postgres: str) -> None:
    open_store(postgres).dispose()
    with multiprocessing.get_context("spawn").Pool(12) as pool:
        given = [a for chunk in pool.starmap(_claims, [(postgres, w, 10) for w in range(12)]) for a in chunk]
    assert len(given) == len(set(given)) == 120
    *lowest, following = [str(a) for a, _ in zip(candidates(PREFIX, set(), set()), range(121), strict=False)]
    assert sorted(given, key=ip_address) == lowest  # every claim took the lowest free address at its turn
    engine = open_store(postgres)
    with Session(engine) as s:
        live = s.scalars(select(IpAllocation.live_address).where(IpAllocation.prefix == PREFIX.name)).all()
    assert sorted(live, key=ip_address) == lowest

    allocations = Allocations(engine)
    assert allocations.allocate(PREFIX, "pg3-4", "dinkes", None, "test", None).existing  # asked again: the same
    (row,) = allocations.live("pg0-5")
    assert allocations.release(row.id, "test")
    again = allocations.allocate(PREFIX, "after-release", "dinkes", None, "test", None)
    assert again.address == row.address  # below the floor, found through the index under ICU collation
    assert allocations.allocate(PREFIX, "next", "dinkes", None, "test", None).address == following
    engine.dispose()


NEST = [
    Prefix.model_validate({"name": "pg-parent", "prefix": "10.78.0.0/24", "purpose": "server"}),
    Prefix.model_validate({"name": "pg-child", "prefix": "10.78.0.0/25", "purpose": "server", "within": "pg-parent"}),
]


def _nested_claims(url: str, worker: int, count: int) -> list[str]:
    allocations = Allocations(open_store(url), NEST)
    prefix = NEST[worker % 2]  # half the claimants in the parent, half in the child, from the same lowest addresses
    return [allocations.allocate(prefix, f"nest{worker}-{i}", None, None, "test", None).address for i in range(count)]


def test_twenty_claimants_in_a_parent_and_its_child_on_postgresql_never_share_an_address(postgres: str) -> None:
    open_store(postgres).dispose()
    with multiprocessing.get_context("spawn").Pool(20) as pool:
        given = [a for chunk in pool.starmap(_nested_claims, [(postgres, w, 5) for w in range(20)]) for a in chunk]
    assert len(given) == len(set(given)) == 100
    assert sorted(given, key=ip_address) == [f"10.78.0.{i}" for i in range(1, 101)]  # lowest first, no hole


def test_polling_goes_on_while_postgresql_is_stopped_and_its_rows_arrive_after(cluster: Cluster, lab: Runner) -> None:
    """Two rounds with the store's server stopped: the rates keep coming, the store is reported down, and
    the rollups of those periods are written once it is back (each period once)."""
    config = configuration(None, environ={}, inventory=INVENTORY, poll={"rollup_seconds": 10, "store_timeout": 3})
    store = open_store(cluster.url)
    agent = Agent(build(config), store)

    async def rounds(n: int) -> None:
        for _ in range(n):
            await asyncio.gather(agent.poll_snmp(), agent.probe_icmp())
            await asyncio.sleep(4)

    async def scenario() -> tuple[int, int]:
        agent.start()
        try:
            await rounds(3)  # the store answers: some periods are written
            written_before = _rollups(cluster.url)
            cluster.stop()
            try:
                await rounds(3)  # two periods close while the store is down
                assert agent.channel.up is False and agent.errors[("store", "error")] >= 2
                assert agent.channel.rows.items, "nothing was kept for the store"
                core = [v for v in agent.snapshot.links if v.device == "core"]
                assert all(v.receive_bps is not None for v in core), core  # the polls went on
            finally:
                cluster.start()
            for _ in range(10):  # the first use of a pooled connection from before may fail once
                await agent.flush()
                if agent.channel.up and not agent.channel.rows.items:
                    break
                await asyncio.sleep(1)
            return written_before, _rollups(cluster.url)
        finally:
            agent.close()
            store.dispose()

    before, after = asyncio.run(scenario())
    assert agent.channel.up is True and agent.channel.rows.items == []
    assert after >= before + 2 * len(agent.inventory.links)  # the outage's periods, for every link


def _rollups(url: str) -> int:
    engine = open_store(url)
    try:
        with Session(engine) as s:
            return len(s.scalars(select(LinkRollup.id)).all())
    finally:
        engine.dispose()


def test_a_store_across_a_network_gets_timeouts_and_keepalives_unless_its_url_sets_them(postgres: str) -> None:
    for url, timeout in ((postgres, "10"), (f"{postgres}&connect_timeout=3", "3")):
        engine = open_store(url)
        raw = engine.raw_connection()
        try:
            given = raw.driver_connection.info.get_parameters()  # type: ignore[union-attr]
        finally:
            raw.close()
            engine.dispose()
        assert given["connect_timeout"] == timeout, given
        assert given["keepalives_idle"] == "10" and given["tcp_user_timeout"] == "20000", given


def test_heartbeats_are_dated_by_postgresqls_clock_not_the_agents_host(
    postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class HourAhead(datetime):  # an agent whose host's clock runs an hour ahead
        @classmethod
        def now(cls, tz: Any = None) -> HourAhead:  # type: ignore[override]
            return super().now(tz) + timedelta(hours=1)  # type: ignore[return-value]

    engine = open_store(postgres)
    monkeypatch.setattr(agents_table, "datetime", HourAhead)
    agents_table.join(engine, "nms-skewed")
    with engine.connect() as conn:
        off = conn.execute(
            text("SELECT extract(epoch FROM clock_timestamp() - heartbeat_at) FROM agents WHERE id = 'nms-skewed'")
        ).scalar_one()
        conn.execute(text("DELETE FROM agents WHERE id = 'nms-skewed'"))
        conn.commit()
    engine.dispose()
    assert abs(float(off)) < 5, off  # not an hour in the future: it would look alive an hour after it died
    assert HourAhead.now(UTC) - datetime.now(UTC) > timedelta(minutes=59)  # the skew was in place
