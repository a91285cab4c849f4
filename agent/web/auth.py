"""Who may do what on the status page: roles and their actions, password hashes (bcrypt), session tokens,
and the brake on guessing passwords."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque

import bcrypt

from i18n import Msg

ROLES = ("viewer", "technician", "kasi", "kabid", "kadis")
#: actions and the roles allowed them; reading the board, links and tickets needs only a login
ACTIONS = {
    "triage": {"technician", "kasi", "kabid", "kadis"},
    "ticket": {"technician", "kasi", "kabid", "kadis"},
}
MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further: a longer password would be silently cut


def may(role: str, action: str) -> bool:
    return role in ACTIONS.get(action, set())


def check_new_password(password: str) -> str:
    """``password`` when it can be used; otherwise ValueError saying what is wrong."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(
            Msg("the password has {length} characters; use at least {least}", length=len(password), least=MIN_PASSWORD)
        )
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(
            Msg("the password is longer than {most} bytes, which bcrypt cannot use", most=MAX_PASSWORD_BYTES)
        )
    return password


def hash_password(password: str) -> str:
    return bcrypt.hashpw(check_new_password(password).encode(), bcrypt.gensalt(rounds=12)).decode()


def password_matches(password: str, hashed: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(encoded, hashed.encode())


#: checked against when a name is unknown, so an unknown name takes as long as a wrong password
DUMMY_HASH = bcrypt.hashpw(b"pantau-no-such-user", bcrypt.gensalt(rounds=12)).decode()


def new_token() -> tuple[str, str]:
    """A session token for the cookie and the digest the store keeps."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginBrake:
    """At most ``limit`` failed logins per client address and per user name in ``window`` seconds; then
    the next attempt waits for the oldest failure to age out (HTTP 429 with Retry-After).

    An attempt counts as a failure from the moment it is let through (:meth:`attempt`), before the password
    is checked, and is taken back when it succeeds: guesses sent at once cannot all pass while the first
    ones are still being checked. Keys are cut to ``KEY_CHARS`` and forgotten once their failures aged out,
    and at most ``max_keys`` are kept (the oldest dropped first), so guessing with ever new names cannot
    fill the memory."""

    KEY_CHARS = 128

    def __init__(self, limit: int = 5, window: float = 300.0, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _key(self, key: str) -> str:
        return key[: self.KEY_CHARS]

    def _wait(self, keys: tuple[str, ...], at: float) -> float:
        longest = 0.0
        for key in keys:
            q = self._failures.get(key)
            while q and q[0] <= at - self.window:
                q.popleft()
            if q is not None and not q:
                del self._failures[key]
            elif q is not None and len(q) >= self.limit:
                longest = max(longest, q[0] + self.window - at)
        return longest

    def wait(self, *keys: str, now: float | None = None) -> float:
        """Seconds until ``keys`` may try again (0: now)."""
        at = time.monotonic() if now is None else now
        with self._lock:
            return self._wait(tuple(self._key(k) for k in keys), at)

    def attempt(self, *keys: str, now: float | None = None) -> float:
        """Let an attempt through and count it as failed until :meth:`succeeded` (0), or the seconds to wait."""
        at = time.monotonic() if now is None else now
        with self._lock:
            cut = tuple(self._key(k) for k in keys)
            wait = self._wait(cut, at)
            if wait == 0:
                self._record(cut, at)
            return wait

    def failed(self, *keys: str, now: float | None = None) -> None:
        at = time.monotonic() if now is None else now
        with self._lock:
            self._record(tuple(self._key(k) for k in keys), at)

    def _record(self, keys: tuple[str, ...], at: float) -> None:
        for key in keys:
            self._failures.setdefault(key, deque()).append(at)
        while len(self._failures) > self.max_keys:  # dicts keep insertion order: the oldest key first
            del self._failures[next(iter(self._failures))]

    def succeeded(self, *keys: str, attempt: tuple[str, ...] = ()) -> None:
        """A login succeeded: forget the failures of ``keys`` (the user's name), and take back the attempt
        counted for each key of ``attempt`` (the client's address)."""
        with self._lock:
            for key in keys:
                self._failures.pop(self._key(key), None)
            for key in attempt:
                q = self._failures.get(self._key(key))
                if q:
                    q.pop()
                    if not q:
                        del self._failures[self._key(key)]
