"""A link's change of state told to whoever listens: the store's outage timeline (what triage quotes) and
the configured webhooks, delivered by a few threads of their own (a core outage of 60 links is 60 messages
queued, not 60 threads) so that delivery never holds a poll; past ``QUEUE`` waiting messages the new ones
are dropped and counted. A link waiting for its OPD's router (``pending``) is not news; its first ``up`` is."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from core.health import LinkState
from core.snapshot import LinkView
from playbooks.effectors.notify import Notifier
from store import links as link_store

log = logging.getLogger(__name__)


def changes(before: dict[str, LinkState], links: Sequence[LinkView], at: float) -> list[link_store.StateChange]:
    """The state changes of ``links`` since ``before`` (a link seen for the first time changed nothing)."""
    when = datetime.fromtimestamp(at, UTC)
    out = []
    for v in links:
        if v.name in before and before[v.name] is not v.state:
            if v.interface_missing:
                log.warning("%s: interface %s not found on %s", v.name, v.interface, v.device)
            reasons = ",".join(v.reasons)
            out.append(
                link_store.StateChange(v.name, v.opd, when, before[v.name].value, v.state.value, reasons, v.cause)
            )
    return out


#: threads delivering messages, and how many may wait for one
SENDERS, QUEUE = 4, 500


class Outbox:
    """The webhook messages on their way: a small pool of threads, a bounded number waiting."""

    def __init__(self, notifier: Notifier, errors: Counter[tuple[str, str]]) -> None:
        self.notifier = notifier
        self.errors = errors
        self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="notify")
        self._waiting = 0
        self._lock = threading.Lock()

    def send(self, event: str, payload: dict[str, Any]) -> None:
        with self._lock:
            if self._waiting >= QUEUE:
                self.errors[("notify", "dropped")] += 1
                return
            self._waiting += 1
        self._pool.submit(self._deliver, event, payload)

    def _deliver(self, event: str, payload: dict[str, Any]) -> None:
        try:
            self.notifier.send(event, payload)
        finally:
            with self._lock:
                self._waiting -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def notify(outbox: Outbox, changed: Sequence[link_store.StateChange]) -> None:
    """One webhook message per change, queued for the senders (a slow receiver holds nothing)."""
    if not outbox.notifier.enabled:
        return
    for c in changed:
        if LinkState.PENDING.value in (c.to_state, c.from_state) and c.to_state != LinkState.UP.value:
            continue
        payload = {
            "opd": c.opd,
            "link": c.link,
            "from": c.from_state,
            "to": c.to_state,
            "reasons": [r for r in c.reasons.split(",") if r],
            "cause": c.cause,
        }
        outbox.send("link.state", payload)
