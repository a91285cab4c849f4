"""SOP 15 tickets: the texts staff and providers read, and the month report.

The allowances and the timing rules are :mod:`core.sop`'s; the tickets are kept by :mod:`store.tickets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.bandwidth import percentile
from core.period import month_bounds
from core.sop import StepTiming, TicketState
from exporters.sla_report import render_sla
from inventory.models import Inventory, Link
from playbooks.documents import letterhead, write_document
from playbooks.effectors.notify import Notifier
from playbooks.errors import require_opd
from playbooks.triage.decide import Diagnosis, EvidencePack
from playbooks.triage.decide import iso_time as _iso
from store.tickets import StepRecord, Tickets

UNTRIAGED = "belum ditriage"


def evidence_text(diagnosis: dict[str, Any]) -> str:
    lines = [f"{diagnosis['verdict']}: {diagnosis['summary']}", f"langkah berikut: {diagnosis['next_step']}"]
    lines += [f"- {e['check']}: {e['detail']}" for e in diagnosis["evidence"]]
    return "\n".join(lines)


def pack_text(pack: EvidencePack) -> str:
    """The evidence pack of a triage as the provider reads it (SOP 15 step 4)."""
    port = pack.port
    state = {True: "up", False: "down", None: "tidak diketahui"}[port.oper_up]
    changed = "" if port.last_change_s is None else f", status berubah {port.last_change_s:.0f} detik lalu"
    loss = "—" if pack.loss_now is None else f"{pack.loss_now:.0%}"
    rtt = "" if pack.rtt_now is None else f", RTT {round(pack.rtt_now * 1000, 2)} ms"
    timeline = ", ".join(f"{p.start:%H:%M} {'—' if p.loss is None else format(p.loss, '.0%')}" for p in pack.timeline)
    return "\n".join(
        [
            f"paket bukti untuk {pack.provider} (sirkuit {pack.circuit_id}, jalur {pack.link}):",
            f"- gangguan sejak: {_iso(pack.outage_start) or 'tidak tercatat'}",
            f"- terakhir normal (loss di bawah 5 %): {_iso(pack.last_good) or 'tidak tercatat'}",
            f"- port pusat data {port.device}:{port.interface}: {state}{changed}",
            f"- putus dalam 24 jam: {'tidak tercatat' if pack.flaps_24h is None else pack.flaps_24h}",
            f"- sekarang: loss {loss}{rtt}",
            f"- loss per 5 menit (jam terakhir): {timeline or 'tidak tercatat'}",
        ]
    )


@dataclass(frozen=True)
class Complaint:
    """SOP 15 step 1's complaint (*aduan*): which OPD, over which channel (a LAPOR one with its number in
    ``ref``), who reported it and what they said; as the CLI's options or the page's form give it."""

    opd: str
    channel: str
    reporter: str
    text: str
    ref: str | None = None


def open_ticket(
    notifier: Notifier, tickets: Tickets, inv: Inventory, complaint: Complaint, by: str, field: str = "--opd"
) -> int:
    """SOP 15 step 1: record the complaint and tell the notification targets; the ticket's number. ``field``
    names the OPD's option or form field in the error of an unknown OPD."""
    c = complaint
    opd = require_opd(inv, c.opd, field)
    number = tickets.open(opd, c.channel, c.reporter, c.text, c.ref or None, by)
    notifier.send(
        "ticket.open", {"ticket": number, "opd": opd, "channel": c.channel, "reporter": c.reporter, "text": c.text}
    )
    return number


def record_step(
    notifier: Notifier, tickets: Tickets, number: int, step: str, by: str, text: str, **changes: Any
) -> StepTiming:
    """Record a SOP 15 step on the ticket; a step over its allowance is notified."""
    timing = tickets.record(number, step, by, text, **changes)
    if timing.breached:
        notifier.send(
            "ticket.breach",
            {
                "ticket": number,
                "step": step,
                "seconds": round(timing.seconds),
                "allowance_seconds": timing.allowance_seconds,
            },
        )
    return timing


def attach_triage(
    notifier: Notifier, tickets: Tickets, number: int, diagnosis: Diagnosis, seconds: float, by: str
) -> StepTiming:
    """SOP 15 steps 2-3 on the ticket: the triage's verdict and its evidence."""
    data = diagnosis.to_json(seconds)
    return record_step(notifier, tickets, number, "triage", by, evidence_text(data), verdict=data["verdict"])


def escalate(
    notifier: Notifier, tickets: Tickets, number: int, link: Link, diagnosis: Diagnosis, by: str
) -> StepTiming:
    """SOP 15 step 4: hand the ticket to the link's provider with the fresh evidence pack, and notify."""
    text = f"eskalasi ke {link.provider}, sirkuit {link.circuit_id}, kontak {link.provider_contact or '-'}"
    text += f"\nverdict saat eskalasi: {diagnosis.verdict.value}\n{pack_text(diagnosis.pack)}"
    timing = record_step(notifier, tickets, number, "escalate", by, text)
    notifier.send(
        "ticket.escalate",
        {
            "ticket": number,
            "opd": link.opd,
            "provider": link.provider,
            "circuit_id": link.circuit_id,
            "contact": link.provider_contact,
            "verdict": diagnosis.verdict.value,
            "evidence_pack": diagnosis.pack.to_json(),
        },
    )
    return timing


def month_report(tickets: Tickets, month: str, tz: str) -> dict[str, Any]:
    """A month of the agency's (in ``tz``): tickets per OPD, per verdict and per OPD and cause, each step's
    time against its allowance, the breaches one by one, and the time to restore (median and 90th
    percentile, nearest rank) of the tickets resolved."""
    period = month_bounds(month, tz)
    per_opd: dict[str, dict[str, int]] = {}
    per_verdict: dict[str, int] = {}
    per_cause: dict[str, dict[str, int]] = {}
    steps: dict[str, list[StepRecord]] = {}
    breaches: list[dict[str, Any]] = []
    restore: list[float] = []
    for t in tickets.month(period):
        c = per_opd.setdefault(t.opd, {"total": 0, "resolved": 0})
        c["total"] += 1
        c["resolved"] += t.state is TicketState.RESOLVED
        cause = t.verdict or UNTRIAGED
        per_verdict[cause] = per_verdict.get(cause, 0) + 1
        causes = per_cause.setdefault(t.opd, {})
        causes[cause] = causes.get(cause, 0) + 1
        if t.opened_at is not None and t.resolved_at is not None:
            restore.append((t.resolved_at - t.opened_at).total_seconds() / 60)
        for e in t.steps:
            if e.step == "open":
                continue
            steps.setdefault(e.step, []).append(e)
            if e.breached:
                breaches.append(
                    {
                        "ticket": t.id,
                        "opd": t.opd,
                        "step": e.step,
                        "sop": tickets.sops.outage.step(e.step),
                        "minutes": e.seconds / 60,
                        "allowance_minutes": None if e.allowance_seconds is None else e.allowance_seconds / 60,
                    }
                )
    rows = []
    for step in ("assign", "triage", "escalate", "progress", "resolve"):
        events = steps.get(step, [])
        if not events:
            continue
        limits = {e.allowance_seconds for e in events if e.allowance_seconds}
        rows.append(
            {
                "step": step,
                "sop": tickets.sops.outage.step(step),
                "count": len(events),
                "avg_minutes": sum(e.seconds for e in events) / len(events) / 60,
                "median_minutes": (percentile([e.seconds for e in events], 0.5) or 0.0) / 60,
                "max_minutes": max(e.seconds for e in events) / 60,
                "allowance": "/".join(f"{x / 60:.0f}" for x in sorted(limits)) or "—",
                "breaches": sum(e.breached for e in events),
            }
        )
    return {
        "month": month,
        "timezone": tz,
        "sop": tickets.sops.outage.label,
        "per_opd": per_opd,
        "per_verdict": per_verdict,
        "per_opd_cause": per_cause,
        "steps": rows,
        "breaches": breaches,
        "restore": {
            "count": len(restore),
            "median_minutes": percentile(restore, 0.5),
            "p90_minutes": percentile(restore, 0.9),
        },
    }


def write_sla_report(report: dict[str, Any], inv: Inventory, directory: Path, lang: str) -> list[Path]:
    """The month report as Markdown, HTML (with its chart) and PDF in ``directory``; the paths written."""
    kop = letterhead(inv)
    names = {o.slug: o.name for o in inv.opds}
    markdown, html = render_sla(report, kop, names, lang, "md"), render_sla(report, kop, names, lang, "html")
    return write_document(directory, f"laporan-sla-{report['month']}.{lang}", markdown, html)
