"""Monitoring registration (SOP 14 step 8): servers become probe targets the running agent picks up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from playbooks.errors import PlaybookError
from store.schema import ProbeTargetRow


@dataclass(frozen=True)
class RegisteredTarget:
    name: str
    address: str
    kind: str
    opd: str | None
    added_at: datetime
    added_by: str


def register(store: Engine, name: str, address: str, opd: str | None, by: str, run_id: int | None) -> str:
    """Add ``name`` as a server probe target; 'registered', or 'already registered' when it is there already."""
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
            row = s.scalars(select(ProbeTargetRow).where(ProbeTargetRow.name == name)).one()
        if row.address != address:
            raise PlaybookError(
                f"{name} is already monitored at {row.address}, not {address}; decommission it first"
            ) from None
        return "already registered"
    return "registered"


def unregister(store: Engine, name: str) -> str:
    with Session(store) as s, s.begin():
        res = s.execute(delete(ProbeTargetRow).where(ProbeTargetRow.name == name))
        return "unregistered" if getattr(res, "rowcount", 0) else "not registered"


def targets(store: Engine) -> list[RegisteredTarget]:
    with Session(store) as s:
        rows = s.scalars(select(ProbeTargetRow).order_by(ProbeTargetRow.name)).all()
        return [RegisteredTarget(r.name, r.address, r.kind, r.opd, r.added_at, r.added_by) for r in rows]
