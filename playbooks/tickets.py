"""SOP 15 tickets: an outage complaint from report to result, every step timed against its allowance.

Allowances (SOP 15, measured from the step before): the technician is assigned within 10 minutes of
the report (step 2); a fault handled directly is repaired within 60 minutes of the assignment (step 3);
otherwise the provider is contacted within 60 minutes of it (step 4) and repairs within 120 minutes of
that (step 7); each progress report takes 10 minutes (steps 5-6). A step is breached when it took
longer than its allowance; exactly the allowance is still within it. :func:`step_timing` is pure and
takes the clock as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from playbooks.errors import PlaybookError
from store.schema import Ticket, TicketEvent

CHANNELS = ("phone", "whatsapp", "lapor")
SOP_STEP = {
    "open": "SOP 15 langkah 1",
    "assign": "SOP 15 langkah 2",
    "triage": "SOP 15 langkah 3",
    "escalate": "SOP 15 langkah 4",
    "progress": "SOP 15 langkah 5-6",
    "resolve": "SOP 15 langkah 3/7-9",
}
NEXT = {  # what may follow each state
    "open": {"assign"},
    "assigned": {"triage", "escalate", "progress", "resolve"},
    "escalated": {"triage", "progress", "resolve"},
    "resolved": set(),
}


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
    waiting = {"open": "assign", "assigned": "resolve", "escalated": "resolve"}.get(state)
    if waiting is None:
        return None
    timing = step_timing(waiting, last_at, now, escalated)
    return timing if timing.breached else None


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class Tickets:
    """Tickets in the store. ``clock`` gives the current time (injected in tests)."""

    def __init__(self, store: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.clock = clock

    def open(self, opd: str, channel: str, reporter: str, text: str, ref: str | None, by: str) -> int:
        if channel not in CHANNELS:
            raise PlaybookError(f"--channel {channel}: choose one of {', '.join(CHANNELS)}")
        if channel == "lapor" and not ref:
            raise PlaybookError("--channel lapor needs --ref with the LAPOR complaint number")
        now = self.clock()
        with Session(self.store) as s, s.begin():
            ticket = Ticket(
                opd=opd, channel=channel, ref=ref, reporter=reporter, text=text, state="open", opened_at=now
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

    def record(self, ticket_id: int, step: str, by: str, text: str, **changes: Any) -> StepTiming:
        """Record ``step`` on the ticket now; returns its timing against the allowance."""
        now = self.clock()
        with Session(self.store) as s, s.begin():
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise PlaybookError(f"no ticket {ticket_id}; see pantau ticket list")
            if step not in NEXT[ticket.state]:
                allowed = ", ".join(sorted(NEXT[ticket.state])) or "nothing (it is resolved)"
                raise PlaybookError(f"ticket {ticket_id} is {ticket.state}: next may come {allowed}, not {step}")
            events = s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            ).all()
            escalated = any(e.step == "escalate" for e in events)
            anchor = events[-1]
            if step == "resolve":  # measured from the assignment (direct repair) or the escalation (provider)
                anchor = next(e for e in reversed(events) if e.step in ("escalate", "assign"))
            timing = step_timing(step, _aware(anchor.at), now, escalated)
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
            ticket.state = {"assign": "assigned", "escalate": "escalated", "resolve": "resolved"}.get(
                step, ticket.state
            )
            if step == "resolve":
                ticket.resolved_at = now
            for key, value in changes.items():
                setattr(ticket, key, value)
        return timing

    def show(self, ticket_id: int) -> dict[str, Any]:
        with Session(self.store) as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise PlaybookError(f"no ticket {ticket_id}; see pantau ticket list")
            events = s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            ).all()
            escalated = any(e.step == "escalate" for e in events)
            late = overdue(ticket.state, _aware(events[-1].at), self.clock(), escalated)
            return {
                "id": ticket.id,
                "opd": ticket.opd,
                "channel": ticket.channel,
                "ref": ticket.ref,
                "reporter": ticket.reporter,
                "text": ticket.text,
                "state": ticket.state,
                "assignee": ticket.assignee,
                "verdict": ticket.verdict,
                "opened_at": _aware(ticket.opened_at).isoformat(),
                "events": [
                    {
                        "step": e.step,
                        "sop": SOP_STEP[e.step],
                        "at": _aware(e.at).isoformat(),
                        "by": e.by,
                        "text": e.text,
                        "seconds": e.seconds,
                        "allowance_seconds": e.allowance_seconds,
                        "breached": e.breached,
                    }
                    for e in events
                ],
                "overdue": None
                if late is None
                else {"step": late.step, "seconds": late.seconds, "allowance_seconds": late.allowance_seconds},
            }

    def list(self, month: str | None = None) -> list[dict[str, Any]]:
        with Session(self.store) as s:
            query = select(Ticket).order_by(Ticket.id.desc())
            rows = s.scalars(query).all()
            out = []
            for t in rows:
                opened = _aware(t.opened_at)
                if month and opened.strftime("%Y-%m") != month:
                    continue
                out.append(
                    {
                        "id": t.id,
                        "opd": t.opd,
                        "state": t.state,
                        "verdict": t.verdict,
                        "opened_at": opened.isoformat(),
                        "assignee": t.assignee,
                        "reporter": t.reporter,
                    }
                )
            return out


def evidence_text(diagnosis: dict[str, Any]) -> str:
    lines = [f"{diagnosis['verdict']}: {diagnosis['summary']}", f"langkah berikut: {diagnosis['next_step']}"]
    lines += [f"- {e['check']}: {e['detail']}" for e in diagnosis["evidence"]]
    return "\n".join(lines)


def pack_text(pack: dict[str, Any]) -> str:
    """The evidence pack of a triage as the provider reads it (SOP 15 step 4)."""
    port = pack["port"]
    state = {True: "up", False: "down", None: "tidak diketahui"}[port["oper_up"]]
    changed = (
        "" if port["last_change_seconds"] is None else f", status berubah {port['last_change_seconds']:.0f} detik lalu"
    )
    loss = "—" if pack["loss_now"] is None else f"{pack['loss_now']:.0%}"
    rtt = "" if pack["rtt_now_ms"] is None else f", RTT {pack['rtt_now_ms']} ms"
    timeline = ", ".join(
        f"{p['period_start'][11:16]} {'—' if p['loss'] is None else format(p['loss'], '.0%')}"
        for p in pack["loss_timeline"]
    )
    return "\n".join(
        [
            f"paket bukti untuk {pack['provider']} (sirkuit {pack['circuit_id']}, jalur {pack['link']}):",
            f"- gangguan sejak: {pack['outage_start'] or 'tidak tercatat'}",
            f"- terakhir normal (loss di bawah 5 %): {pack['last_good'] or 'tidak tercatat'}",
            f"- port pusat data {port['device']}:{port['interface']}: {state}{changed}",
            f"- putus dalam 24 jam: {'tidak tercatat' if pack['flaps_24h'] is None else pack['flaps_24h']}",
            f"- sekarang: loss {loss}{rtt}",
            f"- loss per 5 menit (jam terakhir): {timeline or 'tidak tercatat'}",
        ]
    )


def month_report(store: Engine, month: str) -> dict[str, Any]:
    """A month's tickets per OPD and per verdict, and each step's time against its allowance."""
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise PlaybookError(f"--month {month}: write it as YYYY-MM") from None
    per_opd: dict[str, dict[str, int]] = {}
    per_verdict: dict[str, int] = {}
    steps: dict[str, list[TicketEvent]] = {}
    with Session(store) as s:
        for t in s.scalars(select(Ticket).order_by(Ticket.id)):
            if _aware(t.opened_at).strftime("%Y-%m") != month:
                continue
            c = per_opd.setdefault(t.opd, {"total": 0, "resolved": 0})
            c["total"] += 1
            c["resolved"] += t.state == "resolved"
            per_verdict[t.verdict or "belum ditriage"] = per_verdict.get(t.verdict or "belum ditriage", 0) + 1
            for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)):
                if e.step != "open":
                    steps.setdefault(e.step, []).append(e)
    rows = []
    for step in ("assign", "triage", "escalate", "progress", "resolve"):
        events = steps.get(step, [])
        if not events:
            continue
        limits = {e.allowance_seconds for e in events if e.allowance_seconds}
        rows.append(
            {
                "step": step,
                "sop": SOP_STEP[step],
                "count": len(events),
                "avg_minutes": sum(e.seconds for e in events) / len(events) / 60,
                "allowance": "/".join(f"{x / 60:.0f}" for x in sorted(limits)) or "—",
                "breaches": sum(e.breached for e in events),
            }
        )
    return {"month": month, "per_opd": per_opd, "per_verdict": per_verdict, "steps": rows}
