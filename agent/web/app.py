"""The status page (Starlette, server-rendered with Jinja2; a small script refreshes the board): the OPD
board and ``/api/links``, triage from the page, and SOP 15 tickets. Every page and API needs a login; every
POST carries the session's CSRF token; what a user may do follows their role (:mod:`agent.web.auth`)."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agent.config import Config
from agent.web.auth import DUMMY_HASH, LoginBrake, may, new_token, password_matches, token_digest
from agent.web.views import link_rows, shared_cause
from core.errors import RuleError
from core.snapshot import Snapshot
from exporters.charts import link_day
from inventory.models import Inventory
from playbooks.errors import PlaybookError
from playbooks.maintenance.reports import report_list
from playbooks.maintenance.reports import sign as sign_report
from playbooks.tickets import pack_text
from playbooks.triage.decide import decide
from playbooks.triage.gather import gather
from store import links as link_store
from store import users
from store.engine import Store
from store.errors import NotFound, StoreError
from store.tickets import Tickets
from store.users import SessionInfo

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "pantau_session"
LOGIN_COOKIE = "pantau_login"  # the CSRF token of the login form, before there is a session
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Forbidden(Exception):
    pass


# size: the page's handlers close over one app's store, inventory, configuration and login brake; each handler
# is short, and they read best together with the access rules they share
def create_app(
    cfg: Config, store: Store, inv: Inventory, snapshot: Callable[[], Snapshot], since: Callable[[], dict[str, float]]
) -> Starlette:
    """The status page of one agent: ``snapshot()`` and ``since()`` give the latest poll and when each link
    entered its state; ``store`` keeps users, sessions and tickets."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["j2"]))
    brake = LoginBrake()
    names = {o.slug: o.name for o in inv.opds}
    web = cfg.web

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status, headers=HEADERS)

    def current(request: Request) -> SessionInfo | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        return users.session(store, token_digest(token), datetime.now(UTC))

    async def who(request: Request) -> SessionInfo | None:
        return await run_in_threadpool(current, request)

    async def checked_form(request: Request, s: SessionInfo, action: str | None = None) -> dict[str, str]:
        """The POSTed form, once its CSRF token is the session's and the user's role may do ``action``."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not hmac.compare_digest(form.get("csrf", ""), s.csrf):
            raise Forbidden("CSRF token missing or wrong: reload the page and try again")
        if action is not None and not may(s.role, action):
            raise Forbidden(f"the role {s.role} may not {action}")
        return form

    sparks: dict[str, Any] = {"at": 0.0, "lines": {}}

    def spark_lines() -> dict[str, list[float]]:
        """Each link's last hour as utilization per 5-minute rollup; read from the store once a minute."""
        if time.monotonic() - sparks["at"] > 60:
            now = datetime.now(UTC)
            try:
                samples, _ = link_store.month_of_links(store, now - timedelta(hours=1), now)
            except StoreError as exc:  # the board's live figures come from memory: a store fault costs the lines
                log.warning("sparklines: %s", exc)
                sparks["at"] = time.monotonic()
                return dict(sparks["lines"])
            subscribed = {x.name: x.subscribed_bps for x in inv.links}
            sparks["lines"] = {
                name: [round(max(p.in_bps or 0.0, p.out_bps or 0.0) / subscribed[name], 4) for p in got]
                for name, got in samples.items()
                if subscribed.get(name)
            }
            sparks["at"] = time.monotonic()
        return dict(sparks["lines"])

    def rows() -> list[dict[str, Any]]:
        out = link_rows(snapshot(), since(), names, cfg.lang, cfg.timezone)
        lines = spark_lines()
        return [r | {"spark": lines.get(r["link"], [])} for r in out]

    # ---- login ------------------------------------------------------------------------------------
    async def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        response = page("login.html.j2", status, csrf=token, error=error, lang=cfg.lang)
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=web.secure_cookies, path="/login"
        )
        return response

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return await login_form(request)
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not hmac.compare_digest(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")) or not form.get("csrf"):
            return PlainTextResponse("CSRF token missing or wrong: reload the login page", status_code=403)
        name, password = form.get("username", "").strip(), form.get("password", "")
        client = request.client.host if request.client else "?"
        wait = brake.wait(f"ip:{client}", f"user:{name}")
        if wait > 0:
            return PlainTextResponse(
                f"too many failed logins: try again in {wait:.0f} s",
                status_code=429,
                headers={"Retry-After": f"{wait:.0f}"},
            )
        found = await run_in_threadpool(users.user, store, name)
        ok = await run_in_threadpool(password_matches, password, found.password_hash if found else DUMMY_HASH)
        if found is None or not ok:
            brake.failed(f"ip:{client}", f"user:{name}")
            log.warning("failed login for %r from %s", name, client)
            return await login_form(request, "wrong name or password", 401)
        brake.succeeded(f"user:{name}")
        token, digest = new_token()
        expires = datetime.now(UTC) + timedelta(hours=web.session_hours)
        await run_in_threadpool(users.new_session, store, found.id, digest, secrets.token_urlsafe(24), expires)
        log.info("login %s (%s) from %s", name, found.role, client)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(web.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=web.secure_cookies,
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    async def logout(request: Request) -> Response:
        s = await who(request)
        if s is not None:
            await checked_form(request, s)
            await run_in_threadpool(users.end_session, store, token_digest(request.cookies[SESSION_COOKIE]))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ---- pages and API ----------------------------------------------------------------------------
    async def board(request: Request) -> Response:
        s = await who(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        current_rows = await run_in_threadpool(rows)
        return page(
            "board.html.j2",
            s=s,
            rows=current_rows,
            cause=shared_cause(current_rows),
            refresh=web.refresh_seconds,
            may_triage=may(s.role, "triage"),
            lang=cfg.lang,
        )

    async def api_links(request: Request) -> Response:
        if await who(request) is None:
            return JSONResponse({"error": "log in first"}, status_code=401, headers=HEADERS)
        current_rows = await run_in_threadpool(rows)
        body = {"updated": snapshot().timestamp, "cause": shared_cause(current_rows), "links": current_rows}
        return JSONResponse(body, headers=HEADERS)

    async def triage(request: Request) -> Response:
        """Triage of one OPD, streamed as NDJSON: a line per probe as it finishes, then the diagnosis."""
        s = await who(request)
        if s is None:
            return JSONResponse({"error": "log in first"}, status_code=401)
        await checked_form(request, s, "triage")
        opd = request.path_params["opd"]
        if opd not in names:
            return JSONResponse({"error": f"no OPD '{opd}'"}, status_code=404)
        lines: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        async def run() -> None:
            start = time.monotonic()
            try:
                facts = await gather(
                    inv,
                    cfg.inventory_dir,
                    opd,
                    store,
                    timeout=cfg.poll.snmp_timeout,
                    tz=cfg.timezone,
                    thresholds=cfg.health,
                    progress=lambda probe, what: lines.put_nowait({"probe": probe, "detail": what}),
                )
                diagnosis = decide(inv, facts, cfg.health)
                log.info("triage of %s by %s: %s", opd, s.user, diagnosis.verdict.value)
                lines.put_nowait({"diagnosis": diagnosis.to_json(time.monotonic() - start) | {"by": s.user}})
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
        s = await who(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        error = None
        if request.method == "POST":
            form = await checked_form(request, s, "ticket")
            try:
                await run_in_threadpool(
                    Tickets(store).open,
                    form.get("opd", ""),
                    form.get("channel", ""),
                    form.get("reporter", ""),
                    form.get("text", ""),
                    form.get("ref") or None,
                    s.user,
                )
                return RedirectResponse("/tickets", status_code=303)
            except RuleError as exc:
                error = str(exc)
        listed = await run_in_threadpool(Tickets(store).list)
        return page(
            "tickets.html.j2",
            400 if error else 200,
            s=s,
            tickets=listed,
            names=names,
            error=error,
            may_ticket=may(s.role, "ticket"),
            lang=cfg.lang,
        )

    async def ticket(request: Request) -> Response:
        s = await who(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        shown = await run_in_threadpool(Tickets(store).show, int(request.path_params["id"]))
        return page(
            "ticket.html.j2", s=s, t=shown, names=names, may_ticket=may(s.role, "ticket"), lang=cfg.lang, error=None
        )

    async def ticket_step(request: Request) -> Response:
        """SOP 15's next steps from the page: assign, progress, escalate (with a fresh evidence pack), resolve."""
        s = await who(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        form = await checked_form(request, s, "ticket")
        number, step = int(request.path_params["id"]), request.path_params["step"]
        tickets = Tickets(store)
        changes: dict[str, str] = {}
        text = form.get("text", "")
        if step == "assign":
            changes["assignee"] = form.get("assignee", "").strip() or s.user
        elif step == "escalate":
            opd = (await run_in_threadpool(tickets.show, number))["opd"]
            link = inv.link_of(opd)
            facts = await gather(
                inv,
                cfg.inventory_dir,
                opd,
                store,
                timeout=cfg.poll.snmp_timeout,
                tz=cfg.timezone,
                thresholds=cfg.health,
            )
            diagnosis = decide(inv, facts, cfg.health)
            text = f"eskalasi ke {link.provider}, sirkuit {link.circuit_id}, kontak {link.provider_contact or '-'}"
            text += f"\nverdict saat eskalasi: {diagnosis.verdict.value}\n{pack_text(diagnosis.pack)}"
        elif step not in ("progress", "resolve"):
            return PlainTextResponse(f"no step '{step}': assign, progress, escalate or resolve", status_code=404)
        try:
            await run_in_threadpool(tickets.record, number, step, s.user, text, **changes)
        except RuleError as exc:
            shown = await run_in_threadpool(tickets.show, number)
            return page(
                "ticket.html.j2", 409, s=s, t=shown, names=names, may_ticket=True, lang=cfg.lang, error=str(exc)
            )
        log.info("ticket %d %s by %s", number, step, s.user)
        return RedirectResponse(f"/tickets/{number}", status_code=303)

    async def link(request: Request) -> Response:
        """One link: its last 24 hours of rates and loss from the rollups, and its state changes."""
        s = await who(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        name = request.path_params["name"]
        found = next((x for x in inv.links if x.name == name), None)
        if found is None:
            raise NotFound(f"no link '{name}'")
        now = datetime.now(UTC)
        samples, _ = await run_in_threadpool(link_store.month_of_links, store, now - timedelta(days=1), now)
        day = samples.get(name, [])
        svg = await run_in_threadpool(link_day, day, found.subscribed_bps, cfg.lang) if day else ""
        chart = base64.b64encode(svg.encode()).decode()  # as an image: the page's CSP allows no inline style
        events = (await run_in_threadpool(link_store.changes, store, name))[-30:]
        row = next((r for r in await run_in_threadpool(rows) if r["link"] == name), None)
        return page(
            "link.html.j2",
            s=s,
            link=found,
            row=row,
            chart=chart,
            events=events[::-1],
            names=names,
            lang=cfg.lang,
            periods=len(day),
        )

    async def reports(request: Request) -> Response:
        """The Berita Acara and their review; the user signs the step their role holds (Kasi, Kabid, Kadis)."""
        s = await who(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        error = None
        if request.method == "POST":
            form = await checked_form(request, s)
            if s.role not in ("kasi", "kabid", "kadis"):
                raise Forbidden(f"the role {s.role} does not sign reports")
            try:
                await run_in_threadpool(
                    sign_report,
                    store,
                    inv,
                    int(form.get("report", "0")),
                    s.role,
                    form.get("name") or s.user,
                    list(cfg.maintenance.languages),
                )
                log.info("report %s signed as %s by %s", form.get("report"), s.role, s.user)
                return RedirectResponse("/reports", status_code=303)
            except (PlaybookError, NotFound) as exc:
                error = str(exc)
        listed = await run_in_threadpool(report_list, store)
        ipam = snapshot().ipam
        return page(
            "reports.html.j2", 409 if error else 200, s=s, reports=listed, ipam=ipam, error=error, lang=cfg.lang
        )

    async def forbidden(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=403, headers=HEADERS)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=404, headers=HEADERS)

    return Starlette(
        routes=[
            Route("/", board),
            Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/api/links", api_links),
            Route("/triage/{opd}", triage, methods=["POST"]),
            Route("/tickets", tickets, methods=["GET", "POST"]),
            Route("/tickets/{id:int}", ticket),
            Route("/links/{name}", link),
            Route("/reports", reports, methods=["GET", "POST"]),
            Route("/tickets/{id:int}/{step}", ticket_step, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={Forbidden: forbidden, NotFound: not_found},
    )
