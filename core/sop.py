"""SOP time allowances and step timing. Pure; the clock is an argument.

SOP 15 (outage tickets), measured from the step before: the technician is assigned within 10 minutes of
the report (step 2); a fault handled directly is repaired within 60 minutes of the assignment (step 3);
otherwise the provider is contacted within 60 minutes of it (step 4) and repairs within 120 minutes of
that (step 7); each progress report takes 10 minutes (steps 5-6). A step is breached when it took
longer than its allowance; exactly the allowance is still within it.

SOP 05 (maintenance reports): each review step (OPD, Kasi, Kabid, Kadis) is allowed 1 day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import RuleError
from i18n import Msg

#: how a complaint reaches the data center; ``walk-in``: the reporter came in person (*datang langsung*)
CHANNELS = ("phone", "whatsapp", "email", "walk-in", "lapor")
SOP_STEP = {
    "open": "SOP 15 langkah 1",
    "assign": "SOP 15 langkah 2",
    "triage": "SOP 15 langkah 3",
    "escalate": "SOP 15 langkah 4",
    "progress": "SOP 15 langkah 5-6",
    "resolve": "SOP 15 langkah 3/7-9",
}


class TicketState(StrEnum):
    """A SOP 15 ticket's state, as stored and as ``--json`` shows it."""

    OPEN = "open"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


NEXT: dict[TicketState, set[str]] = {  # the steps that may follow each state
    TicketState.OPEN: {"assign"},
    TicketState.ASSIGNED: {"triage", "escalate", "progress", "resolve"},
    TicketState.ESCALATED: {"triage", "progress", "resolve"},
    TicketState.RESOLVED: set(),
}
#: the state a step leaves the ticket in (the other steps leave it as it was)
AFTER = {"assign": TicketState.ASSIGNED, "escalate": TicketState.ESCALATED, "resolve": TicketState.RESOLVED}
#: the step an open ticket waits for in each state
WAITING = {TicketState.OPEN: "assign", TicketState.ASSIGNED: "resolve", TicketState.ESCALATED: "resolve"}


def allowance(step: str, escalated: bool) -> timedelta | None:
    """SOP 15's allowance for ``step``, measured from the previous step; None where it sets none."""
    return {
        "assign": timedelta(minutes=10),
        "escalate": timedelta(minutes=60),
        "progress": timedelta(minutes=10),
        "resolve": timedelta(minutes=120) if escalated else timedelta(minutes=60),
    }.get(step)


@dataclass(frozen=True)
class StepTiming:
    step: str
    seconds: float
    allowance_seconds: float | None
    breached: bool


def step_timing(step: str, previous_at: datetime, at: datetime, escalated: bool) -> StepTiming:
    took = at - previous_at
    allowed = allowance(step, escalated)
    return StepTiming(
        step, took.total_seconds(), allowed.total_seconds() if allowed else None, allowed is not None and took > allowed
    )


def overdue(state: str, last_at: datetime, now: datetime, escalated: bool) -> StepTiming | None:
    """The step an open ticket is waiting for, if its allowance has already passed at ``now``."""
    waiting = WAITING.get(TicketState(state))
    if waiting is None:
        return None
    timing = step_timing(waiting, last_at, now, escalated)
    return timing if timing.breached else None


@dataclass(frozen=True)
class WaitingTicket:
    """An open ticket as SOP 15's clock sees it: its OPD and state, when its last step was taken, and
    whether it was escalated (the provider's repair has its own allowance)."""

    opd: str
    state: str
    last_at: datetime
    escalated: bool


@dataclass(frozen=True)
class TicketCounts:
    """What the agent shows of the tickets: open ones per OPD, SLA breaches per SOP 15 step so far, and
    what each open ticket waits on."""

    open_per_opd: dict[str, int] = field(default_factory=dict)
    breaches_per_step: dict[str, int] = field(default_factory=dict)
    waiting: tuple[WaitingTicket, ...] = ()


def overdue_steps(waiting: Sequence[WaitingTicket], now: datetime) -> dict[tuple[str, str], int]:
    """Open tickets whose next SOP 15 step is past its allowance at ``now``, per (OPD, step)."""
    late: dict[tuple[str, str], int] = {}
    for w in waiting:
        timing = overdue(w.state, w.last_at, now, w.escalated)
        if timing is not None:
            late[w.opd, timing.step] = late.get((w.opd, timing.step), 0) + 1
    return late


#: SOP 05: each review step of a Berita Acara
REVIEW_STEP_ALLOWANCE = timedelta(days=1)
#: who reviews a Berita Acara, in SOP 05's order, and the state each review gives the report
REVIEW_ROLES = ("opd", "kasi", "kabid", "kadis")
REVIEW_STATES = {"opd": "acknowledged", "kasi": "checked", "kabid": "forwarded", "kadis": "reviewed"}
#: the reviewers who are the agency's staff (they sign on the status page; the OPD signs on paper)
STAFF_REVIEWERS = REVIEW_ROLES[1:]


def check_transition(ticket_id: int, state: str, step: str) -> None:
    """Refuse a step SOP 15 does not allow after ``state``.

    Raises:
        RuleError: names the allowed next steps.
    """
    if step not in NEXT[TicketState(state)]:
        allowed = ", ".join(sorted(NEXT[TicketState(state)])) or "nothing (it is resolved)"
        raise RuleError(
            Msg(
                "ticket {ticket} is {state}: next may come {allowed}, not {step}",
                ticket=ticket_id,
                state=state,
                allowed=allowed,
                step=step,
            )
        )


def check_channel(channel: str, ref: str | None) -> None:
    """Refuse a complaint channel SOP 15 does not name, and a LAPOR complaint without its number.

    Raises:
        RuleError: says what to pass.
    """
    if channel not in CHANNELS:
        raise RuleError(Msg("--channel {channel}: choose one of {known}", channel=channel, known=", ".join(CHANNELS)))
    if channel == "lapor" and not ref:
        raise RuleError(Msg("--channel lapor needs --ref with the LAPOR complaint number"))
