"""The DNS change log: every record an RFC 2136 update added to or deleted from a zone, by whom, in which run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from store.schema import DnsChange
from store.translate import translated


@dataclass(frozen=True)
class Change:
    at: datetime
    zone: str
    name: str
    rtype: str
    value: str
    ttl: int | None
    action: str  # add | delete | replace
    by: str
    run_id: int | None


@translated("writing the DNS change log")
def record(store: Engine, change: Change) -> None:
    with Session(store) as s, s.begin():
        s.add(DnsChange(**change.__dict__))


def now() -> datetime:
    return datetime.now(UTC)


@translated("reading the DNS change log")
def aliases_of(store: Engine, target: str) -> list[str]:
    """Names of CNAMEs pointing at ``target`` that were added and not deleted since, oldest first."""
    with Session(store) as s:
        changes = s.scalars(
            select(DnsChange).where(DnsChange.rtype == "CNAME", DnsChange.value == target).order_by(DnsChange.id)
        ).all()
        live: dict[str, None] = {}
        for change in changes:
            if change.action == "delete":
                live.pop(change.name, None)
            else:
                live[change.name] = None
        return list(live)


@translated("reading recent DNS changes")
def changes_under(store: Engine, suffix: str, since: datetime) -> list[Change]:
    """Changes at or after ``since`` of names containing ``suffix`` (e.g. '.dinkes.'), newest first."""
    with Session(store) as s:
        rows = s.scalars(
            select(DnsChange)
            .where(DnsChange.at >= since, DnsChange.name.contains(suffix))
            .order_by(DnsChange.id.desc())
        )
        return [Change(r.at, r.zone, r.name, r.rtype, r.value, r.ttl, r.action, r.by, r.run_id) for r in rows]
