"""The status page (Starlette, server-rendered with Jinja2; a small script refreshes the board): the OPD
board and ``/api/links``, a link's day and evidence pack, triage from the page, SOP 15 tickets, and the
Berita Acara. Every page and API needs a login; every POST carries the session's CSRF token; what a user may
do follows their role (:mod:`agent.web.auth`). The handlers share one :class:`agent.web.site.Site`."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agent.web import acts, login, pages
from agent.web.site import HEADERS, HERE, Forbidden, LoginNeeded, Site, login_needed, site_of
from agent.wiring import App
from core.snapshot import Snapshot
from store.errors import NotFound


async def forbidden(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(site_of(request).say(exc), status_code=403, headers=HEADERS)


async def not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(site_of(request).say(exc), status_code=404, headers=HEADERS)


def create_app(app: App, snapshot: Callable[[], Snapshot], since: Callable[[], dict[str, float]]) -> Starlette:
    """The status page of one agent (``app``: its configuration, inventory, store and triage): ``snapshot()``
    and ``since()`` give the latest poll and when each link entered its state."""
    page = Starlette(
        routes=[
            Route("/", pages.board),
            Route("/login", login.login, methods=["GET", "POST"]),
            Route("/logout", login.logout, methods=["POST"]),
            Route("/api/links", pages.api_links),
            Route("/links/{name}", pages.link),
            Route("/links/{name}/pack.txt", pages.link_pack),
            Route("/topology.svg", pages.topology),
            Route("/runbooks", pages.runbook),
            Route("/oncall", pages.oncall_card),
            Route("/runbooks/{alert}", pages.runbook),
            Route("/opd/{slug}/router.conf", pages.router_config),
            Route("/reports", pages.reports, methods=["GET", "POST"]),
            Route("/plans/{id:int}/approve", pages.approve_plan, methods=["POST"]),
            Route("/triage/{opd}", acts.triage, methods=["POST"]),
            Route("/tickets", acts.tickets, methods=["GET", "POST"]),
            Route("/tickets/{id:int}", acts.ticket),
            Route("/tickets/{id:int}/{step}", acts.ticket_step, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={Forbidden: forbidden, NotFound: not_found, LoginNeeded: login_needed},
    )
    page.state.site = Site(app, snapshot, since)
    return page
