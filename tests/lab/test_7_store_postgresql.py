"""The store on a real PostgreSQL (Debian's, a throwaway cluster on a Unix socket, no TCP): migrations build
the models' schema, and concurrent IPAM claims in a prefix never share an address and leave no hole, with
the live addresses' sort keys compared under a linguistic (ICU) collation."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.ipam import candidates
from inventory.models import Prefix
from store.allocations import Allocations
from store.engine import open_store
from store.schema import Base, IpAllocation

PREFIX = Prefix.model_validate(
    {
        "name": "pg-servers",
        "prefix": "10.77.0.0/24",
        "purpose": "server",
        "gateway": "10.77.0.1",
        "reserved": [{"start": "10.77.0.2", "end": "10.77.0.9", "reason": "network gear"}],
    }
)


def _as_postgres(*argv: str | Path) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
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
        options = f"-k {base} -c listen_addresses='' -c fsync=off -c max_connections=60"
        _as_postgres(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", base / "log", "-w", "start")
        started = True
        _as_postgres(bin_dir / "createdb", "-h", base, "-U", "pantau", "pantau")
        yield f"postgresql+psycopg://pantau@/pantau?host={base}"
    finally:
        if started:
            _as_postgres(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


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
