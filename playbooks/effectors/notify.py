"""Notifications: a JSON POST to each configured webhook, and Telegram through its Bot API.

Sent on ticket open, escalation and SLA breach, and on link state changes. A notification that cannot be
delivered is logged and never fails the command or the agent. The Telegram token is read from its
secret reference when sending and never logged (the URL that contains it is not printed).
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory.secrets import resolve_secret

log = logging.getLogger(__name__)


def _post(url: str, payload: dict[str, Any], timeout: float) -> None:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured http(s) URLs)
        response.read()


def _reason(exc: Exception) -> str:
    """Why a POST failed, without anything of the URL (urllib repeats a bad URL, token and all, in its
    errors): the HTTP status, the socket's error, or the kind of failure."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, OSError):
        return exc.reason.strerror or type(exc.reason).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def where(url: str) -> str:
    """A webhook URL as logged: scheme, host and port only (chat services put their tokens in the path or
    the query)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # not even a URL: nothing of it is shown
        return "(an invalid URL)"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # no user:password@ either


@dataclass(frozen=True)
class Telegram:
    """A Telegram chat through the Bot API; ``token`` is a secret reference (``env:NAME`` or ``file:PATH``)."""

    token: str
    chat_id: str
    api_url: str = "https://api.telegram.org"


class Notifier:
    """Delivers events to the configured webhooks and Telegram chat; built once by the composition root."""

    def __init__(
        self,
        webhooks: Sequence[str] = (),
        telegram: Telegram | None = None,
        timeout: float = 3.0,
        inventory_dir: Path | None = None,
    ) -> None:
        self.webhooks = tuple(webhooks)
        self.telegram = telegram
        self.timeout = timeout
        self.inventory_dir = inventory_dir  # where a relative file: reference of the token is found

    @property
    def enabled(self) -> bool:
        return bool(self.webhooks or self.telegram)

    def send(self, event: str, payload: dict[str, Any]) -> int:
        """Deliver ``event`` to every configured target; how many took it."""
        message = {"event": event, **payload}
        delivered = 0
        for url in self.webhooks:
            try:
                _post(url, message, self.timeout)
                delivered += 1
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
                # a refusal, a timeout, an answer that is not HTTP (a malformed status line), a URL that is not
                # one: the event is not delivered and nothing fails; the reason is told without the URL's path
                log.warning("webhook %s did not take %s: %s", where(url), event, _reason(exc))
        if self.telegram is not None:
            t = self.telegram
            try:
                token = resolve_secret(t.token, self.inventory_dir or Path("."))
                text = f"[pantau] {event}: " + "; ".join(f"{k}={v}" for k, v in payload.items() if v not in (None, ""))
                _post(
                    f"{t.api_url.rstrip('/')}/bot{token}/sendMessage",
                    {"chat_id": t.chat_id, "text": text[:4000]},
                    self.timeout,
                )
                delivered += 1
            except Exception as exc:  # never leak the token: report the kind of failure only
                log.warning("telegram did not take %s: %s", event, type(exc).__name__)
        return delivered
