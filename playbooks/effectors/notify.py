"""Notifications: a JSON POST to each configured webhook, and Telegram through its Bot API.

Sent on ticket open, escalation and SLA breach, and on link state changes. A notification that cannot be
delivered is logged and never fails the command or the agent. The Telegram token is read from its
secret reference when sending and never logged (the URL that contains it is not printed).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from inventory.secrets import resolve_secret

log = logging.getLogger(__name__)


def _post(url: str, payload: dict[str, Any], timeout: float) -> None:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured http(s) URLs)
        response.read()


def where(url: str) -> str:
    """A webhook URL as logged: scheme, host and port only (chat services put their tokens in the path or
    the query)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # no user:password@ either


def send(config: Any, event: str, payload: dict[str, Any], inventory_dir: Path | None = None) -> int:
    """Deliver ``event`` to every configured target; how many took it."""
    n = config.notify
    message = {"event": event, **payload}
    delivered = 0
    for url in n.webhooks:
        try:
            _post(url, message, n.timeout)
            delivered += 1
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("webhook %s did not take %s: %s", where(url), event, exc)
    if n.telegram is not None:
        t = n.telegram
        try:
            token = resolve_secret(t.token, inventory_dir or Path("."))
            text = f"[pantau] {event}: " + "; ".join(f"{k}={v}" for k, v in payload.items() if v not in (None, ""))
            _post(
                f"{t.api_url.rstrip('/')}/bot{token}/sendMessage",
                {"chat_id": t.chat_id, "text": text[:4000]},
                n.timeout,
            )
            delivered += 1
        except Exception as exc:  # never leak the token: report the kind of failure only
            log.warning("telegram did not take %s: %s", event, type(exc).__name__)
    return delivered
