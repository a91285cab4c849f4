"""Logging in and out of the status page: the form (its own CSRF cookie until there is a session), the
brake on guessing, the session cookie; and the session a trusted reverse proxy's user header
(``web.proxy_user_header``) opens without a password."""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from agent.web.auth import DUMMY_HASH, new_token, password_matches, token_digest
from agent.web.site import HEADERS, LOGIN_COOKIE, SESSION_COOKIE, Forbidden, Site, site_of
from i18n import Msg
from store import users
from store.users import UserInfo

log = logging.getLogger(__name__)


def _form(site: Site, error: Msg | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = site.page("login.html.j2", status, csrf=token, error=error)
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=site.web.cookies_secure, path="/login"
    )
    return response


async def _start_session(site: Site, found: UserInfo, how: str, client: str) -> Response:
    token, digest = new_token()
    expires = datetime.now(UTC) + timedelta(hours=site.web.session_hours)
    await run_in_threadpool(users.new_session, site.store, found.id, digest, secrets.token_urlsafe(24), expires)
    log.info("login %s (%s) from %s, %s", found.name, found.role, client, how)
    response = RedirectResponse("/", status_code=303, headers=HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(site.web.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=site.web.cookies_secure,
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def login(request: Request) -> Response:
    site = site_of(request)
    client = site.client(request)
    named = site.proxy_user(request)
    if named is not None:
        found = await run_in_threadpool(users.user, site.store, named)
        if found is None:
            log.warning("the proxy names %r from %s, who is not a user", named, client)
            raise Forbidden(
                Msg("'{name}' is not a user of this page: ask an administrator to run pantau user add", name=named)
            )
        return await _start_session(site, found, "vouched for by the proxy", client)
    if request.method == "GET":
        return _form(site)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not form.get("csrf") or not hmac.compare_digest(form["csrf"], request.cookies.get(LOGIN_COOKIE, "")):
        return PlainTextResponse(
            site.say(Msg("CSRF token missing or wrong: reload the page and try again")), status_code=403
        )
    name, password = form.get("username", "").strip(), form.get("password", "")
    wait = site.brake.attempt(f"ip:{client}", f"user:{name}")  # counted as failed until it succeeds
    if wait > 0:
        return PlainTextResponse(
            site.say(Msg("too many failed logins: try again in {seconds} s", seconds=f"{wait:.0f}")),
            status_code=429,
            headers={"Retry-After": f"{wait:.0f}"},
        )
    found = await run_in_threadpool(users.user, site.store, name)
    ok = await run_in_threadpool(password_matches, password, found.password_hash if found else DUMMY_HASH)
    if found is None or not ok:
        log.warning("failed login for %r from %s", name[:64], client)
        return _form(site, Msg("wrong name or password"), 401)
    site.brake.succeeded(f"user:{name}", attempt=(f"ip:{client}",))
    return await _start_session(site, found, "with a password", client)


async def logout(request: Request) -> Response:
    site = site_of(request)
    s = await site.who(request)
    if s is not None:
        await site.checked_form(request, s)
        await run_in_threadpool(users.end_session, site.store, token_digest(request.cookies[SESSION_COOKIE]))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
