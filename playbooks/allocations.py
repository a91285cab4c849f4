"""IP allocations in the store: claim, release, conflicts, history.

The choice is :mod:`inventory.ipam`'s (pure); here it is committed. A claim is an INSERT of a live row:
the unique constraints on (prefix, live address) and (prefix, live hostname) decide between two
processes claiming at once; the loser chooses again. Nothing is locked but the row, so allocations in
different prefixes never wait on each other. The live check (is somebody on the network already
using the address?) runs after the claim, so concurrent claimants never probe the same address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.store import IpAllocation, IpConflict
from inventory.ipam import Address, IpamError, check_requested, choose
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


class Allocations:
    def __init__(self, store: Engine) -> None:
        self.store = store

    def used(self, prefix: str) -> dict[Address, str]:
        with Session(self.store) as s:
            rows = s.execute(
                select(IpAllocation.address, IpAllocation.hostname).where(
                    IpAllocation.prefix == prefix, IpAllocation.live_address.is_not(None)
                )
            ).all()
        return {ip_address(a): h for a, h in rows}

    def conflicts(self, prefix: str) -> dict[Address, str]:
        with Session(self.store) as s:
            rows = s.scalars(
                select(IpConflict).where(IpConflict.prefix == prefix, IpConflict.cleared_at.is_(None))
            ).all()
        return {ip_address(r.address): f"seen by {r.detected_by}, MAC {r.mac or 'unknown'}" for r in rows}

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
        lost: set[Address] = set()
        skipped: list[tuple[str, Sighting]] = []
        for _ in range(MAX_ATTEMPTS):
            mine = self._live_for(prefix.name, hostname)
            if mine is not None:
                if requested is not None and ip_address(mine.address) != requested:
                    raise IpamError(
                        f"{hostname} already has {mine.address} in {prefix.name}; decommission it first to move it"
                    )
                return Allocation(mine.id, mine.prefix, mine.address, mine.hostname, mine.opd, existing=True)
            used, conflicts = self.used(prefix.name), self.conflicts(prefix.name)
            if requested is not None:
                check_requested(prefix, requested, used, conflicts)
                candidate = requested
            else:
                candidate = choose(prefix, set(used) | lost, set(conflicts))
            row_id = self._claim(prefix, candidate, hostname, opd, mac, by, run_id)
            if row_id is None:
                lost.add(candidate)  # somebody else claimed it (or this hostname) first: look again
                continue
            seen = live_check(prefix, candidate) if live_check is not None else None
            if seen is None:
                return Allocation(row_id, prefix.name, str(candidate), hostname, opd, False, tuple(skipped))
            self._unclaim(row_id)
            self.record_conflict(prefix.name, candidate, seen, run_id)
            skipped.append((str(candidate), seen))
            if requested is not None:
                raise IpamError(
                    f"cannot allocate {candidate}: a host IPAM does not know answers there ({seen.how}, "
                    f"MAC {seen.mac or 'unknown'}); find it, or choose another address"
                )
        raise IpamError(f"gave up allocating in {prefix.name} after {MAX_ATTEMPTS} attempts; too much contention")

    def _live_for(self, prefix: str, hostname: str) -> IpAllocation | None:
        with Session(self.store) as s:
            return s.scalars(
                select(IpAllocation).where(IpAllocation.prefix == prefix, IpAllocation.live_hostname == hostname)
            ).first()

    def _claim(
        self,
        prefix: Prefix,
        address: Address,
        hostname: str,
        opd: str | None,
        mac: str | None,
        by: str,
        run_id: int | None,
    ) -> int | None:
        row = IpAllocation(
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
        try:
            with Session(self.store) as s, s.begin():
                s.add(row)
                s.flush()
                return row.id
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
