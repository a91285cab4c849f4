"""SOP 13's bandwidth maps in the store: each numbered in the agency's pattern, with the plan itself (its
shares per OPD and why, as JSON the playbook writes and reads), and approved by the Kabid before it may be
applied."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import RuleError
from i18n import Msg
from store.errors import NotFound
from store.schema import BandwidthPlan
from store.sequences import next_seq
from store.translate import translated

KIND = "peta_bandwidth"  # the sequence the plans are numbered from
DRAFTED, APPROVED = "drafted", "approved"


@dataclass(frozen=True)
class PlanRecord:
    id: int
    month: str
    number: str
    state: str
    capacity_bps: float
    plan: dict[str, Any]  # the plan as the playbook kept it (core.bandwidth_plan.Plan as JSON)
    created_by: str
    created_at: datetime
    directory: str | None
    approved_by: str | None
    approved_at: datetime | None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "month": self.month,
            "number": self.number,
            "state": self.state,
            "capacity_bps": self.capacity_bps,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "directory": self.directory,
            "approved_by": self.approved_by,
            "approved_at": None if self.approved_at is None else self.approved_at.isoformat(),
        }


def _record(r: BandwidthPlan) -> PlanRecord:
    return PlanRecord(r.id, r.month, r.number, r.state, r.capacity_bps, json.loads(r.plan), r.created_by,
                      r.created_at, r.directory, r.approved_by, r.approved_at)  # fmt: skip


@translated("keeping a bandwidth plan")
def save(
    store: Engine,
    month: str,
    capacity_bps: float,
    plan: dict[str, Any],
    by: str,
    year: int,
    number: Callable[[int], str],
) -> PlanRecord:
    """A drafted plan numbered ``number(seq)``, ``seq`` the next of the year's bandwidth maps.

    Raises:
        RuleError: another document holds that number already.
    """
    for attempt in range(3):
        try:
            with Session(store) as s, s.begin():
                text = number(next_seq(s, KIND, year))
                if s.scalar(select(BandwidthPlan.id).where(BandwidthPlan.number == text)) is not None:
                    raise RuleError(
                        Msg(
                            "plan number '{text}' is taken; the numbering pattern needs {{seq}} and {{tahun}}",
                            text=text,
                        )
                    )
                row = BandwidthPlan(
                    month=month,
                    number=text,
                    state=DRAFTED,
                    capacity_bps=capacity_bps,
                    plan=json.dumps(plan),
                    created_by=by,
                    created_at=datetime.now(UTC),
                )
                s.add(row)
                s.flush()
                return _record(row)
        except IntegrityError:  # another process began the year's sequence at the same moment: count on
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@translated("noting where a plan's documents are")
def set_directory(store: Engine, plan_id: int, directory: str) -> None:
    with Session(store) as s, s.begin():
        s.execute(update(BandwidthPlan).where(BandwidthPlan.id == plan_id).values(directory=directory))


@translated("reading a bandwidth plan")
def get(store: Engine, plan_id: int) -> PlanRecord:
    """Raises:
    NotFound: no plan of that id."""
    with Session(store) as s:
        row = s.get(BandwidthPlan, plan_id)
        if row is None:
            raise NotFound(Msg("no bandwidth plan {plan}; see pantau bandwidth list", plan=plan_id))
        return _record(row)


@translated("approving a bandwidth plan")
def approve(store: Engine, plan: PlanRecord, name: str) -> PlanRecord:
    """The Kabid's approval of a drafted plan: compare and set, so of two approvals at once one counts.

    Raises:
        RuleError: the plan is approved already (or was meanwhile).
    """
    with Session(store) as s, s.begin():
        at = datetime.now(UTC)
        moved = s.execute(
            update(BandwidthPlan)
            .where(BandwidthPlan.id == plan.id, BandwidthPlan.state == DRAFTED)
            .values(state=APPROVED, approved_by=name, approved_at=at)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise RuleError(Msg("plan {number} is approved already; see pantau bandwidth list", number=plan.number))
        row = s.get(BandwidthPlan, plan.id)
        assert row is not None
        return _record(row)


@translated("listing bandwidth plans")
def newest(store: Engine, limit: int = 20) -> list[PlanRecord]:
    with Session(store) as s:
        return [_record(r) for r in s.scalars(select(BandwidthPlan).order_by(BandwidthPlan.id.desc()).limit(limit))]
