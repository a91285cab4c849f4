"""What every handler of the status page shares: the agent's configuration, store, inventory and latest
poll; the templates; who is asking (a session cookie, or a trusted proxy's user header) and whether they may.

Handlers find it as ``request.app.state.site`` (:func:`site_of`)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from agent.lang import error_text
from agent.web.auth import LoginBrake, may, token_digest
from agent.web.views import link_rows, local_time
from agent.wiring import App
from core.board import Entry, Stored, entries, merge
from core.rates import utilization
from core.snapshot import Snapshot
from i18n import Msg, catalog
from inventory.models import Inventory
from inventory.secrets import resolve_secret
from playbooks.triage.decide import Diagnosis
from store import links as link_store
from store import users
from store.engine import Store
from store.errors import StoreError
from store.users import SessionInfo

log = logging.getLogger(__name__)
I18N = "jinja2.ext.i18n"  # the templates' {{ _("…") }}, from the catalogs (agent.catalog finds them)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "pantau_session"
LOGIN_COOKIE = "pantau_login"  # the CSRF token of the login form, before there is a session
#: the header in which the single-sign-on proxy proves it is the proxy (web.proxy_secret)
PROXY_SECRET_HEADER = "X-Pantau-Proxy-Secret"  # noqa: S105 (a header name, not a secret)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Forbidden(Exception):
    """The request is refused (HTTP 403); the message says why."""


class LoginNeeded(Exception):
    """No session: a page goes to the login form, an API answers 401."""


class Site:
    """One agent's status page: ``snapshot()`` and ``since()`` give the latest poll and when each link
    entered its state; ``store`` keeps users, sessions and tickets."""

    def __init__(self, app: App, snapshot: Callable[[], Snapshot], since: Callable[[], dict[str, float]]) -> None:
        self.app, self.snapshot, self.since = app, snapshot, since
        cfg, store = self.cfg, self.store = app.config, app.store
        self.web, self.lang = cfg.web, cfg.lang
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["j2"]), extensions=[I18N]
        )
        self.env.install_gettext_translations(catalog(self.lang), newstyle=False)  # type: ignore[attr-defined]
        self.env.filters["local"] = lambda at: local_time(at.timestamp(), cfg.timezone, self.lang)  # for people
        self.brake = LoginBrake()
        self.sparks = Sparklines(store, lambda: self.inv)
        self._warned: set[str] = set()  # addresses that sent a user header they may not
        self._secret: bytes | None = None
        self._stored: list[Stored] = []  # the other agents' entries on the board, as last read

    @property
    def inv(self) -> Inventory:
        """The agent's inventory as it is now (the agent reloads it when its files change)."""
        return self.app.inventory

    @property
    def names(self) -> dict[str, str]:
        return {o.slug: o.name for o in self.inv.opds}

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        if context.get("error"):
            context["error"] = self.say(context["error"])
        body = self.env.get_template(name).render(lang=self.lang, names=self.names, **context)
        return HTMLResponse(body, status_code=status, headers=HEADERS)

    def say(self, message: BaseException | Msg | str) -> str:
        """An error in the page's language (from the catalogs: :func:`agent.lang.error_text`)."""
        return error_text(message, self.lang)

    # ---- who is asking -------------------------------------------------------------------------
    def _peer_trusted(self, request: Request) -> bool:
        """Whether the connection comes from one of ``web.trusted_proxies``."""
        if not self.web.trusted_proxies or request.client is None:
            return False
        try:
            peer = ipaddress.ip_address(request.client.host)
        except ValueError:
            return False
        return any(peer in net for net in self.web.trusted_proxies)

    def client(self, request: Request) -> str:
        """The client's address, for the login brake and the log: the connecting address, or behind a trusted
        proxy the last address in X-Forwarded-For that is not itself a trusted proxy."""
        peer = request.client.host if request.client else "?"
        forwarded = request.headers.get("x-forwarded-for", "")
        if not forwarded or not self._peer_trusted(request):
            return peer
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            try:
                address = ipaddress.ip_address(hop)
            except ValueError:
                return hop  # not an address: name it as it came, and stop believing further hops
            if not any(address in net for net in self.web.trusted_proxies):
                return hop
        return hops[0] if hops else peer

    def proxy_user(self, request: Request) -> str | None:
        """The user a trusted reverse proxy names in ``web.proxy_user_header``; a header from an address
        that is not a trusted proxy is not believed (and logged, once per address)."""
        header = self.web.proxy_user_header
        name = request.headers.get(header, "").strip() if header else ""
        if not name:
            return None
        peer = request.client.host if request.client else "?"
        if not self._peer_trusted(request):
            if peer not in self._warned:
                self._warned.add(peer)
                log.warning("%s from %s, which web.trusted_proxies does not list: not believed", header, peer)
            return None
        sent = request.headers.get(PROXY_SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), self._proxy_secret()):
            if f"secret:{peer}" not in self._warned:
                self._warned.add(f"secret:{peer}")
                log.warning("%s from %s without the proxy's secret: not believed", header, peer)
            return None
        return name

    def _proxy_secret(self) -> bytes:
        """web.proxy_secret's value, read once (never logged)."""
        if self._secret is None:
            reference = self.web.proxy_secret or ""
            self._secret = resolve_secret(reference, Path(".")).encode() if reference else b""
        return self._secret

    def _session(self, request: Request) -> SessionInfo | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        found = users.session(self.store, token_digest(token), datetime.now(UTC))
        named = self.proxy_user(request)
        if found is not None and named is not None and found.user != named:
            return None  # the proxy now vouches for someone else: their own session is made at /login
        return found

    async def who(self, request: Request) -> SessionInfo | None:
        return await run_in_threadpool(self._session, request)

    async def session(self, request: Request) -> SessionInfo:
        """The request's session; LoginNeeded without one."""
        s = await self.who(request)
        if s is None:
            raise LoginNeeded
        return s

    async def checked_form(self, request: Request, s: SessionInfo, action: str | None = None) -> dict[str, str]:
        """The POSTed form, once its CSRF token is the session's and the user's role may do ``action``."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not hmac.compare_digest(form.get("csrf", ""), s.csrf):
            raise Forbidden(Msg("CSRF token missing or wrong: reload the page and try again"))
        if action is not None and not may(s.role, action):
            raise Forbidden(Msg("the role {role} may not {action}", role=s.role, action=action))
        return form

    # ---- what the page shows -------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        snap = self.snapshot()
        out = link_rows(self.board(snap), snap.tickets_open, self.names, self.lang, self.cfg.timezone)
        lines = self.sparks.lines()
        return [r | {"spark": lines.get(r["link"], [])} for r in out]

    def board(self, snap: Snapshot) -> list[Entry]:
        """Every link's entry: this agent's own from memory and, among agents sharing the store, the others'
        from the store (fresh within a lease and two SNMP rounds, else ``unknown``). A store fault leaves
        the others' entries as last read, until they are stale (logged); never this agent's own."""
        own = entries(snap, self.since(), snap.cluster[0] if snap.cluster else "")
        if not self.cfg.cluster.enabled:
            return own
        try:
            self._stored = link_store.board_entries(self.store)
        except StoreError as exc:  # the entries last read, aging until they count as stale
            log.warning("the board: %s", exc)
        links = [(lk.name, lk.opd, lk.subscribed_bps) for lk in self.inv.links]
        fresh = self.cfg.cluster.lease_seconds + 2 * self.cfg.poll.snmp_interval
        return merge(links, own, self._stored, time.time(), fresh)

    async def diagnose(self, opd: str, progress: Callable[[str, str], None] | None = None) -> tuple[Diagnosis, float]:
        return await self.app.triage.diagnose(opd, progress)


class Sparklines:
    """Each link's last hour as utilization per 5-minute rollup; read from the store at most once a minute.
    A store fault costs the board its lines (logged), never its live figures, which come from memory."""

    def __init__(self, store: Store, inventory: Callable[[], Inventory], every: float = 60.0) -> None:
        self.store, self.every, self.inventory = store, every, inventory
        self._at, self._lines = -every, {}  # type: tuple[float, dict[str, list[float]]]

    def lines(self) -> dict[str, list[float]]:
        if time.monotonic() - self._at > self.every:
            now = datetime.now(UTC)
            try:
                samples, _ = link_store.month_of_links(self.store, now - timedelta(hours=1), now)
                subscribed = {x.name: x.subscribed_bps for x in self.inventory().links}
                self._lines = {
                    name: [round(utilization((p.in_bps, p.out_bps), subscribed[name]) or 0.0, 4) for p in got]
                    for name, got in samples.items()
                    if subscribed.get(name)
                }
            except StoreError as exc:
                log.warning("sparklines: %s", exc)
            self._at = time.monotonic()
        return dict(self._lines)


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


async def login_needed(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith(("/api/", "/triage/")):
        return JSONResponse({"error": "log in first"}, status_code=401, headers=HEADERS)
    return RedirectResponse("/login", status_code=303)
