"""Link state changes told to a webhook that answers slowly: a few sender threads, the rest queued, a
bounded queue (the overflow counted), and every queued message delivered."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent import announce
from playbooks.effectors.notify import Notifier
from store.links import StateChange

GATE = threading.Event()
RECEIVED: list[bytes] = []


class SlowReceiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        GATE.wait(10)
        RECEIVED.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        GATE.set()
        server.shutdown()
        server.server_close()


def change(i: int) -> StateChange:
    return StateChange(f"opd{i}-wan", f"opd{i}", datetime.now(UTC), "up", "down", "oper-down", "datacenter-core")


def test_a_core_outage_of_many_links_uses_a_few_threads_and_a_bounded_queue(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(announce, "QUEUE", 20)
    errors: Counter[tuple[str, str]] = Counter()
    outbox = announce.Outbox(Notifier([url], timeout=15), errors)
    announce.notify(outbox, [change(i) for i in range(60)])
    senders = [t for t in threading.enumerate() if t.name.startswith("notify")]
    assert 1 <= len(senders) <= announce.SENDERS  # not one thread per link
    assert errors[("notify", "dropped")] == 40  # 20 queued, the rest counted
    GATE.set()
    deadline = time.monotonic() + 20
    while len(RECEIVED) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(RECEIVED) == 20
    outbox.close()
