"""The reads behind the agent's status gauges: live allocations and open conflicts per prefix, open
tickets per OPD and SLA breaches per SOP 15 step."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

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
def ticket_counts(store: Engine) -> tuple[dict[str, int], dict[str, int]]:
    """Open tickets per OPD, and SLA breaches per SOP 15 step so far."""
    with Session(store) as s:
        open_rows = s.execute(
            select(Ticket.opd, func.count()).where(Ticket.state != "resolved").group_by(Ticket.opd)
        ).all()
        breach_rows = s.execute(
            select(TicketEvent.step, func.count()).where(TicketEvent.breached.is_(True)).group_by(TicketEvent.step)
        ).all()
    return {str(o): int(n) for o, n in open_rows}, {str(step): int(n) for step, n in breach_rows}
