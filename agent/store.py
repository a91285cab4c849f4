"""The state store: SQLAlchemy 2 tables, an engine (SQLite in WAL mode by default), Alembic migrations.

Schema changes go through migrations in ``agent/migrations``; :func:`open_store` brings any database
to the head revision before the agent uses it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import DateTime, Float, Integer, String, UniqueConstraint, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from agent.errors import StoreError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    pass


class LinkRollup(Base):
    """Five-minute summary of one OPD link: the evidence for bandwidth planning (SOP 13) and baselines."""

    __tablename__ = "link_rollups"
    __table_args__ = (UniqueConstraint("link", "period_start", name="uq_link_rollups_link_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link: Mapped[str] = mapped_column(String(63), index=True)
    opd: Mapped[str] = mapped_column(String(63), index=True)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_seconds: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer)
    in_bps_avg: Mapped[float | None] = mapped_column(Float)
    in_bps_max: Mapped[float | None] = mapped_column(Float)
    out_bps_avg: Mapped[float | None] = mapped_column(Float)
    out_bps_max: Mapped[float | None] = mapped_column(Float)
    loss_ratio: Mapped[float | None] = mapped_column(Float)
    rtt_avg_seconds: Mapped[float | None] = mapped_column(Float)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode and their folder is created."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``.

    Raises:
        StoreError: the database cannot be reached or a migration fails.
    """
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the store at {engine.url!r}: {exc}; check the URL and access") from exc


def open_store(url: str) -> Engine:
    """An engine on a database migrated to the head revision."""
    engine = make_engine(url)
    migrate(engine)
    log.info("store ready at %s", engine.url.render_as_string(hide_password=True))
    return engine
