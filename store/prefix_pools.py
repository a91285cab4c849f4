"""Subnets carved from the IP plan's pools for new OPDs, and the links that wait for their router.

A claim chooses and inserts in one transaction, after the pool's queue lock (SQLite: beside the
database, as address claims); the unique live prefix is what keeps two OPDs from one subnet whatever
happens (PostgreSQL, or a second host). Asking again for an OPD's role returns the subnet it holds, so a
claim repeated after a crash gets the same answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from i18n import Msg
from inventory.models import Prefix
from inventory.pools import Network
from store.errors import StoreError
from store.queue_lock import queue_lock
from store.schema import PendingLink, PrefixAllocation
from store.translate import translated

ATTEMPTS = 5


class Pools:
    """Claims and releases of subnets of the pools."""

    def __init__(self, store: Engine) -> None:
        self.store = store
        database = store.url.database if store.dialect.name == "sqlite" else None
        self._lock_dir = Path(database).parent / "locks" if database and database != ":memory:" else None

    @contextlib.contextmanager
    def _pool_lock(self, pool: str) -> Iterator[None]:
        if self._lock_dir is None:
            yield
            return
        with queue_lock(self._lock_dir, f"pool-{pool}"):
            yield

    @translated("claiming a subnet")
    def claim(
        self,
        pool: Prefix,
        opd: str,
        role: str,
        by: str,
        run_id: int | None,
        choose: Callable[[list[Network]], Network],
    ) -> str:
        """The subnet of ``pool`` that ``opd`` holds for ``role``, claimed now if it holds none: ``choose``
        picks from what is live in the store (the inventory's own uses are the caller's to add).

        Raises:
            IpamError: from ``choose``: the pool is full.
            StoreError: contention the unique constraint refused every attempt of.
        """
        for _ in range(ATTEMPTS):
            try:
                with self._pool_lock(pool.name), Session(self.store) as s, s.begin():
                    held = s.scalars(
                        select(PrefixAllocation.live_prefix).where(
                            PrefixAllocation.opd == opd,
                            PrefixAllocation.role == role,
                            PrefixAllocation.pool == pool.name,
                            PrefixAllocation.live_prefix.is_not(None),
                        )
                    ).first()
                    if held is not None:
                        return held
                    live = s.scalars(
                        select(PrefixAllocation.live_prefix).where(PrefixAllocation.live_prefix.is_not(None))
                    ).all()
                    taken = [ip_network(p) for p in live if p is not None]
                    subnet = str(choose(taken))
                    s.add(
                        PrefixAllocation(
                            pool=pool.name,
                            prefix=subnet,
                            opd=opd,
                            role=role,
                            live_prefix=subnet,
                            allocated_at=datetime.now(UTC),
                            allocated_by=by,
                            run_id=run_id,
                        )
                    )
                return subnet
            except IntegrityError:
                continue  # another host took it between the read and the insert: choose again
        raise StoreError(Msg("gave up claiming a subnet of {pool}: too much contention", pool=pool.name))

    @translated("reading the pools")
    def live(self, opd: str | None = None) -> list[PrefixAllocation]:
        with Session(self.store) as s:
            query = select(PrefixAllocation).where(PrefixAllocation.live_prefix.is_not(None))
            if opd is not None:
                query = query.where(PrefixAllocation.opd == opd)
            return list(s.scalars(query.order_by(PrefixAllocation.id)).all())

    @translated("releasing subnets")
    def release(self, opd: str, by: str, run_id: int | None = None) -> list[str]:
        """Release what ``opd`` holds (only what run ``run_id`` claimed, if given); the subnets released."""
        with Session(self.store) as s, s.begin():
            query = select(PrefixAllocation).where(
                PrefixAllocation.opd == opd, PrefixAllocation.live_prefix.is_not(None)
            )
            if run_id is not None:
                query = query.where(PrefixAllocation.run_id == run_id)
            rows = list(s.scalars(query).all())
            for row in rows:
                row.live_prefix = None
                row.released_at = datetime.now(UTC)
                row.released_by = by
            return [row.prefix for row in rows]

    @translated("reading the pools")
    def history(self, opd: str) -> list[PrefixAllocation]:
        with Session(self.store) as s:
            query = select(PrefixAllocation).where(PrefixAllocation.opd == opd).order_by(PrefixAllocation.id)
            return list(s.scalars(query).all())


@translated("marking a link pending")
def mark_pending(store: Engine, link: str, opd: str, run_id: int | None) -> None:
    with Session(store) as s, s.begin():
        if s.get(PendingLink, link) is None:
            s.add(PendingLink(link=link, opd=opd, since=datetime.now(UTC), run_id=run_id))


@translated("reading pending links")
def pending(store: Engine) -> dict[str, datetime]:
    """The links waiting for their OPD's router, with since when."""
    with Session(store) as s:
        return {row.link: row.since for row in s.scalars(select(PendingLink)).all()}


@translated("clearing a pending link")
def clear_pending(store: Engine, link: str) -> bool:
    """The link is no longer pending (its router answered, or it is removed); whether it was."""
    with Session(store) as s, s.begin():
        return bool(getattr(s.execute(delete(PendingLink).where(PendingLink.link == link)), "rowcount", 0))


__all__ = ["Pools", "clear_pending", "mark_pending", "pending"]
