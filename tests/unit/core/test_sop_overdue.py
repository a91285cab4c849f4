"""Open tickets late on their next SOP 15 step, counted per OPD and step (the overdue gauge's input)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.sop import WaitingTicket, overdue_steps
from inventory.models import SopCatalog

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_ticket_is_overdue_once_its_next_step_allowance_has_passed_not_at_it() -> None:
    waiting = [
        WaitingTicket("dinkes", "open", NOW - timedelta(minutes=11), False),  # assign: 10 min
        WaitingTicket("dinkes", "open", NOW - timedelta(minutes=10), False),  # exactly the allowance: within it
        WaitingTicket("disdik", "assigned", NOW - timedelta(minutes=61), False),  # resolve directly: 60 min
        WaitingTicket("dishub", "escalated", NOW - timedelta(minutes=61), True),  # after escalation: 120 min
        WaitingTicket("dishub", "escalated", NOW - timedelta(minutes=121), True),
    ]
    assert overdue_steps(SopCatalog().outage, waiting, NOW) == {
        ("dinkes", "assign"): 1,
        ("disdik", "resolve"): 1,
        ("dishub", "resolve"): 1,
    }


def test_no_open_tickets_nothing_overdue() -> None:
    assert overdue_steps(SopCatalog().outage, [], NOW) == {}
