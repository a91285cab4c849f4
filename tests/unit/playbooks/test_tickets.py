"""SOP 15 tickets with a fixed clock: each step against its allowance, exact at the boundary."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy.engine import Engine

from agent.wiring import build, configuration
from core.errors import RuleError
from core.period import month_bounds
from core.sop import overdue
from store.engine import open_store
from store.tickets import Tickets

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_store(f"sqlite:///{tmp_path / 'pantau.db'}")


def test_assignment_at_exactly_ten_minutes_is_within_and_a_microsecond_more_is_a_breach(store: Engine) -> None:
    clock = Clock()
    tickets = Tickets(store, clock=clock)
    on_time = tickets.open("dinkes", "phone", "Bu Sari", "internet mati", None, "andi")
    late = tickets.open("dinkes", "phone", "Bu Sari", "internet mati", None, "andi")
    clock.advance(minutes=10)
    assert tickets.record(on_time, "assign", "kasi", "Andi", assignee="Andi").breached is False
    clock.advance(microseconds=1)
    timing = tickets.record(late, "assign", "kasi", "Andi", assignee="Andi")
    assert timing.breached is True and timing.allowance_seconds == 600


def test_direct_repair_is_timed_from_the_assignment_and_provider_repair_from_the_escalation(store: Engine) -> None:
    clock = Clock()
    tickets = Tickets(store, clock=clock)
    direct = tickets.open("disdik", "whatsapp", "Pak Budi", "lambat", None, "andi")
    clock.advance(minutes=5)
    tickets.record(direct, "assign", "kasi", "Andi")
    clock.advance(minutes=30)
    tickets.record(direct, "progress", "andi", "kabel diganti")  # progress does not restart the repair clock
    clock.advance(minutes=30)
    resolved = tickets.record(direct, "resolve", "andi", "normal")
    assert (resolved.seconds, resolved.allowance_seconds, resolved.breached) == (3600.0, 3600.0, False)

    provider = tickets.open("dishub", "lapor", "Warga", "putus", "LAPOR-123", "andi")
    clock.advance(minutes=1)
    tickets.record(provider, "assign", "kasi", "Andi")
    clock.advance(minutes=61)
    escalated = tickets.record(provider, "escalate", "andi", "ke penyedia")
    assert escalated.breached is True  # step 4 allows 60 minutes
    clock.advance(minutes=119)
    done = tickets.record(provider, "resolve", "andi", "provider selesai")
    assert (done.allowance_seconds, done.breached) == (7200.0, False)
    shown = tickets.show(provider)
    assert [e.step for e in shown.events] == ["open", "assign", "escalate", "resolve"]
    assert [e.breached for e in shown.events] == [False, False, True, False]


def test_steps_out_of_order_and_bad_channels_are_refused(store: Engine) -> None:
    tickets = Tickets(store, clock=Clock())
    with pytest.raises(RuleError, match="choose one of phone, whatsapp, email, walk-in, lapor"):
        tickets.open("dinkes", "fax", "x", "y", None, "andi")
    assert tickets.open("dinkes", "walk-in", "Bu Sari", "datang langsung: internet mati", None, "andi") == 1
    with pytest.raises(RuleError, match="needs --ref"):
        tickets.open("dinkes", "lapor", "x", "y", None, "andi")
    ticket = tickets.open("dinkes", "phone", "x", "y", None, "andi")
    with pytest.raises(RuleError, match="ticket 2 is open: next may come assign, not escalate"):
        tickets.record(ticket, "escalate", "andi", "")


def test_an_unassigned_ticket_becomes_overdue_after_ten_minutes(store: Engine) -> None:
    clock = Clock()
    tickets = Tickets(store, clock=clock)
    ticket = tickets.open("dinkes", "phone", "x", "y", None, "andi")
    clock.advance(minutes=10)
    assert tickets.show(ticket).overdue is None
    clock.advance(seconds=1)
    assert tickets.show(ticket).to_json()["overdue"] == {"step": "assign", "seconds": 601.0, "allowance_seconds": 600.0}
    assert overdue(tickets.sops.outage, "resolved", T0, T0 + timedelta(days=9), False) is None


class Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((self.path, json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_and_telegram_targets_receive_the_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        monkeypatch.setenv("TEST_BOT_TOKEN", "123:secret")
        cfg = configuration(
            None,
            inventory=tmp_path,
            notify={
                "webhooks": [f"{base}/hook", "http://127.0.0.1:9/nobody-listens"],
                "telegram": {"token": "env:TEST_BOT_TOKEN", "chat_id": "-100", "api_url": base},
            },
        )
        Receiver.got.clear()
        delivered = build(cfg).notifier.send("ticket.open", {"ticket": 7, "opd": "dinkes"})
    finally:
        server.shutdown()
        server.server_close()
    assert delivered == 2  # the dead webhook is logged, not raised
    assert Receiver.got[0] == ("/hook", {"event": "ticket.open", "ticket": 7, "opd": "dinkes"})
    path, message = Receiver.got[1]
    assert path == "/bot123:secret/sendMessage"
    assert message == {"chat_id": "-100", "text": "[pantau] ticket.open: ticket=7; opd=dinkes"}


def test_two_people_resolving_one_ticket_at_once_record_one_resolve(store: Engine) -> None:
    import concurrent.futures

    opened = Tickets(store)
    ids = [opened.open("dinkes", "phone", "x", "putus", None, "andi") for _ in range(10)]
    for ticket in ids:
        opened.record(ticket, "assign", "kasi", "", assignee="Andi")

    def resolve(ticket: int) -> str:
        try:
            Tickets(store).record(ticket, "resolve", "andi", "normal")
            return "resolved"
        except RuleError as exc:
            return "changed" if "changed by someone else" in str(exc) else f"refused: {exc}"

    with concurrent.futures.ThreadPoolExecutor(8) as pool:  # each ticket resolved by two at the same moment
        outcomes = list(pool.map(resolve, [t for t in ids for _ in range(2)]))
    assert outcomes.count("resolved") == 10, outcomes
    for ticket in ids:
        assert [e.step for e in Tickets(store).show(ticket).events].count("resolve") == 1


def test_month_report_counts_per_opd_verdict_and_step(store: Engine) -> None:
    from playbooks.tickets import month_report

    clock = Clock()
    tickets = Tickets(store, clock=clock)
    a = tickets.open("dinkes", "phone", "x", "putus", None, "andi")
    b = tickets.open("dinkes", "whatsapp", "y", "lambat", None, "andi")
    clock.advance(minutes=12)
    tickets.record(a, "assign", "kasi", "", assignee="Andi")
    tickets.record(b, "assign", "kasi", "", assignee="Andi")
    tickets.record(a, "triage", "andi", "circuit-down", verdict="circuit-down")
    clock.advance(minutes=30)
    tickets.record(a, "resolve", "andi", "normal")
    report = month_report(Tickets(store), "2026-11", "Asia/Jakarta")
    assert report["per_opd"] == {"dinkes": {"total": 2, "resolved": 1}}
    assert report["per_verdict"] == {"circuit-down": 1, "belum ditriage": 1}
    assign = next(s for s in report["steps"] if s["step"] == "assign")
    assert (assign["count"], assign["avg_minutes"], assign["breaches"]) == (2, 12.0, 2)
    assert (assign["sop"], assign["allowance"]) == ("SOP 15 langkah 2", "10")  # minutes, as the report prints
    assert month_report(Tickets(store), "2026-10", "Asia/Jakarta")["per_opd"] == {}
    with pytest.raises(RuleError, match="YYYY-MM"):
        month_report(Tickets(store), "November", "Asia/Jakarta")


def test_months_are_cut_in_the_agencys_time_zone_not_in_utc(store: Engine) -> None:
    from playbooks.tickets import month_report

    opened = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 1 December 00:30 WIB
    tickets = Tickets(store, clock=lambda: opened)
    tickets.open("dinkes", "phone", "x", "putus tengah malam", None, "andi")
    assert month_report(tickets, "2026-12", "Asia/Jakarta")["per_opd"] == {"dinkes": {"total": 1, "resolved": 0}}
    assert month_report(tickets, "2026-11", "Asia/Jakarta")["per_opd"] == {}
    assert month_report(tickets, "2026-11", "UTC")["per_opd"] == {"dinkes": {"total": 1, "resolved": 0}}
    december = month_bounds("2026-12", "Asia/Jakarta")
    assert [t.opd for t in tickets.list(december)] == ["dinkes"]


def test_a_failed_webhook_is_logged_by_scheme_host_and_port_never_its_token(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on: the POST is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://user:pw@127.0.0.1:{port}/services/T000/B000/tok3nSECRET?key=qSECRET"
    config = configuration(None, environ={}, notify={"webhooks": [url], "timeout": 1.0})
    assert build(config).notifier.send("link.state", {"opd": "dinkes"}) == 0
    assert f"webhook http://127.0.0.1:{port} did not take link.state" in caplog.text
    assert "SECRET" not in caplog.text and "pw" not in caplog.text


def test_a_webhook_answering_no_http_or_on_no_port_is_logged_and_never_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    # a real server on loopback that answers a malformed status line (http.client's BadStatusLine)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_garbage() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"NOT-HTTP garbage\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    try:
        hooks = [f"http://127.0.0.1:{port}/hook/tok3nSECRET", "http://127.0.0.1:99999/hook/tok3nSECRET"]
        config = configuration(None, environ={}, notify={"webhooks": hooks, "timeout": 2.0})
        assert build(config).notifier.send("ticket.open", {"ticket": 1}) == 0  # neither took it; nothing raised
    finally:
        thread.join(5)
        listener.close()
    assert f"webhook http://127.0.0.1:{port} did not take ticket.open: BadStatusLine" in caplog.text
    assert "webhook http://127.0.0.1:99999 did not take ticket.open: Connection refused" in caplog.text
    assert "SECRET" not in caplog.text


def test_the_sla_month_gives_causes_per_opd_the_breaches_and_the_time_to_restore(store: Engine, tmp_path: Path) -> None:
    import subprocess

    from inventory.loader import load_inventory
    from playbooks.tickets import month_report, write_sla_report

    clock = Clock()
    tickets = Tickets(store, clock=clock)
    restore_minutes = [20, 40, 90, 150]  # known in advance: median (nearest rank) 40, p90 150
    for n, minutes in enumerate(restore_minutes):
        opened = T0 + timedelta(hours=n)
        clock.now = opened
        ticket = tickets.open("dinkes" if n < 3 else "dishub", "phone", "x", "putus", None, "andi")
        clock.now = opened + timedelta(minutes=5 if n else 15)  # the first assignment is late (15 > 10 min)
        tickets.record(ticket, "assign", "kasi", "", assignee="Andi")
        tickets.record(ticket, "triage", "andi", "", verdict="circuit-down" if n % 2 else "cpe-down")
        clock.now = opened + timedelta(minutes=minutes)
        tickets.record(ticket, "resolve", "andi", "normal")
    report = month_report(tickets, "2026-11", "Asia/Jakarta")
    assert report["per_opd_cause"] == {"dinkes": {"cpe-down": 2, "circuit-down": 1}, "dishub": {"circuit-down": 1}}
    assert (report["restore"]["median_minutes"], report["restore"]["p90_minutes"]) == (40.0, 150.0)
    assert [(b["ticket"], b["step"]) for b in report["breaches"] if b["step"] == "assign"] == [(1, "assign")]
    paths = write_sla_report(
        report, load_inventory(Path(__file__).resolve().parents[3] / "inventory" / "example"), tmp_path, "id"
    )
    markdown = paths[0].read_text()
    assert "4 tiket selesai; median waktu pemulihan 40 menit, persentil ke-90 2,5 jam." in markdown
    assert "| Dinas Kesehatan | 3 | 3 | 0 | cpe-down: 2, circuit-down: 1 |" in markdown
    assert 'alt="Tiket per OPD menurut penyebab" src="data:image/svg+xml;base64,' in paths[1].read_text()
    text = subprocess.run(["pdftotext", str(paths[2]), "-"], capture_output=True, text=True, check=True).stdout
    assert "LAPORAN LAYANAN PENANGANAN GANGGUAN JARINGAN" in text and "November 2026" in text
