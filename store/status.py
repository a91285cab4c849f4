"""The reads behind the agent's status gauges: live allocations and open conflicts per prefix, open
tickets per OPD, SLA breaches per SOP 15 step and the step each open ticket waits on."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.sop import TicketCounts, WaitingTicket
from store.schema import IpAllocation, IpConflict, Ticket, TicketEvent
from store.translate import translated


@translated("reading IP allocations")
def addresses_in_use(store: Engine) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(prefix, address) of every live allocation, and of every open conflict."""
    with Session(store) as s:
        live = s.execute(
            select(IpAllocation.prefix, IpAllocation.address).where(IpAllocation.live_address.is_not(None))
        ).all()
        conflicts = s.execute(
            select(IpConflict.prefix, IpConflict.address).where(IpConflict.cleared_at.is_(None))
        ).all()
    return [(p, a) for p, a in live], [(p, a) for p, a in conflicts]


@translated("reading tickets")
def ticket_counts(store: Engine) -> TicketCounts:
    """Open tickets per OPD, SLA breaches per SOP 15 step so far, and what each open ticket waits on."""
    with Session(store) as s:
        last = (
            select(
                TicketEvent.ticket_id,
                func.max(TicketEvent.at).label("at"),
                func.max(case((TicketEvent.step == "escalate", 1), else_=0)).label("escalated"),
            )
            .group_by(TicketEvent.ticket_id)
            .subquery()
        )
        waiting = s.execute(
            select(Ticket.opd, Ticket.state, last.c.at, last.c.escalated)
            .join(last, last.c.ticket_id == Ticket.id)
            .where(Ticket.state != "resolved")
        ).all()
        open_rows = s.execute(
            select(Ticket.opd, func.count()).where(Ticket.state != "resolved").group_by(Ticket.opd)
        ).all()
        breach_rows = s.execute(
            select(TicketEvent.step, func.count()).where(TicketEvent.breached.is_(True)).group_by(TicketEvent.step)
        ).all()
    return TicketCounts(
        open_per_opd={str(o): int(n) for o, n in open_rows},
        breaches_per_step={str(step): int(n) for step, n in breach_rows},
        waiting=tuple(WaitingTicket(str(o), str(state), at, bool(esc)) for o, state, at, esc in waiting),
    )


@translated("reading IP allocations")
def live_addresses_of(store: Engine, opd: str) -> list[tuple[str, str]]:
    """(hostname, address) of every live address allocation of ``opd``'s servers."""
    with Session(store) as s:
        rows = s.execute(
            select(IpAllocation.hostname, IpAllocation.address).where(
                IpAllocation.opd == opd, IpAllocation.live_address.is_not(None)
            )
        ).all()
    return [(h, a) for h, a in rows]
