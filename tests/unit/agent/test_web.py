"""The status page's access rules, against a real SQLite store and the example inventory: no page without
a login, CSRF on every POST, roles, the brake on password guessing, and the board's data from a snapshot
(the agent's output; the live agent and a real browser are tested in the lab, tests/lab/test_9b_web.py)."""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from agent.config import Config
from agent.web.app import create_app
from agent.web.auth import LoginBrake, hash_password
from agent.web.views import local_time
from agent.wiring import build
from core.health import LinkState
from core.snapshot import LinkView, Snapshot
from inventory.loader import load_inventory
from store import users
from store.engine import Store
from store.tickets import Tickets

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
PASSWORD = "kata-sandi-panjang"


@pytest.fixture(scope="module")
def hashed() -> str:
    return hash_password(PASSWORD)  # bcrypt at cost 12 is slow on purpose: once per module


class PageClient(TestClient):
    """A browser's view of the page, and the store behind it (to check what the page wrote)."""

    store: Store


def make_client(tmp_path: Path, hashed: str, peer: str = "testclient", lang: str = "en", **config: Any) -> PageClient:
    """The page of an agent whose last poll found dinkes down and disdik up, asked from ``peer``."""
    deps = build(Config(inventory=EXAMPLE, state_dir=tmp_path, lang=lang, **config))
    store = deps.store
    for name, role in (("andi", "technician"), ("vina", "viewer")):
        if users.user(store, name) is None:
            users.add_user(store, name, role, hashed)
    down = LinkView("dinkes-wan", "dinkes", "p", "core", "eth1", 10_000_000, LinkState.DOWN, ("oper-down",), False)
    up = LinkView("disdik-wan", "disdik", "p", "core", "eth2", 20_000_000, LinkState.UP, (), True, receive_bps=4e6)
    snap = Snapshot(timestamp=1.0, links=(down, up), tickets_open={"dinkes": 2})
    app = create_app(deps, lambda: snap, lambda: {"dinkes-wan": 1_764_600_000.0})
    test = PageClient(app, base_url="http://testserver", client=(peer, 50000))
    test.store = store
    return test


@pytest.fixture
def client(tmp_path: Path, hashed: str) -> PageClient:
    return make_client(tmp_path, hashed)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form as a browser does; the session's CSRF token from the board."""
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]


def test_nothing_is_shown_without_a_login(client: PageClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/tickets", follow_redirects=False).status_code == 303
    assert client.get("/api/links").status_code == 401


def test_the_session_cookie_is_httponly_and_samesite_and_the_board_lists_the_links(client: PageClient) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login", data={"username": "andi", "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert "pantau_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    data = client.get("/api/links").json()
    assert [(r["opd"], r["link"], r["state"]) for r in data["links"]] == [
        ("dinkes", "dinkes-wan", "down"),
        ("disdik", "disdik-wan", "up"),
    ]
    assert data["links"][0]["since"] == "2025-12-01T14:40:00+00:00" and data["links"][0]["open_tickets"] == 2
    assert data["links"][0]["since_local"] == "1 December 2025 21:40 WIB"  # the agency's time, for people
    assert data["links"][1]["utilization"] == 0.2
    assert data["updated_local"] == "1 January 1970 07:00 WIB"  # the last poll, in the agency's zone
    assert "Dinas Kesehatan" in client.get("/").text


def test_a_login_without_its_csrf_token_or_with_a_wrong_password_is_refused(client: PageClient) -> None:
    client.get("/login")
    assert client.post("/login", data={"username": "andi", "password": PASSWORD}).status_code == 403
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    wrong = client.post("/login", data={"username": "andi", "password": "salah-salah-salah", "csrf": token})
    assert wrong.status_code == 401 and client.get("/api/links").status_code == 401


def test_a_post_without_the_sessions_csrf_token_is_refused(client: PageClient) -> None:
    csrf = log_in(client, "andi")
    ticket = {"opd": "dinkes", "channel": "phone", "reporter": "Pak Joko", "text": "putus"}
    assert client.post("/tickets", data=ticket).status_code == 403
    assert client.post("/tickets", data=ticket | {"csrf": "forged"}).status_code == 403
    assert client.post("/tickets", data=ticket | {"csrf": csrf}, follow_redirects=False).status_code == 303
    [opened] = Tickets(client.store).list()
    assert (opened.opd, opened.reporter) == ("dinkes", "Pak Joko")


def test_the_ticket_form_offers_the_agencys_complaint_channels(client: PageClient) -> None:
    log_in(client, "andi")
    page = client.get("/tickets").text
    offered = re.findall(r'<option value="([a-z-]+)">', page.split('name="channel"')[1].split("</select>")[0])
    assert offered == ["phone", "whatsapp", "email", "walk-in", "lapor"]  # the example inventory's agency.sops


def test_a_viewer_sees_the_board_but_may_not_act(client: PageClient) -> None:
    csrf = log_in(client, "vina")
    assert client.get("/api/links").status_code == 200
    ticket = {"opd": "dinkes", "channel": "phone", "reporter": "x", "text": "putus", "csrf": csrf}
    refused = client.post("/tickets", data=ticket)
    assert refused.status_code == 403 and "the role viewer may not ticket" in refused.text
    assert client.post("/triage/dinkes", data={"csrf": csrf}).status_code == 403
    assert Tickets(client.store).list() == []


def test_logging_out_ends_the_session_in_the_store(client: PageClient) -> None:
    csrf = log_in(client, "andi")
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/links").status_code == 401


def test_guessing_is_braked_per_name_and_per_address() -> None:
    brake = LoginBrake(limit=5, window=300)
    for i in range(5):
        assert brake.wait("ip:a", "user:andi", now=float(i)) == 0
        brake.failed("ip:a", "user:andi", now=float(i))
    assert brake.wait("ip:b", "user:andi", now=10.0) == 290.0  # another address, the same name
    assert brake.wait("ip:a", "user:vina", now=10.0) == 290.0  # the same address, another name
    assert brake.wait("ip:b", "user:vina", now=10.0) == 0
    assert brake.wait("ip:a", "user:andi", now=299.5) == 0.5
    assert brake.wait("ip:a", "user:andi", now=300.0) == 0  # the oldest failure aged out: 4 of 5 left


def test_guesses_sent_at_once_are_braked_before_their_passwords_are_checked() -> None:
    brake = LoginBrake(limit=5, window=300)
    # 15 attempts arrive together: each is counted as it is let through, so only 5 reach the password check
    waits = [brake.attempt("ip:a", "user:andi", now=0.0) for _ in range(15)]
    assert waits.count(0) == 5 and all(w == 300.0 for w in waits[5:])
    brake.succeeded("user:vina", attempt=("ip:b",))  # another user's success takes back only its own attempt
    assert brake.attempt("ip:b", "user:vina", now=1.0) == 0
    brake.succeeded("user:vina", attempt=("ip:b",))
    assert brake.wait("ip:b", "user:vina", now=1.0) == 0


def test_the_brake_forgets_aged_failures_and_keeps_a_bounded_number_of_short_keys() -> None:
    brake = LoginBrake(limit=5, window=300, max_keys=100)
    for i in range(1000):  # a guesser with ever new (and huge) names
        brake.failed(f"user:{i}{'x' * 1_000_000}", now=0.0)
    kept = brake._failures
    assert len(kept) == 100 and all(len(k) == LoginBrake.KEY_CHARS for k in kept)
    assert all(k.startswith("user:9") for k in kept)  # the newest 100 (900-999), the oldest dropped first
    aging = LoginBrake(limit=5, window=300)
    aging.attempt("ip:a", "user:andi", now=0.0)
    assert aging.wait("ip:a", "user:andi", now=301.0) == 0 and aging._failures == {}  # aged out: forgotten


def test_fifteen_concurrent_guesses_on_the_page_get_429_beyond_the_fifth(client: PageClient) -> None:
    import concurrent.futures

    page = client.get("/login")
    csrf = client.cookies.get("pantau_login") or ""
    assert page.status_code == 200 and csrf
    form = {"username": "andi", "password": "salah", "csrf": csrf}
    with concurrent.futures.ThreadPoolExecutor(15) as pool:
        codes = sorted(pool.map(lambda _: client.post("/login", data=form).status_code, range(15)))
    assert codes == [401] * 5 + [429] * 10


def test_the_ticket_page_takes_the_next_sop_15_steps_in_the_users_name(client: PageClient) -> None:
    csrf = log_in(client, "andi")
    ticket = {"opd": "dinkes", "channel": "whatsapp", "reporter": "Pak Joko", "text": "putus", "csrf": csrf}
    client.post("/tickets", data=ticket)
    assigned = client.post("/tickets/1/assign", data={"csrf": csrf, "assignee": "Rizky"}, follow_redirects=False)
    assert assigned.status_code == 303 and assigned.headers["location"] == "/tickets/1"
    assert client.post("/tickets/1/resolve", data={"text": "normal"}).status_code == 403  # no CSRF token
    client.post("/tickets/1/resolve", data={"csrf": csrf, "text": "normal kembali"})
    shown = Tickets(client.store).show(1)
    assert (shown.state, shown.assignee) == ("resolved", "Rizky")
    assert [(e.step, e.by) for e in shown.events] == [
        ("open", "andi"),
        ("assign", "andi"),
        ("resolve", "andi"),
    ]
    page = client.get("/tickets/1").text
    assert "SOP 15 langkah 2" in page and "normal kembali" in page
    assert " WIB</td>" in page and "+00:00" not in page  # each step's time in the agency's zone, not UTC
    assert " WIB</td>" in client.get("/tickets").text
    again = client.post("/tickets/1/progress", data={"csrf": csrf, "text": "x"})
    assert again.status_code == 409  # a resolved ticket takes no more steps: the rule's message, not a crash
    assert client.get("/tickets/99").status_code == 404


def test_the_link_page_shows_its_day_and_changes_and_only_signers_sign_reports(client: PageClient) -> None:
    from store.links import StateChange, add_changes

    at = datetime.now(UTC) - timedelta(minutes=30)
    add_changes(client.store, [StateChange("dinkes-wan", "dinkes", at, "up", "down", "oper-down", "link")])
    csrf = log_in(client, "andi")
    page = client.get("/links/dinkes-wan")
    assert page.status_code == 200 and "oper-down" in page.text and "Tidak" not in page.text
    assert local_time(at.timestamp(), "Asia/Jakarta", "en") in page.text  # when, in the agency's time
    assert "No 5-minute rollups of this link yet." in page.text
    assert client.get("/links/nosuch").status_code == 404
    refused = client.post("/reports", data={"csrf": csrf, "report": "1"})
    assert refused.status_code == 403 and "does not sign reports" in refused.text


def test_the_board_carries_each_links_last_hour_from_the_rollups(client: PageClient) -> None:
    from core.rollup import RollupRow
    from store.links import add_rollups

    now = datetime.now(UTC)
    rows = [
        RollupRow("disdik-wan", "disdik", now - timedelta(minutes=m), 300, 10, 2e6, 3e6, r, r, 0.0, 0.01)
        for m, r in ((15, 5e6), (10, 10e6), (5, 20e6))
    ]
    add_rollups(client.store, rows)  # as the agent writes them
    log_in(client, "andi")
    links = {r["link"]: r for r in client.get("/api/links").json()["links"]}
    assert links["disdik-wan"]["spark"] == [0.25, 0.5, 1.0]  # of its 20 Mbit/s
    assert links["dinkes-wan"]["spark"] == []


PROXY: dict[str, Any] = {
    "web": {
        "trusted_proxies": ["127.0.0.0/8"],
        "proxy_user_header": "X-Remote-User",
        "proxy_secret": "env:PANTAU_TEST_PROXY_SECRET",
    }
}
SECRET = "rahasia-proxy-uji"  # the test's own


def as_proxy(user: str, secret: str = SECRET) -> dict[str, str]:
    return {"X-Remote-User": user, "X-Pantau-Proxy-Secret": secret}


def test_a_trusted_proxys_user_header_opens_a_session_for_that_user_only(
    tmp_path: Path, hashed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANTAU_TEST_PROXY_SECRET", SECRET)
    proxied = make_client(tmp_path, hashed, "127.0.0.1", **PROXY)
    assert proxied.get("/", follow_redirects=False).headers["location"] == "/login"  # no header: a login
    board = proxied.get("/", headers=as_proxy("andi"))
    assert board.status_code == 200 and "andi" in board.text and "Dinas Kesehatan" in board.text
    assert proxied.get("/api/links").status_code == 200  # the session's cookie, as a browser sends it
    # the proxy now vouches for vina: andi's session does not carry her requests
    assert proxied.get("/api/links", headers=as_proxy("vina")).status_code == 401
    assert "vina" in proxied.get("/", headers=as_proxy("vina")).text
    stranger = proxied.get("/login", headers=as_proxy("mallory"))
    assert (
        stranger.status_code == 403
        and "'mallory' is not a user" in stranger.text
        and "pantau user add" in stranger.text
    )


def test_the_user_header_is_not_believed_from_an_address_the_config_does_not_trust(
    tmp_path: Path, hashed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANTAU_TEST_PROXY_SECRET", SECRET)
    direct = make_client(tmp_path, hashed, "192.0.2.7", **PROXY)
    page = direct.get("/", headers=as_proxy("andi"))
    assert page.url.path == "/login" and 'name="password"' in page.text
    assert direct.get("/api/links", headers=as_proxy("andi")).status_code == 401
    plain = make_client(tmp_path, hashed, "127.0.0.1")  # no proxy configured: the header means nothing
    assert plain.get("/api/links", headers={"X-Remote-User": "andi"}).status_code == 401


def test_a_local_process_that_is_not_the_proxy_cannot_name_a_user(
    tmp_path: Path, hashed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANTAU_TEST_PROXY_SECRET", SECRET)
    local = make_client(tmp_path, hashed, "127.0.0.1", **PROXY)  # the proxy's own address, as any local process
    assert local.get("/api/links", headers={"X-Remote-User": "andi"}).status_code == 401  # no secret
    assert local.get("/api/links", headers=as_proxy("andi", "tebakan")).status_code == 401  # a wrong one
    assert local.get("/", headers=as_proxy("andi")).status_code == 200  # the proxy's


def test_the_proxy_config_names_what_is_wrong() -> None:
    from agent.config import load_config
    from agent.errors import ConfigError

    with pytest.raises(ConfigError, match="proxy_user_header needs trusted_proxies"):
        load_config(None, overrides={"web": {"proxy_user_header": "X-Remote-User"}})
    with pytest.raises(ConfigError, match="proxy_user_header needs proxy_secret"):
        load_config(None, overrides={"web": {"trusted_proxies": ["127.0.0.1"], "proxy_user_header": "X-Remote-User"}})
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_config(None, overrides={"web": {"trusted_proxies": ["not-a-network"]}})
    with pytest.raises(ConfigError, match="proxy_user_header"):
        load_config(None, overrides={"web": {"trusted_proxies": ["127.0.0.1"], "proxy_user_header": "X User:"}})


def test_the_link_page_gives_the_providers_evidence_pack_from_the_agents_records(client: PageClient) -> None:
    from core.rollup import RollupRow
    from store.links import StateChange, add_changes, add_rollups

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    went_down = now - timedelta(minutes=12)
    add_rollups(
        client.store,
        [
            RollupRow("dinkes-wan", "dinkes", now - timedelta(minutes=m), 300, 10, 2e6, 3e6, 2e6, 3e6, loss, 0.02)
            for m, loss in ((25, 0.0), (20, 0.0), (15, 0.0), (10, 1.0), (5, 1.0))
        ],
    )
    add_changes(client.store, [StateChange("dinkes-wan", "dinkes", went_down, "up", "down", "oper-down", "link")])
    log_in(client, "andi")
    page = client.get("/links/dinkes-wan").text
    circuit = load_inventory(EXAMPLE).link_of("dinkes").circuit_id
    since = went_down.astimezone(ZoneInfo("Asia/Jakarta")).isoformat(timespec="seconds")
    assert f"sirkuit {circuit}" in page and f"gangguan sejak: {since}" in page, page
    assert "port pusat data core:eth1: down" in page  # the last poll's port state
    assert 'src="data:image/svg+xml;base64,' in page
    download = client.get("/links/dinkes-wan/pack.txt")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"].startswith('attachment; filename="bukti-dinkes-wan-')
    last_good = (now - timedelta(minutes=10)).astimezone(ZoneInfo("Asia/Jakarta")).isoformat(timespec="seconds")
    assert f"terakhir normal (loss di bawah 5 %): {last_good}" in download.text, download.text
    assert "putus dalam 24 jam: 1" in download.text
    assert client.get("/links/nosuch/pack.txt").status_code == 404


def test_a_ticket_opened_on_the_page_is_checked_and_notified_as_from_the_cli(tmp_path: Path, hashed: str) -> None:
    import html
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hooked = make_client(tmp_path, hashed, notify={"webhooks": [f"http://127.0.0.1:{server.server_port}/hook"]})
        csrf = log_in(hooked, "andi")
        ticket = {"channel": "phone", "reporter": "Pak Joko", "text": "putus", "csrf": csrf}
        wrong = hooked.post("/tickets", data=ticket | {"opd": "nosuch"})
        assert wrong.status_code == 400 and "opd 'nosuch' is not an OPD of the inventory" in html.unescape(wrong.text)
        assert hooked.post("/tickets", data=ticket | {"opd": "dinkes"}, follow_redirects=False).status_code == 303
    finally:
        server.shutdown()
        server.server_close()
    assert got == [
        {
            "event": "ticket.open",
            "ticket": 1,
            "opd": "dinkes",
            "channel": "phone",
            "reporter": "Pak Joko",
            "text": "putus",
        }
    ]


def test_the_page_in_bahasa_indonesia_says_its_errors_and_times_in_it(tmp_path: Path, hashed: str) -> None:
    page = make_client(tmp_path, hashed, lang="id")
    csrf = log_in(page, "vina")
    refused = page.post("/tickets", data={"opd": "dinkes", "channel": "phone", "csrf": csrf})
    assert refused.status_code == 403 and refused.text == "peran viewer tidak berwenang untuk ticket"
    assert page.get("/links/nosuch").text == "tidak ada link 'nosuch'; daftarnya ada di papan"
    assert page.post("/reports", data={"report": "1"}).text.startswith("token CSRF tidak ada atau salah")
    # the board's footer in the agency's time and in Indonesian (not the browser's locale and zone)
    board = page.get("/").text
    assert '<span id="updated">1 Januari 1970 07.00 WIB</span>' in board
    assert (
        ">Keluar</button>" in board and "<title>pantau — Papan OPD</title>" in board
    )  # the page's own words, from the catalog
    links = page.get("/api/links").json()
    assert links["updated_local"] == "1 Januari 1970 07.00 WIB"
    assert [r["state_text"] for r in links["links"]] == ["putus", "normal"]


def test_behind_a_trusted_proxy_the_brake_counts_the_forwarded_client(tmp_path: Path, hashed: str) -> None:
    proxied = make_client(tmp_path, hashed, "127.0.0.1", web={"trusted_proxies": ["127.0.0.0/8"]})
    names = iter(range(100))

    def attempt(client_address: str) -> int:
        """A wrong password under a new name each time: only the per-address brake can stop it."""
        form = proxied.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        data = {"username": f"guess{next(names)}", "password": "salah-salah-salah", "csrf": token}
        forwarded = {"X-Forwarded-For": f"{client_address}, 127.0.0.1"}
        return proxied.post("/login", data=data, headers=forwarded).status_code

    assert [attempt("198.51.100.7") for _ in range(6)] == [401] * 5 + [429]  # that client, braked
    assert attempt("198.51.100.8") == 401  # another client behind the same proxy is not
    site = proxied.app.state.site  # type: ignore[attr-defined]
    assert site.client(_request("192.0.2.9", {"x-forwarded-for": "203.0.113.1"})) == "192.0.2.9"  # no proxy
    assert site.client(_request("127.0.0.1", {"x-forwarded-for": "203.0.113.1, 127.0.0.5"})) == "203.0.113.1"


def _request(peer: str, headers: dict[str, str]) -> Any:
    from starlette.requests import Request

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": (peer, 40000),
    }
    return Request(scope)


def test_the_agents_own_server_leaves_the_proxy_decision_to_the_page(
    tmp_path: Path, hashed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANTAU_TEST_PROXY_SECRET", SECRET)
    """uvicorn as the agent runs it: it must not rewrite the client from X-Forwarded-For before the page
    checks that the connection comes from a trusted proxy."""
    import socket
    import urllib.request

    from agent.daemon import serve_web
    from agent.poller import Agent

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = Config(
        inventory=EXAMPLE,
        state_dir=tmp_path,
        lang="en",
        web={
            "listen": f"127.0.0.1:{port}",
            "trusted_proxies": ["127.0.0.1/32"],
            "proxy_user_header": "X-Remote-User",
            "proxy_secret": "env:PANTAU_TEST_PROXY_SECRET",
        },
    )
    deps = build(cfg)
    store = deps.store
    users.add_user(store, "andi", "technician", hashed)
    web = serve_web(deps, Agent(deps, store))
    try:
        for _ in range(100):  # uvicorn starts listening in its own thread
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/login",
            headers={**as_proxy("andi"), "X-Forwarded-For": "198.51.100.7"},
        )
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as answer:
            opener.open(request, timeout=10)
    finally:
        web.stop()
        store.dispose()
    answer.value.close()  # the redirect's response holds its connection
    assert answer.value.code == 303 and "pantau_session=" in answer.value.headers["set-cookie"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("img", "svg", "iframe", "object", "embed"):
            self.seen.add(tag)
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.seen.add("inline script")
        self.seen |= {f"{tag} {k}" for k, v in attrs if k.startswith("on") or "javascript:" in (v or "")}


def markup_of(page: str) -> set[str]:
    """What in ``page`` could run: tags that load or script, event-handler attributes, javascript: URLs."""
    parser = _Tags()
    parser.feed(page)
    return parser.seen


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "</textarea><iframe src=javascript:alert(4)>",
]


def test_hostile_ticket_text_and_names_are_shown_as_text_never_as_markup(client: PageClient) -> None:
    """What a caller says and a technician types reaches every page escaped: the complaint, the reporter,
    the assignee, a progress note, a refused OPD name echoed in the error."""
    csrf = log_in(client, "andi")
    for n, bad in enumerate(HOSTILE, start=1):
        ticket = {"opd": "dinkes", "channel": "phone", "reporter": f"Pak {bad}", "text": bad, "csrf": csrf}
        assert client.post("/tickets", data=ticket, follow_redirects=False).status_code == 303
        client.post(f"/tickets/{n}/assign", data={"csrf": csrf, "assignee": bad})
        client.post(f"/tickets/{n}/progress", data={"csrf": csrf, "text": bad})
    refused = client.post("/tickets", data={"opd": HOSTILE[0], "channel": "phone", "text": "x", "csrf": csrf})
    assert refused.status_code == 400
    pages = {
        "refused": refused.text,
        "board": client.get("/").text,
        "tickets": client.get("/tickets").text,
        **{f"ticket {n}": client.get(f"/tickets/{n}").text for n in range(1, len(HOSTILE) + 1)},
    }
    for name, page in pages.items():
        for bad in HOSTILE:
            assert bad not in page, (name, bad)
        assert markup_of(page) == set(), name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["ticket 1"]  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["refused"]


def test_only_the_kabid_approves_a_kept_bandwidth_plan_on_the_page(client: PageClient, tmp_path: Path) -> None:
    from core.bandwidth import SurveyThresholds
    from playbooks.bandwidth import keep_plan, month_plan
    from store import bandwidth_plans

    inv = load_inventory(EXAMPLE)
    planned, _ = month_plan(client.store, inv, "2026-11", "Asia/Jakarta", SurveyThresholds())
    kept, _ = keep_plan(client.store, inv, planned, "2026-11", "rizky", tmp_path / "out", ["en"], datetime.now(UTC))
    users.add_user(client.store, "hendra", "kabid", hash_password(PASSWORD))
    csrf = log_in(client, "andi")
    page = client.get("/reports").text
    assert kept.number in page and f'action="/plans/{kept.id}/approve"' not in page  # a technician sees it only
    refused = client.post(f"/plans/{kept.id}/approve", data={"csrf": csrf, "name": "Andi"})
    assert refused.status_code == 403 and "only the Kabid approves a bandwidth plan" in refused.text
    client.post("/logout", data={"csrf": csrf})
    csrf = log_in(client, "hendra")
    assert f'action="/plans/{kept.id}/approve"' in client.get("/reports").text
    assert client.post(f"/plans/{kept.id}/approve", data={"name": "Ir. Hendra"}).status_code == 403  # no CSRF
    done = client.post(f"/plans/{kept.id}/approve", data={"csrf": csrf, "name": "Ir. Hendra Gunawan, M.T."},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    approved = bandwidth_plans.get(client.store, kept.id)
    assert (approved.state, approved.approved_by) == ("approved", "Ir. Hendra Gunawan, M.T.")
    again = client.post(f"/plans/{kept.id}/approve", data={"csrf": csrf, "name": "x"})
    assert again.status_code == 409 and "is approved already" in again.text
    assert "Approved in pantau by Ir. Hendra Gunawan, M.T." in next((tmp_path / "out").glob("*.md")).read_text()


def test_the_topology_is_drawn_for_a_logged_in_user_with_each_link_in_its_state(client: PageClient) -> None:
    assert client.get("/topology.svg", follow_redirects=False).status_code == 303
    log_in(client, "vina")
    drawn = client.get("/topology.svg")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    svg = html.unescape(drawn.text)  # dot writes "-" as &#45;
    assert "Dinas Kesehatan" in svg and "eth1 · TC-2024-0001" in svg
    assert 'stroke="#c62828"' in svg and 'stroke="#2e7d32"' in svg  # dinkes down in red, disdik up in green


def test_each_alerts_runbook_opens_without_a_login_in_indonesian_and_in_english(client: PageClient) -> None:
    page = client.get("/runbooks/PantauOpdLinkDown?lang=id")
    assert page.status_code == 200 and '<article class="runbook" lang="id">' in page.text
    assert "Link WAN satu OPD putus" in page.text and "<code>pantau triage OPD</code>" in page.text
    assert 'href="/runbooks/PantauOpdLinkDown?lang=en"' in page.text
    english = client.get("/runbooks/PantauOpdLinkDown")  # the page's language (English in this test's config)
    assert english.status_code == 200 and "One OPD's WAN link is down" in english.text
    index = client.get("/runbooks")
    assert index.status_code == 200 and index.text.count('<li><a href="/runbooks/') == 17
    missing = client.get("/runbooks/PantauNoSuchAlert")
    assert missing.status_code == 404 and "PantauNoSuchAlert" in missing.text
    assert client.get("/", follow_redirects=False).status_code == 303  # the rest of the page still wants a login


def test_the_on_call_card_lists_the_five_commands_and_whom_to_call_behind_the_login(
    tmp_path: Path, hashed: str
) -> None:
    client = make_client(tmp_path, hashed, lang="id")
    assert client.get("/oncall", follow_redirects=False).status_code == 303  # telephone numbers: log in first
    log_in(client, "vina")
    card = client.get("/oncall")
    assert card.status_code == 200 and "Kartu piket" in card.text
    assert card.text.count("<li><code>pantau ") == 5 and "SOP 15 langkah 2" in card.text
    assert "NOC 147 / noc@telko.example" in card.text and "TC-2024-0001 (Dinas Kesehatan)" in card.text
    assert "+62 811-0000-0001" in card.text  # dinkes's contact, from opds.yml
