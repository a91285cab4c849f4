"""The pages that act: triage from the page (streamed), and SOP 15 tickets: open from a complaint, assign,
progress, escalate with a fresh evidence pack, resolve. Each runs the same playbook function as the CLI, so
the page records, notifies and times exactly what ``pantau ticket`` does."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse

from agent.web.auth import may
from agent.web.site import HEADERS, site_of
from core.errors import RuleError
from playbooks.errors import PlaybookError
from playbooks.tickets import Complaint, attach_triage, escalate, open_ticket, record_step
from store.tickets import Tickets

log = logging.getLogger(__name__)
STEPS = ("assign", "triage", "progress", "escalate", "resolve")


async def triage(request: Request) -> Response:
    """Triage of one OPD, streamed as NDJSON: a line per probe as it finishes, then the diagnosis."""
    site = site_of(request)
    s = await site.session(request)
    await site.checked_form(request, s, "triage")
    opd = request.path_params["opd"]
    if opd not in site.names:
        return JSONResponse({"error": f"no OPD '{opd}'"}, status_code=404, headers=HEADERS)
    lines: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def run() -> None:
        try:
            diagnosis, seconds = await site.diagnose(
                opd, progress=lambda probe, what: lines.put_nowait({"probe": probe, "detail": what})
            )
            log.info("triage of %s by %s: %s", opd, s.user, diagnosis.verdict.value)
            lines.put_nowait({"diagnosis": diagnosis.to_json(seconds) | {"by": s.user}})
        except Exception as exc:  # the page says so; the agent goes on
            log.exception("triage of %s failed", opd)
            lines.put_nowait({"error": f"triage failed: {type(exc).__name__}: {exc}"})
        finally:
            lines.put_nowait(None)

    async def stream() -> AsyncIterator[bytes]:
        task = asyncio.create_task(run())
        try:
            while (line := await lines.get()) is not None:
                yield (json.dumps(line) + "\n").encode()
        finally:
            task.cancel()

    return StreamingResponse(stream(), media_type="application/x-ndjson", headers=HEADERS)


async def tickets(request: Request) -> Response:
    site = site_of(request)
    s = await site.session(request)
    error = None
    if request.method == "POST":
        form = await site.checked_form(request, s, "ticket")
        field = {k: form.get(k, "").strip() for k in ("opd", "channel", "reporter", "text", "ref")}
        said = Complaint(field["opd"], field["channel"], field["reporter"], field["text"], field["ref"] or None)
        try:
            number = await run_in_threadpool(
                open_ticket, site.app.notifier, Tickets(site.store, site.inv.agency.sops), site.inv, said, s.user, "opd"
            )
            log.info("ticket %d opened by %s", number, s.user)
            return RedirectResponse("/tickets", status_code=303)
        except (RuleError, PlaybookError) as exc:
            error = exc
    listed = await run_in_threadpool(Tickets(site.store, site.inv.agency.sops).list)
    return site.page(
        "tickets.html.j2",
        400 if error else 200,
        s=s,
        tickets=listed,
        error=error,
        may_ticket=may(s.role, "ticket"),
        channels=site.inv.agency.sops.channels,  # the agency's (agency.sops)
        channels_with_ref=site.inv.agency.sops.channels_with_ref,
    )


async def ticket(request: Request) -> Response:
    site = site_of(request)
    s = await site.session(request)
    shown = await run_in_threadpool(Tickets(site.store, site.inv.agency.sops).show, int(request.path_params["id"]))
    return site.page("ticket.html.j2", s=s, t=shown, may_ticket=may(s.role, "ticket"), error=None)


async def ticket_step(request: Request) -> Response:
    """SOP 15's next steps from the page: assign, triage (its verdict and evidence attached), progress,
    escalate (with a fresh evidence pack), resolve."""
    site = site_of(request)
    s = await site.session(request)
    form = await site.checked_form(request, s, "ticket")
    number, step = int(request.path_params["id"]), request.path_params["step"]
    if step not in STEPS:
        return PlainTextResponse(f"no step '{step}': {', '.join(STEPS)}", status_code=404, headers=HEADERS)
    book = Tickets(site.store, site.inv.agency.sops)
    try:
        if step in ("triage", "escalate"):
            opd = (await run_in_threadpool(book.show, number)).opd
            diagnosis, seconds = await site.diagnose(opd)
            if step == "triage":
                await run_in_threadpool(attach_triage, site.app.notifier, book, number, diagnosis, seconds, s.user)
            else:
                await run_in_threadpool(
                    escalate, site.app.notifier, book, number, site.inv.link_of(opd), diagnosis, s.user
                )
        else:
            changes = {"assignee": form.get("assignee", "").strip() or s.user} if step == "assign" else {}
            text = form.get("text", "")
            if step == "assign":
                text = text or f"ditugaskan kepada {changes['assignee']}"
            await run_in_threadpool(record_step, site.app.notifier, book, number, step, s.user, text, **changes)
    except RuleError as exc:
        shown = await run_in_threadpool(book.show, number)
        return site.page("ticket.html.j2", 409, s=s, t=shown, may_ticket=True, error=exc)
    log.info("ticket %d %s by %s", number, step, s.user)
    return RedirectResponse(f"/tickets/{number}", status_code=303)
