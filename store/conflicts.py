"""IP conflicts in the store: addresses found in use by hosts IPAM does not know. IPAM skips an address
while a conflict of it is open, in whichever prefix of a nest it was recorded; ``pantau ipam conflicts
clear`` closes it once a live check finds nobody there."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_address

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from inventory.ipam import Address
from inventory.models import Prefix
from store.schema import IpConflict

_OPEN = text("SELECT address, detected_by, mac FROM ip_conflicts WHERE cleared_at IS NULL")


def inside(s: Session | Connection, prefix: Prefix) -> dict[Address, str]:
    """The open conflicts inside ``prefix``, whichever prefix recorded them (they are few: read them all)."""
    out: dict[Address, str] = {}
    for r in s.execute(_OPEN).all():
        address = ip_address(r.address)
        if address.version == prefix.prefix.version and address in prefix.prefix:
            out[address] = f"seen by {r.detected_by}, MAC {r.mac or 'unknown'}"
    return out


def record(store: Engine, prefix: str, address: str, how: str, mac: str | None, run_id: int | None) -> None:
    with Session(store) as s, s.begin():
        s.add(IpConflict(prefix=prefix, address=address, mac=mac, detected_by=how, seen_at=_now(), run_id=run_id))


def open_conflicts(store: Engine, address: str | None = None) -> list[IpConflict]:
    """The conflicts not cleared yet (of ``address``, or all), oldest first."""
    query = select(IpConflict).where(IpConflict.cleared_at.is_(None)).order_by(IpConflict.id)
    if address is not None:
        query = query.where(IpConflict.address == address)
    with Session(store) as s:
        return list(s.scalars(query).all())


def clear(store: Engine, address: str, by: str) -> int:
    """Close the open conflicts of ``address`` (IPAM may hand it out again); how many were open."""
    with Session(store) as s, s.begin():
        res = s.execute(
            update(IpConflict)
            .where(IpConflict.address == address, IpConflict.cleared_at.is_(None))
            .values(cleared_at=_now(), cleared_by=by)
        )
        return int(getattr(res, "rowcount", 0))


def history(store: Engine, address: str) -> list[IpConflict]:
    with Session(store) as s:
        return list(s.scalars(select(IpConflict).where(IpConflict.address == address).order_by(IpConflict.id)).all())


def _now() -> datetime:
    return datetime.now(UTC)
