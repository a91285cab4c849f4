"""IP allocations in the store: claim, release, conflicts, history.

The choice is :mod:`inventory.ipam`'s (pure); here it is committed. A claim is one transaction that
first updates the row in ``ipam_prefixes`` of the outermost prefix holding the claimed one (serializing
claims in a nest of prefixes: a row lock on PostgreSQL, so other prefixes never wait; SQLite has one
write lock anyway), then reads the live addresses inside the prefix, whichever prefix of the nest holds
them, from the prefix's floor up (see ``_lowest_free``), chooses, and inserts the live row. The unique
constraints on the live address (across all prefixes: a parent and its child can never both hand one
out) and on (prefix, live hostname) are the guarantee underneath: a claim they refuse is retried. On
SQLite claims in a nest also queue first come, first served (see ``_prefix_lock``). The live check (is
somebody on the network using the address already?) runs after the claim, so concurrent claimants never
probe the same address.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from i18n import Msg
from inventory.ipam import (
    Address,
    IpamError,
    all_taken_below,
    bounds,
    check_requested,
    choose,
    free_addresses,
    outermost,
)
from inventory.models import Prefix
from store import conflicts
from store.queue_lock import queue_lock
from store.schema import Base, IpAllocation

MAX_ATTEMPTS = 256
PAGE = 256  # live addresses read per query while looking for the lowest free one
CHECKPOINT_EVERY = 8  # claims between checkpoints of SQLite's log a long-lived client makes itself


@dataclass(frozen=True)
class Sighting:
    """Somebody answered for an address: how we know, and its MAC when the gateway told us."""

    how: str
    mac: str | None


@dataclass(frozen=True)
class _Wanted:
    """What one claim asks for."""

    prefix: Prefix
    hostname: str
    opd: str | None
    mac: str | None
    by: str
    run_id: int | None
    requested: Address | None


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


@functools.lru_cache(maxsize=65536)
def _address(text: str) -> Address:
    """Parsed once per process (a prefix's live addresses are read whole for a requested address and reports)."""
    return ip_address(text)


@functools.lru_cache(maxsize=65536)
def _value(text: str) -> int:
    """An address's integer value, cached by its text: the form the chooser takes what is taken in."""
    return int(ip_address(text))


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# The claim's statements, built once. All but the insert are plain SQL, the same on SQLite and
# PostgreSQL: a process compiles each SQLAlchemy Core statement on its first use, which made a process's
# first claim cost 4.4 ms of CPU instead of 3.0 (a later claim: 0.7 ms), and 20 claimants starting
# together on 2 cores pay it at the same moment (measured: IPAM p99 with cold clients 37-59 ms as Core,
# 29-34 ms as text). The names are the models' (store/schema.py); every statement runs in tests on SQLite
# and PostgreSQL.
_TAKE_PREFIX = text("UPDATE ipam_prefixes SET claims = claims + 1 WHERE name = :p RETURNING floor")
_FLOOR = text("SELECT floor FROM ipam_prefixes WHERE name = :p")
_NEW_PREFIX = text("INSERT INTO ipam_prefixes (name, claims) VALUES (:p, 1)")
_SET_FLOOR = text("UPDATE ipam_prefixes SET floor = :floor WHERE name = :p")
_MINE = text("SELECT id, address FROM ip_allocations WHERE prefix = :p AND live_hostname = :hostname")
# the live addresses inside a prefix, of whichever prefix (a nested one, or one around it); the key's width
# keeps IPv6 keys out of an IPv4 range
_LIVE_BELOW = text(
    "SELECT count(*) FROM ip_allocations WHERE live_key >= :first AND live_key < :key AND length(live_key) = :w"
)
_LIVE_FROM = text(
    "SELECT live_key FROM ip_allocations WHERE live_key >= :key AND live_key <= :last AND length(live_key) = :w "
    "ORDER BY live_key LIMIT :n"
)
_LIVE_IN = text(
    "SELECT address, hostname FROM ip_allocations WHERE live_key >= :first AND live_key <= :last "
    "AND length(live_key) = :w"
)
_INSERT = insert(_table(IpAllocation))


def _key(value: int, version: int) -> str:
    """The live_key form of an address's value: fixed-width hex, so text order is address order."""
    return format(value, "08x" if version == 4 else "032x")


def _span(prefix: Prefix) -> dict[str, object]:
    """The bounds of ``prefix``'s live keys, as the range statements take them."""
    first, last = bounds(prefix)
    version = prefix.prefix.version
    return {"first": _key(first, version), "last": _key(last, version), "w": 8 if version == 4 else 32}


def _lowest_free(conn: Connection, prefix: Prefix, floor: str | None) -> Address:
    """The lowest free address of ``prefix``, reading live addresses in pages through the (prefix, live_key)
    index from the floor up (from the first address when something below the floor was freed, which a
    count shows), so a claim costs the same with 10 or 50,000 live allocations.

    Raises:
        NoFreeAddress: the prefix is full (the message counts reserved, used and conflicting addresses).
    """
    conflicted = {int(a) for a in conflicts.inside(conn, prefix)}
    span = _span(prefix)
    cursor, _ = bounds(prefix)
    if floor is not None:
        live_below = conn.execute(_LIVE_BELOW, {**span, "key": floor}).scalar_one()
        if all_taken_below(prefix, int(floor, 16), live_below, conflicted):
            cursor = int(floor, 16)
    while True:
        page = conn.execute(_LIVE_FROM, {**span, "key": _key(cursor, prefix.prefix.version), "n": PAGE}).scalars().all()
        found = next(free_addresses(prefix, {int(k, 16) for k in page} | conflicted, cursor), None)
        if len(page) < PAGE:
            if found is None:  # full: let the chooser say how (reserved, used, in conflict)
                choose(prefix, set(_used(conn, prefix)), set(conflicts.inside(conn, prefix)))
            assert found is not None
            return found
        top = int(page[-1], 16)
        if found is not None and int(found) < top:
            return found
        cursor = top + 1  # every live address up to ``top`` is read: the next page goes on from there


def _row(want: _Wanted, value: int, version: int) -> dict[str, object]:
    """The ip_allocations row of a claim of the address ``value``."""
    text = str(IPv4Address(value) if version == 4 else IPv6Address(value))
    return {
        "prefix": want.prefix.name,
        "address": text,
        "hostname": want.hostname,
        "opd": want.opd,
        "mac": want.mac,
        "live_address": text,
        "live_hostname": want.hostname,
        "live_key": _key(value, version),
        "allocated_at": _now(),
        "allocated_by": want.by,
        "run_id": want.run_id,
    }


def _used(s: Session | Connection, prefix: Prefix) -> dict[Address, str]:
    """The live addresses inside ``prefix`` (of it or of a prefix nested with it) and their hostnames."""
    return {_address(a): h for a, h in s.execute(_LIVE_IN, _span(prefix)).all()}


class Allocations:
    """Claims and releases of addresses; ``prefixes`` (the IP plan) tell which prefixes nest, so claims in
    a nest serialize on its outermost prefix (without them each prefix is its own: still never one address
    twice, as the unique constraint refuses it, but with retries)."""

    def __init__(self, store: Engine, prefixes: Sequence[Prefix] = ()) -> None:
        self.store = store
        self.prefixes = tuple(prefixes)
        database = store.url.database if store.dialect.name == "sqlite" else None
        self._lock_dir = Path(database).parent / "locks" if database and database != ":memory:" else None
        self._prepared: set[str] = set()  # prefixes whose claim statements this process has prepared
        self._claims = 0  # on SQLite: claims since this object was made, for the log's checkpoints

    @contextlib.contextmanager
    def _prefix_lock(self, prefix: str) -> Iterator[None]:
        """On SQLite, claims in a prefix also queue, first come first served, on a lock file beside the
        database: SQLite's own busy handler polls with sleeps up to 100 ms (measured: p99 8.8 s, max 25 s
        for 20 clients), and a plain flock lets a random waiter win each release (p99 5-7x the median)."""
        if self._lock_dir is None:
            yield
            return
        with queue_lock(self._lock_dir, f"ipam-{prefix}"):
            yield

    def prepare(self, prefix: Prefix) -> None:
        """Prepare this process's claims in ``prefix`` ahead of the first one (a long-lived client can do it
        at start; a claim does it itself otherwise)."""
        with self.store.connect() as conn:
            self._rehearse(conn, prefix, "")
        self._prepared.add(prefix.name)

    def used(self, prefix: Prefix) -> dict[Address, str]:
        """The live addresses inside ``prefix``, also those of prefixes nested in it."""
        with Session(self.store) as s:
            return _used(s, prefix)

    def conflicts(self, prefix: Prefix) -> dict[Address, str]:
        with Session(self.store) as s:
            return conflicts.inside(s, prefix)

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
            claim = self._claim(_Wanted(prefix, hostname, opd, mac, by, run_id, requested))
            if claim is None:
                continue  # lost a race the prefix lock did not cover (a first claim in a new prefix): again
            row_id, address, existing = claim
            if existing:
                return Allocation(row_id, prefix.name, str(address), hostname, opd, True, tuple(skipped))
            try:
                seen = live_check(prefix, address) if live_check is not None else None
            except BaseException:  # the check could not decide: the claim is withdrawn, nothing half-done
                self._unclaim(row_id)
                raise
            if seen is None:
                return Allocation(row_id, prefix.name, str(address), hostname, opd, False, tuple(skipped))
            self._unclaim(row_id)
            conflicts.record(self.store, prefix.name, str(address), seen.how, seen.mac, run_id)
            skipped.append((str(address), seen))
            if requested is not None:
                raise IpamError(
                    Msg(
                        "cannot allocate {address}: a host IPAM does not know answers there ({how}, "
                        "MAC {mac}); find it, or choose another address",
                        address=address,
                        how=seen.how,
                        mac=seen.mac or "unknown",
                    )
                )
        raise IpamError(
            Msg(
                "gave up allocating in {name} after {attempts} attempts; too much contention",
                name=prefix.name,
                attempts=MAX_ATTEMPTS,
            )
        )

    def _claim(self, want: _Wanted) -> tuple[int, Address, bool] | None:
        """One transaction: lock the prefix, choose, insert the live row. (row id, address, existed already),
        or None if a unique constraint still refused it."""
        lock = outermost(self.prefixes, want.prefix).name
        try:
            with self.store.connect() as conn:
                if want.requested is None and want.prefix.name not in self._prepared:
                    self._rehearse(conn, want.prefix, want.hostname)
                    self._prepared.add(want.prefix.name)
                if conn.dialect.name != "sqlite":
                    with conn.begin():
                        return self._claim_locked(conn, want, lock)
                # SQLite checkpoints its write-ahead log in the commit that fills it (1,000 pages, a claim
                # writes about 10): not while the prefix's queue waits on this claim, but after it
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
                conn.commit()
                try:
                    with self._prefix_lock(lock), conn.begin():
                        return self._claim_locked(conn, want, lock)
                finally:
                    self._claims += 1
                    if self._claims % CHECKPOINT_EVERY == 0:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                    conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 1000")  # SQLite's default, for the rest
                    conn.commit()
        except IntegrityError:
            return None

    @staticmethod
    def _rehearse(conn: Connection, prefix: Prefix, hostname: str) -> None:
        """Run the claim's reads before this process's first claim in a prefix queues, in a read transaction
        that takes no lock: SQLAlchemy compiles (the insert) and SQLite prepares each statement on its first
        use in a process, which a one-claim command would otherwise do while every other claimant of the
        prefix waits."""
        with conn.begin():
            floor = conn.execute(_FLOOR, {"p": prefix.name}).scalar()
            conn.execute(_MINE, {"p": prefix.name, "hostname": hostname}).first()
            with contextlib.suppress(IpamError):
                _lowest_free(conn, prefix, floor)
        if conn.dialect.name == "sqlite":
            # the writes too: with query_only SQLite refuses them before taking any lock, after SQLAlchemy
            # has compiled (and cached) them
            row = _row(_Wanted(prefix, hostname, None, None, "", None, None), bounds(prefix)[0], prefix.prefix.version)
            writes = (
                (_TAKE_PREFIX, {"p": prefix.name}),
                (_SET_FLOOR, {"p": prefix.name, "floor": None}),
                (_INSERT, row),
            )
            with conn.begin():
                conn.exec_driver_sql("PRAGMA query_only = 1")
                try:
                    for statement, params in writes:
                        with contextlib.suppress(OperationalError):
                            conn.execute(statement, params)
                finally:
                    conn.exec_driver_sql("PRAGMA query_only = 0")

    @staticmethod
    def _claim_locked(conn: Connection, want: _Wanted, lock: str) -> tuple[int, Address, bool]:
        """The claim inside its transaction, holding the lock of ``lock``, the outermost prefix of the nest:
        (row id, address, existed already)."""
        prefix, hostname, requested = want.prefix, want.hostname, want.requested
        # first statement: takes the nest's row lock (PostgreSQL) or the write lock (SQLite), so the reads
        # below see every claim committed before and no other claim in this nest runs meanwhile
        if lock != prefix.name and conn.execute(_TAKE_PREFIX, {"p": lock}).first() is None:
            conn.execute(_NEW_PREFIX, {"p": lock})
        locked = conn.execute(_TAKE_PREFIX, {"p": prefix.name}).first()
        if locked is None:
            conn.execute(_NEW_PREFIX, {"p": prefix.name})
        mine = conn.execute(_MINE, {"p": prefix.name, "hostname": hostname}).first()
        if mine is not None:
            if requested is not None and _address(mine.address) != requested:
                raise IpamError(
                    Msg(
                        "{hostname} already has {address} in {name}; decommission it first to move it",
                        hostname=hostname,
                        address=mine.address,
                        name=prefix.name,
                    )
                )
            return mine.id, _address(mine.address), True
        if requested is not None:
            check_requested(prefix, requested, _used(conn, prefix), conflicts.inside(conn, prefix))
            address = requested
        else:
            address = _lowest_free(conn, prefix, locked.floor if locked is not None else None)
        inserted = conn.execute(_INSERT, _row(want, int(address), address.version))
        if requested is None:  # every address below it is taken now: the next claim starts there
            conn.execute(_SET_FLOOR, {"p": prefix.name, "floor": _key(int(address), address.version)})
        key = inserted.inserted_primary_key
        assert key is not None
        return int(key[0]), address, False

    def _unclaim(self, row_id: int) -> None:
        """Withdraw a claim that never became an allocation (the address turned out to be in use)."""
        with Session(self.store) as s, s.begin():
            row = s.get(IpAllocation, row_id)
            if row is not None:
                s.delete(row)

    def release(self, allocation_id: int, by: str, run_id: int | None = None) -> bool:
        """Release a live allocation (kept as history, with the run that released it); False if it was not
        live."""
        with Session(self.store) as s, s.begin():
            res = s.execute(
                update(IpAllocation)
                .where(IpAllocation.id == allocation_id, IpAllocation.live_address.is_not(None))
                .values(
                    live_address=None,
                    live_hostname=None,
                    live_key=None,
                    released_at=_now(),
                    released_by=by,
                    released_run_id=run_id,
                )
            )
            return bool(getattr(res, "rowcount", 0))

    def release_run(self, run_id: int, by: str) -> list[str]:
        """Release every live allocation a run made (undoing it: the release is that run's too); the
        addresses released."""
        with Session(self.store) as s:
            rows = s.scalars(
                select(IpAllocation).where(IpAllocation.run_id == run_id, IpAllocation.live_address.is_not(None))
            ).all()
        return [r.address for r in rows if self.release(r.id, by, run_id)]

    def relive(self, allocation_id: int) -> bool:
        """Undo a release (a decommission that failed later): only if nobody took the address or name since."""
        try:
            with Session(self.store) as s, s.begin():
                row = s.get(IpAllocation, allocation_id)
                if row is None:
                    return False
                row.live_address, row.live_hostname = row.address, row.hostname
                row.live_key = _key(_value(row.address), _address(row.address).version)
                row.released_at = row.released_by = row.released_run_id = None
            return True
        except IntegrityError:
            return False

    def history(self, address: str) -> list[IpAllocation]:
        with Session(self.store) as s:
            return list(
                s.scalars(select(IpAllocation).where(IpAllocation.address == address).order_by(IpAllocation.id)).all()
            )
