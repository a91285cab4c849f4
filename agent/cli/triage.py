"""CLI of outage triage and SOP 15 tickets (attached to ``pantau`` by agent.cli)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, err, local, out, wired
from agent.cli.sla import report_sla
from agent.lang import tr
from agent.wiring import App
from core.period import month_bounds
from playbooks.engine import operator
from playbooks.tickets import Complaint, attach_triage, escalate, open_ticket, pack_text, record_step
from playbooks.triage.decide import Diagnosis
from store.tickets import Tickets

ticket_app = typer.Typer(no_args_is_help=True, help="SOP 15 tickets: complaint to result, each step timed.")
COLORS = {"no-fault-found": "green", "congestion": "yellow", "dns-or-service": "yellow"}


app = typer.Typer()


def run_triage(deps: App, what: str) -> tuple[Diagnosis, float]:
    """The diagnosis of the OPD ``what`` names (its slug, an address or host name, or a colocated server)."""
    triage = deps.triage
    return asyncio.run(triage.diagnose(triage.opd_of(what)))


@app.command()
def triage(
    opd: Annotated[str, typer.Argument(help="OPD slug, or an address or host name of the OPD")],
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 steps 2-4 in seconds: where the fault is (OPD, provider link, data center, service), with evidence.

    Exit code: 0 no fault found, 1 a fault found (the verdict names it), 2 could not triage (the message
    says why)."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    with err.status(tr("triage {opd}: checking the uplink, the links, the router, DNS and the path ...", opd=opd)):
        diagnosis, seconds = run_triage(deps, opd)
    code = 0 if diagnosis.verdict.value == "no-fault-found" else 1
    if as_json:
        sys.stdout.write(json.dumps(diagnosis.to_json(seconds), indent=2, ensure_ascii=False) + "\n")
        raise typer.Exit(code)
    table = Table(show_header=False, box=None)
    for e in diagnosis.evidence:
        mark = "[green]✓[/]" if e.ok else "[red]✗[/]" if e.ok is False else "•"
        table.add_row(mark, e.check, Text(e.detail))  # device text (banners, errors): never markup
    color = COLORS.get(diagnosis.verdict.value, "red")
    body = Table.grid(padding=(0, 1))
    body.add_row(f"[bold]{diagnosis.summary}[/]")
    body.add_row(Text(f"{tr('Next step')}: {diagnosis.next_step}"))
    if len(diagnosis.affected) > 1:
        body.add_row(f"{tr('OPDs affected')}: {', '.join(diagnosis.affected)}")
    body.add_row(table)
    if diagnosis.verdict.value in ("circuit-down", "provider-link-degraded"):
        body.add_row(Text(pack_text(diagnosis.pack)))
    out.print(
        Panel(body, title=f"[{color}]{diagnosis.verdict.value}[/] — {diagnosis.opd}", subtitle=f"{seconds:.1f} s")
    )
    raise typer.Exit(code)


def _tickets(
    config: Path | None, state_dir: Path | None, inventory: Path | None = None, read_only: bool = False
) -> tuple[App, Tickets]:
    """The command's App and its tickets (``read_only``: only from a store that exists)."""
    deps = wired(config, state_dir=state_dir, inventory=inventory)
    return deps, Tickets(deps.existing_store if read_only else deps.store, deps.sops)


def _timing_line(step: str, timing: Any) -> str:
    minutes = tr("min")
    if timing.allowance_seconds is None:
        return f"{step}: {timing.seconds / 60:.1f} {minutes}"
    verdict = tr("OVER the allowance") if timing.breached else tr("within")
    allowed = f"{timing.allowance_seconds / 60:.0f} {minutes}"
    return f"{step}: {timing.seconds / 60:.1f} {tr('of')} {allowed} — {verdict}"


def _step(
    deps: App, tickets: Tickets, ticket: int, step: str, text: str, as_json: bool = False, **changes: Any
) -> None:
    timing = record_step(deps.notifier, tickets, ticket, step, operator(), text, **changes)
    _said(ticket, step, tickets.sops.outage.step(step), timing, as_json)


def _said(ticket: int, step: str, sop: str, timing: Any, as_json: bool) -> None:
    if as_json:
        result = {"ticket": ticket, "step": step, "sop": sop, **dataclasses.asdict(timing)}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        out.print(f"{tr('ticket')} {ticket}: {_timing_line(step, timing)}", markup=False)


@ticket_app.command("open")
def ticket_open(
    text: Annotated[str, typer.Argument(help="the complaint, as reported")],
    opd: Annotated[str, typer.Option(help="OPD slug")],
    channel: Annotated[
        str,
        typer.Option(
            help="how the complaint came: one of agency.sops.channels "
            "(phone, whatsapp, email, walk-in, lapor by default)"
        ),
    ],
    reporter: Annotated[str, typer.Option(help="who reported it")],
    ref: Annotated[str | None, typer.Option(help="LAPOR complaint number")] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 step 1: record a complaint (Aduan)."""

    deps, tickets = _tickets(config, state_dir, inventory)
    complaint = Complaint(opd=opd, channel=channel, reporter=reporter, text=text, ref=ref)
    ticket = open_ticket(deps.notifier, tickets, deps.inventory, complaint, operator())
    if as_json:
        sys.stdout.write(json.dumps({"ticket": ticket, "opd": opd, "state": "open"}) + "\n")
    else:
        out.print(tr("ticket {ticket} opened for {opd}", ticket=ticket, opd=opd))


@ticket_app.command("assign")
def ticket_assign(
    ticket: Annotated[int, typer.Argument()],
    to: Annotated[str, typer.Option("--to", help="the technician")],
    config: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 step 2: assign a technician (10 minutes allowed)."""
    deps, tickets = _tickets(config, state_dir)
    _step(deps, tickets, ticket, "assign", f"ditugaskan kepada {to}", as_json, assignee=to)


@ticket_app.command("triage")
def ticket_triage(
    ticket: Annotated[int, typer.Argument()],
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
) -> None:
    """Run triage for the ticket's OPD and attach the verdict and its evidence."""

    deps, tickets = _tickets(config, state_dir, inventory)
    opd = tickets.show(ticket).opd
    diagnosis, seconds = run_triage(deps, opd)
    timing = attach_triage(deps.notifier, tickets, ticket, diagnosis, seconds, operator())
    _said(ticket, "triage", tickets.sops.outage.step("triage"), timing, False)
    out.print(f"{diagnosis.verdict.value}: {diagnosis.summary}\n{diagnosis.next_step}", markup=False)


@ticket_app.command("escalate")
def ticket_escalate(
    ticket: Annotated[int, typer.Argument()],
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 step 4: hand over to the provider of the OPD's link (from the inventory), with a fresh evidence
    pack: outage start, last good period, port state, flaps, and the last hour's loss timeline."""

    deps, tickets = _tickets(config, state_dir, inventory)
    opd = tickets.show(ticket).opd
    link = deps.inventory.link_of(opd)
    diagnosis, _ = run_triage(deps, opd)
    timing = escalate(deps.notifier, tickets, ticket, link, diagnosis, operator())
    _said(ticket, "escalate", tickets.sops.outage.step("escalate"), timing, as_json)


@ticket_app.command("progress")
def ticket_progress(
    ticket: Annotated[int, typer.Argument()],
    text: Annotated[str, typer.Argument(help="what was reported to the Kasi/Kabid")],
    config: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 steps 5-6: report progress (10 minutes each)."""
    deps, tickets = _tickets(config, state_dir)
    _step(deps, tickets, ticket, "progress", text, as_json)


@ticket_app.command("resolve")
def ticket_resolve(
    ticket: Annotated[int, typer.Argument()],
    text: Annotated[str, typer.Argument(help="the result, as reported to the OPD")],
    config: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 15 steps 8-9: the repair is done; report the result."""
    deps, tickets = _tickets(config, state_dir)
    _step(deps, tickets, ticket, "resolve", text, as_json)


@ticket_app.command("show")
def ticket_show(
    ticket: Annotated[int, typer.Argument()],
    config: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """A ticket's steps, each against its SOP 15 allowance; an overdue step is shown."""
    deps, tickets = _tickets(config, state_dir, read_only=True)
    cfg = deps.config
    shown = tickets.show(ticket)
    if as_json:
        sys.stdout.write(json.dumps(shown.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    out.print(f"[bold]{tr('Ticket')} {shown.id}[/bold] {shown.opd} — {shown.state} ({shown.channel}, {shown.reporter})")
    table = Table()
    for col in (
        tr("step"),
        "SOP",
        tr("time"),
        tr("min"),
        tr("allowed"),
        "",
        tr("note"),
    ):
        table.add_column(col)
    for e in shown.events:
        limit = "—" if e.allowance_seconds is None else f"{e.allowance_seconds / 60:.0f}"
        flag = f"[red]{tr('OVER')}[/]" if e.breached else ""
        at = local(e.at, cfg.timezone)
        table.add_row(e.step, e.sop, at, f"{e.seconds / 60:.1f}", limit, flag, Text(e.text))
    out.print(table)
    o = shown.overdue
    if o is not None and o.allowance_seconds is not None:
        late, allowed = o.seconds / 60, o.allowance_seconds / 60
        out.print(
            tr(
                "[red]overdue[/]: {step} not done yet, {late:.0f} of {limit:.0f} min",
                step=o.step,
                late=late,
                limit=allowed,
            )
        )


@ticket_app.command("list")
def ticket_list(
    month: Annotated[str | None, typer.Option(help="YYYY-MM, a month in the agency's time zone")] = None,
    config: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tickets, newest first."""
    deps = wired(config, state_dir=state_dir)
    cfg = deps.config
    bounds = None if month is None else month_bounds(month, cfg.timezone)  # a wrong month before a missing store
    rows = Tickets(deps.existing_store, deps.sops).list(bounds)
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in rows], indent=2) + "\n")
        return
    table = Table(title=tr("Outage tickets (SOP 15)"))
    for col in ("id", "OPD", tr("state"), "verdict", tr("opened"), tr("assignee")):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.id), r.opd, r.state, r.verdict or "", local(r.opened_at, cfg.timezone), r.assignee or "")
    out.print(table)


@ticket_app.command("report", hidden=True)
def ticket_report(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the report here")] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
) -> None:
    """The month's report: now ``pantau report sla`` (this name stays for scripts that call it)."""
    err.print(tr("pantau ticket report is now pantau report sla"))
    report_sla(month, config, inventory, state_dir, False, output)
