"""Probe targets registered by playbooks (SOP 14 step 8): servers the running agent probes beside the
inventory's targets, picked up on its next interval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.schema import ProbeTargetRow
from store.translate import translated


@dataclass(frozen=True)
class RegisteredTarget:
    name: str
    address: str
    kind: str
    opd: str | None
    added_at: datetime
    added_by: str


def _target(r: ProbeTargetRow) -> RegisteredTarget:
    return RegisteredTarget(r.name, r.address, r.kind, r.opd, r.added_at, r.added_by)


@translated("registering a probe target")
def add(
    store: Engine, name: str, address: str, opd: str | None, by: str, run_id: int | None
) -> RegisteredTarget | None:
    """Add ``name`` as a server target; None when added, else the target already registered under that name."""
    try:
        with Session(store) as s, s.begin():
            s.add(
                ProbeTargetRow(
                    name=name,
                    address=address,
                    kind="server",
                    opd=opd,
                    added_at=datetime.now(UTC),
                    added_by=by,
                    run_id=run_id,
                )
            )
    except IntegrityError:
        with Session(store) as s:
            return _target(s.scalars(select(ProbeTargetRow).where(ProbeTargetRow.name == name)).one())
    return None


@translated("removing a probe target")
def remove(store: Engine, name: str) -> bool:
    with Session(store) as s, s.begin():
        res = s.execute(delete(ProbeTargetRow).where(ProbeTargetRow.name == name))
        return bool(getattr(res, "rowcount", 0))


@translated("reading registered probe targets")
def all_targets(store: Engine, opd: str | None = None) -> list[RegisteredTarget]:
    """Every registered target by name (only ``opd``'s when given)."""
    query = select(ProbeTargetRow).order_by(ProbeTargetRow.name)
    if opd is not None:
        query = query.where(ProbeTargetRow.opd == opd)
    with Session(store) as s:
        return [_target(r) for r in s.scalars(query)]
