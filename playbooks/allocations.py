"""IP allocations in the store: claim, release, conflicts, history.

The choice is :mod:`inventory.ipam`'s (pure); here it is committed. A claim is one transaction that
first updates the prefix's row in ``ipam_prefixes`` (serializing claims in that prefix: a row lock on
PostgreSQL, so other prefixes never wait; SQLite has one write lock anyway), then reads the live
allocations, chooses, and inserts the live row. The unique constraints on (prefix, live address) and
(prefix, live hostname) are the guarantee underneath: a claim they refuse is retried. On SQLite
the claim also holds a per-prefix lock file (see ``_prefix_lock``). The live check (is somebody on the network using
the address already?) runs after the claim, so concurrent claimants never probe the same address.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.store import Base, IpAllocation, IpamPrefix, IpConflict
from inventory.ipam import Address, IpamError, check_requested, choose, free_addresses
from inventory.models import Prefix

MAX_ATTEMPTS = 256


@dataclass(frozen=True)
class Sighting:
    """Somebody answered for an address: how we know, and its MAC when the gateway told us."""

    how: str
    mac: str | None


LiveCheck = Callable[[Prefix, Address], Sighting | None]


@dataclass(frozen=True)
class Allocation:
    id: int
    prefix: str
    address: str
    hostname: str
    opd: str | None
    existing: bool  # True when the hostname already had this address (idempotent repeat)
    skipped: tuple[tuple[str, Sighting], ...] = ()  # addresses found in use by hosts IPAM did not know


def _now() -> datetime:
    return datetime.now(UTC)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@functools.lru_cache(maxsize=65536)
def _address(text: str) -> Address:
    """Parsed once per process: a claim reads every live address of its prefix while holding its lock."""
    return ip_address(text)


@functools.lru_cache(maxsize=65536)
def _value(text: str) -> int:
    """An address's integer value, cached by its text: the cheapest form for choosing under the lock."""
    return int(ip_address(text))


def _used(s: Session | Connection, prefix: str) -> dict[Address, str]:
    rows = s.execute(
        select(IpAllocation.address, IpAllocation.hostname).where(
            IpAllocation.prefix == prefix, IpAllocation.live_address.is_not(None)
        )
    ).all()
    return {_address(a): h for a, h in rows}


def _conflicts(s: Session | Connection, prefix: str) -> dict[Address, str]:
    t = _table(IpConflict)
    rows = s.execute(
        select(t.c.address, t.c.detected_by, t.c.mac).where(t.c.prefix == prefix, t.c.cleared_at.is_(None))
    ).all()
    return {_address(r.address): f"seen by {r.detected_by}, MAC {r.mac or 'unknown'}" for r in rows}


def _conflicted(conn: Connection, prefix: str) -> list[str]:
    t = _table(IpConflict)
    return list(conn.execute(select(t.c.address).where(t.c.prefix == prefix, t.c.cleared_at.is_(None))).scalars())


class Allocations:
    def __init__(self, store: Engine) -> None:
        self.store = store
        database = store.url.database if store.dialect.name == "sqlite" else None
        self._lock_dir = Path(database).parent / "locks" if database and database != ":memory:" else None

    @contextlib.contextmanager
    def _prefix_lock(self, prefix: str) -> Iterator[None]:
        """On SQLite, claims in a prefix also queue on a lock file beside the database: SQLite's own
        busy handler polls with sleeps up to 100 ms and is unfair (measured: p99 8.8 s, max 25 s for 20
        clients), while a blocking flock wakes the next waiter as soon as the lock is free."""
        if self._lock_dir is None:
            yield
            return
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        with (self._lock_dir / f"ipam-{prefix}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def used(self, prefix: str) -> dict[Address, str]:
        with Session(self.store) as s:
            return _used(s, prefix)

    def conflicts(self, prefix: str) -> dict[Address, str]:
        with Session(self.store) as s:
            return _conflicts(s, prefix)

    def live(self, hostname: str) -> list[IpAllocation]:
        with Session(self.store) as s:
            return list(s.scalars(select(IpAllocation).where(IpAllocation.live_hostname == hostname)).all())

    def allocate(
        self,
        prefix: Prefix,
        hostname: str,
        opd: str | None,
        mac: str | None,
        by: str,
        run_id: int | None,
        requested: Address | None = None,
        live_check: LiveCheck | None = None,
    ) -> Allocation:
        """Claim an address of ``prefix`` for ``hostname`` (its existing one if it has one).

        Raises:
            IpamError: the requested address is unusable or in use; the prefix is full.
        """
        skipped: list[tuple[str, Sighting]] = []
        for _ in range(MAX_ATTEMPTS):
            claim = self._claim(prefix, hostname, opd, mac, by, run_id, requested)
            if claim is None:
                continue  # lost a race the prefix lock did not cover (a first claim in a new prefix): again
            row_id, address, existing = claim
            if existing:
                return Allocation(row_id, prefix.name, str(address), hostname, opd, True, tuple(skipped))
            seen = live_check(prefix, address) if live_check is not None else None
            if seen is None:
                return Allocation(row_id, prefix.name, str(address), hostname, opd, False, tuple(skipped))
            self._unclaim(row_id)
            self.record_conflict(prefix.name, address, seen, run_id)
            skipped.append((str(address), seen))
            if requested is not None:
                raise IpamError(
                    f"cannot allocate {address}: a host IPAM does not know answers there ({seen.how}, "
                    f"MAC {seen.mac or 'unknown'}); find it, or choose another address"
                )
        raise IpamError(f"gave up allocating in {prefix.name} after {MAX_ATTEMPTS} attempts; too much contention")

    def _claim(
        self,
        prefix: Prefix,
        hostname: str,
        opd: str | None,
        mac: str | None,
        by: str,
        run_id: int | None,
        requested: Address | None,
    ) -> tuple[int, Address, bool] | None:
        """One transaction: lock the prefix, choose, insert the live row. (row id, address, existed already),
        or None if a unique constraint still refused it."""
        table, counter = _table(IpAllocation), _table(IpamPrefix)
        try:
            with self._prefix_lock(prefix.name), self.store.begin() as conn:
                # first statement: takes the prefix's row lock (PostgreSQL) or the write lock (SQLite), so the
                # reads below see every claim committed before and no other claim in this prefix runs meanwhile
                locked = conn.execute(
                    update(counter).where(counter.c.name == prefix.name).values(claims=counter.c.claims + 1)
                )
                if not locked.rowcount:
                    conn.execute(insert(counter).values(name=prefix.name, claims=1))
                mine = conn.execute(
                    select(table.c.id, table.c.address).where(
                        table.c.prefix == prefix.name, table.c.live_hostname == hostname
                    )
                ).first()
                if mine is not None:
                    if requested is not None and _address(mine.address) != requested:
                        raise IpamError(
                            f"{hostname} already has {mine.address} in {prefix.name}; decommission it first to move it"
                        )
                    return mine.id, _address(mine.address), True
                live = (
                    conn.execute(
                        select(table.c.address).where(table.c.prefix == prefix.name, table.c.live_address.is_not(None))
                    )
                    .scalars()
                    .all()
                )  # all(): one fetchall, not a fetchone per row
                if requested is not None:
                    check_requested(prefix, requested, _used(conn, prefix.name), _conflicts(conn, prefix.name))
                    address = requested
                else:
                    taken = {_value(a) for a in live} | {_value(a) for a in _conflicted(conn, prefix.name)}
                    found = next(free_addresses(prefix, taken), None)
                    if found is None:  # full: let the chooser say how (reserved, used, in conflict)
                        choose(prefix, set(_used(conn, prefix.name)), set(_conflicts(conn, prefix.name)))
                    assert found is not None
                    address = found
                inserted = conn.execute(
                    insert(table).values(
                        prefix=prefix.name,
                        address=str(address),
                        hostname=hostname,
                        opd=opd,
                        mac=mac,
                        live_address=str(address),
                        live_hostname=hostname,
                        allocated_at=_now(),
                        allocated_by=by,
                        run_id=run_id,
                    )
                )
                key = inserted.inserted_primary_key
                assert key is not None
                return int(key[0]), address, False
        except IntegrityError:
            return None

    def _unclaim(self, row_id: int) -> None:
        """Withdraw a claim that never became an allocation (the address turned out to be in use)."""
        with Session(self.store) as s, s.begin():
            row = s.get(IpAllocation, row_id)
            if row is not None:
                s.delete(row)

    def record_conflict(self, prefix: str, address: Address, seen: Sighting, run_id: int | None) -> None:
        with Session(self.store) as s, s.begin():
            s.add(
                IpConflict(
                    prefix=prefix,
                    address=str(address),
                    mac=seen.mac,
                    detected_by=seen.how,
                    seen_at=_now(),
                    run_id=run_id,
                )
            )

    def release(self, allocation_id: int, by: str) -> bool:
        """Release a live allocation (kept as history); False if it was not live."""
        with Session(self.store) as s, s.begin():
            res = s.execute(
                update(IpAllocation)
                .where(IpAllocation.id == allocation_id, IpAllocation.live_address.is_not(None))
                .values(live_address=None, live_hostname=None, released_at=_now(), released_by=by)
            )
            return bool(getattr(res, "rowcount", 0))

    def release_run(self, run_id: int, by: str) -> list[str]:
        """Release every live allocation a run made; the addresses released."""
        with Session(self.store) as s:
            rows = s.scalars(
                select(IpAllocation).where(IpAllocation.run_id == run_id, IpAllocation.live_address.is_not(None))
            ).all()
        return [r.address for r in rows if self.release(r.id, by)]

    def relive(self, allocation_id: int) -> bool:
        """Undo a release (a decommission that failed later): only if nobody took the address or name since."""
        try:
            with Session(self.store) as s, s.begin():
                row = s.get(IpAllocation, allocation_id)
                if row is None:
                    return False
                row.live_address, row.live_hostname = row.address, row.hostname
                row.released_at = row.released_by = None
            return True
        except IntegrityError:
            return False

    def history(self, address: str) -> list[IpAllocation]:
        with Session(self.store) as s:
            return list(
                s.scalars(select(IpAllocation).where(IpAllocation.address == address).order_by(IpAllocation.id)).all()
            )

    def conflict_history(self, address: str) -> list[IpConflict]:
        with Session(self.store) as s:
            return list(
                s.scalars(select(IpConflict).where(IpConflict.address == address).order_by(IpConflict.id)).all()
            )
