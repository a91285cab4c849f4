"""SOP 15 tickets in the store: an outage complaint from report to result, every step timed against its
allowance (the rules and the timing are :mod:`core.sop`'s; here they are applied in one transaction)."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.errors import RuleError
from core.sop import AFTER, StepTiming, TicketState, check_channel, check_transition, overdue, step_timing
from i18n import Msg
from inventory.models import SopCatalog
from store.errors import NotFound
from store.schema import Ticket, TicketEvent
from store.translate import translated


@dataclass(frozen=True)
class StepRecord:
    """One recorded step of a ticket, as the month report counts it."""

    step: str
    seconds: float
    allowance_seconds: float | None
    breached: bool


@dataclass(frozen=True)
class MonthTicket:
    opd: str
    state: TicketState
    verdict: str | None
    steps: list[StepRecord]
    id: int = 0
    opened_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class TicketStepView:
    """One step of a ticket as people read it: when, by whom, what was said, and its time against the SOP."""

    step: str
    sop: str
    at: datetime
    by: str
    text: str
    seconds: float
    allowance_seconds: float | None
    breached: bool

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "at": self.at.isoformat()}


@dataclass(frozen=True)
class TicketView:
    """A ticket with its steps and, while it is open, the step now overdue (None: none is)."""

    id: int
    opd: str
    channel: str
    ref: str | None
    reporter: str
    text: str
    state: TicketState
    assignee: str | None
    verdict: str | None
    opened_at: datetime
    events: tuple[TicketStepView, ...]
    overdue: StepTiming | None

    def to_json(self) -> dict[str, Any]:
        """The ticket as ``pantau ticket show --json`` writes it (times in UTC, ISO 8601)."""
        late = self.overdue
        return {
            "id": self.id,
            "opd": self.opd,
            "channel": self.channel,
            "ref": self.ref,
            "reporter": self.reporter,
            "text": self.text,
            "state": str(self.state),
            "assignee": self.assignee,
            "verdict": self.verdict,
            "opened_at": self.opened_at.isoformat(),
            "events": [e.to_json() for e in self.events],
            "overdue": None
            if late is None
            else {"step": late.step, "seconds": late.seconds, "allowance_seconds": late.allowance_seconds},
        }


@dataclass(frozen=True)
class TicketLine:
    """A ticket as the list shows it."""

    id: int
    opd: str
    state: TicketState
    verdict: str | None
    opened_at: datetime
    assignee: str | None
    reporter: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "opd": self.opd,
            "state": str(self.state),
            "verdict": self.verdict,
            "opened_at": self.opened_at.isoformat(),
            "assignee": self.assignee,
            "reporter": self.reporter,
        }


class Tickets:
    """Tickets in the store, timed against the agency's procedures (``sops``, the inventory's
    ``agency.sops``). ``clock`` gives the current time (injected in tests)."""

    def __init__(
        self,
        store: Engine,
        sops: SopCatalog | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.sops = sops if sops is not None else SopCatalog()
        self.clock = clock

    @translated("opening a ticket")
    def open(self, opd: str, channel: str, reporter: str, text: str, ref: str | None, by: str) -> int:
        check_channel(self.sops, channel, ref)
        now = self.clock()
        with Session(self.store) as s, s.begin():
            ticket = Ticket(
                opd=opd, channel=channel, ref=ref, reporter=reporter, text=text, state=TicketState.OPEN, opened_at=now
            )
            s.add(ticket)
            s.flush()
            s.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    step="open",
                    at=now,
                    by=by,
                    text=text,
                    seconds=0.0,
                    allowance_seconds=None,
                    breached=False,
                )
            )
            return ticket.id

    @translated("recording a ticket step")
    def record(self, ticket_id: int, step: str, by: str, text: str, **changes: Any) -> StepTiming:
        """Record ``step`` on the ticket now; returns its timing against the allowance."""
        now = self.clock()
        with Session(self.store) as s, s.begin():
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(Msg("no ticket {ticket_id}; see pantau ticket list", ticket_id=ticket_id))
            check_transition(ticket_id, ticket.state, step)
            # compare and set, first: of two people recording a step at once, the second finds the ticket
            # changed and is refused, instead of both resolving it (a breach counted twice)
            moved = s.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.state == ticket.state)
                .values(state=AFTER.get(step, ticket.state))
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) != 1:
                raise RuleError(
                    Msg(
                        "ticket {ticket_id} was changed by someone else just now; see pantau ticket show {ticket_id} "
                        "and record the step again if it still applies",
                        ticket_id=ticket_id,
                    )
                )
            events = s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            ).all()
            escalated = any(e.step == "escalate" for e in events)
            anchor = events[-1]
            if step == "resolve":  # measured from the assignment (direct repair) or the escalation (provider)
                anchor = next(e for e in reversed(events) if e.step in ("escalate", "assign"))
            timing = step_timing(self.sops.outage, step, anchor.at, now, escalated)
            s.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    step=step,
                    at=now,
                    by=by,
                    text=text,
                    seconds=timing.seconds,
                    allowance_seconds=timing.allowance_seconds,
                    breached=timing.breached,
                )
            )
            if step == "resolve":
                ticket.resolved_at = now
            for key, value in changes.items():
                setattr(ticket, key, value)
        return timing

    @translated("reading a ticket")
    def show(self, ticket_id: int) -> TicketView:
        with Session(self.store) as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(Msg("no ticket {ticket_id}; see pantau ticket list", ticket_id=ticket_id))
            events = s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            ).all()
            escalated = any(e.step == "escalate" for e in events)
            return TicketView(
                id=ticket.id,
                opd=ticket.opd,
                channel=ticket.channel,
                ref=ticket.ref,
                reporter=ticket.reporter,
                text=ticket.text,
                state=TicketState(ticket.state),
                assignee=ticket.assignee,
                verdict=ticket.verdict,
                opened_at=ticket.opened_at,
                events=tuple(
                    TicketStepView(
                        e.step,
                        self.sops.outage.step(e.step),
                        e.at,
                        e.by,
                        e.text,
                        e.seconds,
                        e.allowance_seconds,
                        e.breached,
                    )
                    for e in events
                ),
                overdue=overdue(self.sops.outage, ticket.state, events[-1].at, self.clock(), escalated),
            )

    @translated("listing tickets")
    def list(self, period: tuple[datetime, datetime] | None = None) -> builtins.list[TicketLine]:
        """Tickets, newest first; with ``period`` ([start, end) in UTC), those opened in it."""
        with Session(self.store) as s:
            query = select(Ticket).order_by(Ticket.id.desc())
            if period is not None:
                query = query.where(Ticket.opened_at >= period[0], Ticket.opened_at < period[1])
            return [
                TicketLine(t.id, t.opd, TicketState(t.state), t.verdict, t.opened_at, t.assignee, t.reporter)
                for t in s.scalars(query).all()
            ]

    @translated("reading a month's tickets")
    def month(self, period: tuple[datetime, datetime]) -> builtins.list[MonthTicket]:  # builtins: see list
        """Tickets opened in ``period`` ([start, end) in UTC: a month of the agency's) with their steps, oldest
        first."""
        out = []
        with Session(self.store) as s:
            query = select(Ticket).where(Ticket.opened_at >= period[0], Ticket.opened_at < period[1])
            for t in s.scalars(query.order_by(Ticket.id)):
                events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)).all()
                steps = [StepRecord(e.step, e.seconds, e.allowance_seconds, e.breached) for e in events]
                out.append(MonthTicket(t.opd, TicketState(t.state), t.verdict, steps, t.id, t.opened_at, t.resolved_at))
        return out
