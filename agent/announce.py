"""A link's change of state told to whoever listens: the store's outage timeline (what triage quotes) and
the configured webhooks, each in a thread of its own so that delivery never holds a poll. A link waiting
for its OPD's router (``pending``) is not news; its first ``up`` is."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

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


def notify(notifier: Notifier, changed: Sequence[link_store.StateChange]) -> None:
    """One webhook message per change, each sent in a thread (a slow receiver holds nothing)."""
    if not notifier.enabled:
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
        threading.Thread(target=notifier.send, args=("link.state", payload), daemon=True).start()
