"""Agents sharing one store: each joins with a new epoch, keeps a heartbeat, and reads who else is alive.
The epoch is a fencing token: an agent's writes carry it, and :func:`check` (inside the write's own
transaction) refuses them when a newer incarnation of that agent joined, or when its heartbeat is older
than the lease (a partitioned agent whose devices the others have taken over). No home-made consensus: the
database's transactions and row locks are the arbiter.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from i18n import Msg
from store.errors import StoreError
from store.schema import AgentRow
from store.translate import translated


class Fenced(StoreError):
    """A write refused: the agent's lease ran out, or a newer incarnation of it joined."""


@dataclass(frozen=True)
class Fence:
    """What an agent's writes carry: who, which incarnation, and how long a heartbeat holds."""

    agent: str
    epoch: int
    lease: timedelta


def _now(conn: Connection) -> datetime:
    """The time heartbeats are dated and judged by: PostgreSQL's clock, one for every agent whatever their
    hosts' clocks say (SQLite's store has one host: this process's)."""
    if conn.dialect.name == "postgresql":
        return _aware(conn.execute(select(func.clock_timestamp())).scalar_one())
    return datetime.now(UTC)


@translated("joining the agents")
def join(store: Engine, agent: str) -> int:
    """Register ``agent`` as alive under a new epoch (one more than any it had); the epoch."""
    with Session(store) as s, s.begin():
        now = _now(s.connection())
        row = s.get(AgentRow, agent, with_for_update=True)
        if row is None:
            row = AgentRow(id=agent, epoch=0, host="", pid=0, started_at=now, heartbeat_at=now)
            s.add(row)
        row.epoch += 1
        row.host, row.pid, row.started_at, row.heartbeat_at = socket.gethostname(), os.getpid(), now, now
        s.flush()
        return row.epoch


#: what keeping the heartbeat found: renewed, the lease ran out first, or a newer incarnation joined
Beat = Literal["held", "lapsed", "superseded"]


@translated("keeping the heartbeat")
def beat(store: Engine, fence: Fence) -> Beat:
    """Refresh the heartbeat while the lease holds. A lease that ran out is not renewed: the others own the
    agent's devices by then, and it must join again under a new epoch, so that what it measured under the
    old one is refused (``lapsed``); ``superseded``: a newer incarnation of the agent has joined."""
    with store.begin() as conn:
        query = select(AgentRow.epoch, AgentRow.heartbeat_at).where(AgentRow.id == fence.agent)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None or row.epoch != fence.epoch:
            return "superseded"
        now = _now(conn)
        if _aware(row.heartbeat_at) <= now - fence.lease:
            return "lapsed"
        conn.execute(update(AgentRow).where(AgentRow.id == fence.agent).values(heartbeat_at=now))
        return "held"


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@translated("leaving the agents")
def leave(store: Engine, fence: Fence, after: timedelta = timedelta(0)) -> None:
    """A clean stop: the heartbeat is made to go stale ``after`` from now (at most the lease), so the others
    take the devices over then rather than a whole lease later: ``after`` a round, the agent's last poll and
    the first of the one taking over are a round apart, never two polls in one interval."""
    with store.begin() as conn:
        stale_at = _now(conn) - fence.lease + min(after, fence.lease)
        conn.execute(
            update(AgentRow)
            .where(AgentRow.id == fence.agent, AgentRow.epoch == fence.epoch)
            .values(heartbeat_at=stale_at)
        )


@translated("reading the agents")
def members(store: Engine, lease: timedelta) -> list[str]:
    """The agents whose heartbeat is younger than ``lease``, by id."""
    with Session(store) as s:
        now = _now(s.connection())
        query = select(AgentRow.id).where(AgentRow.heartbeat_at > now - lease).order_by(AgentRow.id)
        return list(s.scalars(query).all())


def check(conn: Connection, fence: Fence) -> None:
    """Inside a write's transaction: refuse it unless ``fence`` is the agent's current epoch and its
    heartbeat is within the lease. On PostgreSQL the agent's row is locked until the write commits, so a
    newer incarnation cannot join in between.

    Raises:
        Fenced: the write must not be stored; says why.
    """
    query = select(AgentRow.epoch, AgentRow.heartbeat_at).where(AgentRow.id == fence.agent)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None or row.epoch != fence.epoch:
        raise Fenced(
            Msg(
                "agent {agent} epoch {epoch} was superseded (now {now}): its write is refused",
                agent=fence.agent,
                epoch=fence.epoch,
                now=row.epoch if row else "none",
            )
        )
    beat_at = _aware(row.heartbeat_at)
    if beat_at <= _now(conn) - fence.lease:
        raise Fenced(
            Msg(
                "agent {agent}'s lease ran out at {at}: its devices may be another's now; the write is refused",
                agent=fence.agent,
                at=(beat_at + fence.lease).isoformat(timespec="seconds"),
            )
        )
