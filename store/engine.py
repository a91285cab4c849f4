"""The store's engine: SQLite in WAL mode by default (any SQLAlchemy URL, PostgreSQL tested), and Alembic
migrations; :func:`open_store` brings any database to the head revision before it is used.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from i18n import Msg
from store.errors import StoreError, StoreUnusable
from store.files import create_private, private_directory

log = logging.getLogger(__name__)
#: the handle every repository of the store takes; code above ``store/`` names it by this alias only
Store = Engine
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")  # 20 playbooks at once: 5 s was exceeded once
    cursor.close()


#: libpq's settings for a store across a network, unless the URL sets them: a server that stops answering
#: (a partition, a failover) fails a call within half a minute instead of TCP's quarter of an hour, so the
#: agent's heartbeat and writes report it and retry on a new connection
POSTGRESQL_DEFAULTS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,  # ms: sent data unacknowledged this long closes the connection
}


def _postgresql_defaults(url: str) -> dict[str, Any]:
    if not url.startswith(("postgresql:", "postgresql+")):
        return {}
    given = make_url(url).query
    return {k: v for k, v in POSTGRESQL_DEFAULTS.items() if k not in given}


def make_engine(url: str, create: bool = True) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode, and are created 0600 in a 0700 folder (with
    ``create=False`` a missing file is an error instead: a command that only reads makes no store).

    Raises:
        StoreUnusable: the file cannot be created, or is missing where it may not be; the URL is not one.
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        database = Path(url.removeprefix("sqlite:///"))
        if not create and not database.exists():
            raise StoreUnusable(
                Msg(
                    "no store at {database}: nothing has been recorded there yet (the agent makes it when it "
                    "starts). If pantau keeps its records elsewhere, give that folder as state_dir "
                    "(PANTAU_STATE_DIR, --state-dir)",
                    database=database,
                )
            )
        try:
            private_directory(database.parent)
            create_private(database)
        except OSError as exc:
            raise StoreUnusable(
                Msg(
                    "cannot create the store {database}: {why}; set state_dir (PANTAU_STATE_DIR, --state-dir) "
                    "to a folder pantau may write",
                    database=database,
                    why=exc.strerror,
                )
            ) from exc
    try:
        engine = create_engine(url, connect_args=_postgresql_defaults(url))
    except ModuleNotFoundError as exc:
        raise StoreUnusable(
            Msg(
                "the store URL needs the Python module '{module}', which is not installed; for PostgreSQL install "
                "pantau[postgresql] (psycopg)",
                module=exc.name,
            )
        ) from exc
    except ArgumentError as exc:
        raise StoreUnusable(Msg("store_url is not a database URL: {exc}", exc=exc)) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Processes that start together on a new SQLite store would all try to create its tables (seen: 'table
    already exists' for 1 of 10); they queue on a lock file beside the database instead."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    locks = Path(database).parent / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / "migrate.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: the newest migration in store/migrations/versions (a unit test checks it against Alembic's head)
HEAD = "0018"


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``.

    Raises:
        StoreError: the database cannot be reached or a migration fails.
    """
    from alembic import command  # noqa: PLC0415 (0.2 s to import: only when there is something to do)
    from alembic.config import Config as AlembicConfig  # noqa: PLC0415 (alembic: imported with the line above, only to migrate)

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migration_lock(engine), engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # one migrating process at a time, released at commit
                connection.execute(text("SELECT pg_advisory_xact_lock(7160001)"))
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StoreError(
            Msg("cannot migrate the store at {url!r}: {exc}; check the URL and access", url=engine.url, exc=exc)
        ) from exc


def _at_head(engine: Engine) -> bool:
    """Whether the database is already at :data:`HEAD` (the common case: every command opens the store)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    except SQLAlchemyError:
        return False  # no version table yet, or unreachable: migrate() says which


def open_store(url: str, create: bool = True) -> Store:
    """An engine on a database migrated to the head revision (``create=False``: only one that exists).

    Raises:
        StoreError: the database cannot be reached, created or migrated.
    """
    engine = make_engine(url, create)
    if not _at_head(engine):
        migrate(engine)
    log.info("store ready at %s", engine.url.render_as_string(hide_password=True))
    return engine


class AgentLock:
    """The one agent of a SQLite store: an exclusive lock on a file beside the database, held for the
    agent's life (the kernel drops it when the process dies, however it dies). A second agent on the same
    file would rewrite the first's open rollup periods and poll every device twice; several agents share a
    PostgreSQL store instead. On PostgreSQL nothing is locked here."""

    def __init__(self, store: Engine) -> None:
        self._handle: Any = None
        database = store.url.database if store.dialect.name == "sqlite" else None
        if not database or database == ":memory:":
            return
        path = Path(f"{database}.agent")
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreUnusable(
                Msg(
                    "another pantau agent ({holder}) already runs on the store {database}: one agent per SQLite "
                    "store. Stop it, give this one its own state_dir, or share a PostgreSQL store (store_url) "
                    "between agents",
                    holder=holder,
                    database=database,
                )
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
