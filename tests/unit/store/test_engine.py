"""The store's migrations build exactly the schema the models declare."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from store.engine import HEAD, AgentLock, make_engine, migrate, open_store
from store.errors import StoreUnusable
from store.schema import Base


def test_migrations_from_empty_database_to_head_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) == {"alembic_version", *Base.metadata.tables}


def test_sqlite_store_runs_in_wal_mode_and_migrating_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'state.db'}"
    open_store(url)
    engine = open_store(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def _open(url: str) -> str:
    with open_store(url).connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())


def test_processes_opening_a_new_store_together_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        versions = pool.map(_open, [url] * 8)
    assert set(versions) == {HEAD}


def test_head_constant_is_alembics_head() -> None:
    """open_store skips Alembic (0.2 s to import) when the database is at HEAD: HEAD must be the real head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from store.engine import HEAD, MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD]


def test_migration_0006_gives_live_allocations_their_sort_key_and_leaves_released_ones_without(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate(engine, "0005")
    with engine.begin() as connection:
        for address, live in (("10.7.0.10", "10.7.0.10"), ("10.7.0.11", None), ("2001:db8::a", "2001:db8::a")):
            connection.execute(
                text(
                    "INSERT INTO ip_allocations (prefix, address, hostname, live_address, allocated_at, allocated_by)"
                    " VALUES ('p', :a, :a, :l, '2026-11-30 00:00:00', 'test')"
                ),
                {"a": address, "l": live},
            )
    migrate(engine)
    with engine.connect() as connection:
        keys = dict(connection.execute(text("SELECT address, live_key FROM ip_allocations")).all())
    assert keys == {"10.7.0.10": "0a07000a", "10.7.0.11": None, "2001:db8::a": "20010db8" + "0" * 23 + "a"}


def test_a_second_agent_on_one_sqlite_store_is_refused_naming_the_first(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")
    first = AgentLock(store)
    with pytest.raises(StoreUnusable, match=rf"another pantau agent \(pid {os.getpid()} on .+\) already runs"):
        AgentLock(open_store(f"sqlite:///{tmp_path / 'pantau.db'}"))
    first.release()
    AgentLock(store).release()  # the first gone, the next may start
