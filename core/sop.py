"""Step timing of the agency's procedures. Pure; the clock and the procedure are arguments.

The numbers and allowances are the agency's (:class:`inventory.models.SopCatalog`, ``agency.sops``); by
default the seed documents': for outage tickets (SOP 15), measured from the step before, the technician is
assigned within 10 minutes of the report (step 2); a fault handled directly is repaired within 60 minutes
of the assignment (step 3); otherwise the provider is contacted within 60 minutes of it (step 4) and
repairs within 120 minutes of that (step 7); each progress report takes 10 minutes (steps 5-6). A step is
breached when it took longer than its allowance; exactly the allowance is still within it. Maintenance
reports (SOP 05): each review step (OPD, Kasi, Kabid, Kadis) is allowed 1 day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import RuleError
from i18n import Msg
from inventory.models import Sop, SopCatalog


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


def allowance(sop: Sop, step: str, escalated: bool) -> timedelta | None:
    """The outage procedure's allowance for ``step``, measured from the previous step; None where it sets
    none."""
    found = sop.steps.get(step)
    return found.allowance(escalated) if found else None


@dataclass(frozen=True)
class StepTiming:
    step: str
    seconds: float
    allowance_seconds: float | None
    breached: bool


def step_timing(sop: Sop, step: str, previous_at: datetime, at: datetime, escalated: bool) -> StepTiming:
    took = at - previous_at
    allowed = allowance(sop, step, escalated)
    return StepTiming(
        step, took.total_seconds(), allowed.total_seconds() if allowed else None, allowed is not None and took > allowed
    )


def overdue(sop: Sop, state: str, last_at: datetime, now: datetime, escalated: bool) -> StepTiming | None:
    """The step an open ticket is waiting for, if its allowance has already passed at ``now``."""
    waiting = WAITING.get(TicketState(state))
    if waiting is None:
        return None
    timing = step_timing(sop, waiting, last_at, now, escalated)
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


def overdue_steps(sop: Sop, waiting: Sequence[WaitingTicket], now: datetime) -> dict[tuple[str, str], int]:
    """Open tickets whose next step is past its allowance at ``now``, per (OPD, step)."""
    late: dict[tuple[str, str], int] = {}
    for w in waiting:
        timing = overdue(sop, w.state, w.last_at, now, w.escalated)
        if timing is not None:
            late[w.opd, timing.step] = late.get((w.opd, timing.step), 0) + 1
    return late


def review_allowance(catalog: SopCatalog) -> timedelta:
    """The maintenance procedure's allowance for each review step of a Berita Acara (a day if it sets none)."""
    return catalog.maintenance.steps["review"].allowance() or timedelta(days=1)


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


def check_channel(catalog: SopCatalog, channel: str, ref: str | None) -> None:
    """Refuse a complaint channel the agency's procedure does not name, and a complaint of a channel that
    numbers its complaints (LAPOR!) without its number.

    Raises:
        RuleError: says what to pass.
    """
    if channel not in catalog.channels:
        known = ", ".join(catalog.channels)
        raise RuleError(Msg("--channel {channel}: choose one of {known}", channel=channel, known=known))
    if channel in catalog.channels_with_ref and not ref:
        raise RuleError(Msg("--channel {channel} needs --ref with the complaint's own number", channel=channel))


def cite(text: str, sops: SopCatalog) -> str:
    """``text`` (shipped alert rules, runbooks) with each procedure of the seed documents, as a label
    (``SOP 15 Pemeliharaan Jaringan TIK``), a step or a range of steps (``SOP 15 langkah 2``, ``SOP 15 steps
    2-4``) or a number (``SOP 15``), replaced by the agency's own, in one pass (an agency whose outage SOP is
    13 and bandwidth SOP 15 gets no chain of replacements). A seed step the agency's procedure does not
    name keeps its number under the agency's procedure number."""
    default = SopCatalog()
    if sops == default:
        return text
    mine, seeds = sops.procedures(), default.procedures()
    labels = {sop.label: mine[key].label for key, sop in seeds.items()}
    numbers: dict[str, str] = {}
    for key, sop in seeds.items():
        numbers.setdefault(sop.number, key)
    alternatives = "|".join(re.escape(n) for n in sorted([*labels, *numbers], key=len, reverse=True))
    pattern = re.compile(
        rf"(?<![\w-])(?P<name>{alternatives})(?: (?P<word>steps?|langkah) (?P<first>\d+)(?:-(?P<last>\d+))?)?(?![\w])"
    )

    def agency(m: re.Match[str]) -> str:
        name = m.group("name")
        if name in labels:
            return labels[name] + m.group()[len(name) :]
        procedure = numbers[name]
        number = mine[procedure].number
        if m.group("word") is None:
            return number
        ends = [m.group("first"), *([m.group("last")] if m.group("last") else [])]
        keys = [_seed_step(seeds[procedure], n) for n in ends]
        if any(k is None or k not in mine[procedure].steps for k in keys):
            return f"{number} {m.group('word')} {'-'.join(ends)}"
        shown = "-".join(mine[procedure].steps[k].number for k in keys if k is not None)
        return f"{number} {m.group('word')} {shown}"

    return pattern.sub(agency, text)


def _seed_step(sop: Sop, number: str) -> str | None:
    """The key of the seed procedure's step numbered ``number`` (``3`` is the outage's triage)."""
    return next((key for key, step in sop.steps.items() if step.number == number), None)
