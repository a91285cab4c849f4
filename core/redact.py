"""Secrets out of device configurations before they are stored, diffed or rendered (as Oxidized's
``remove_secret``): the patterns of the lines that carry one are each platform's data (``platforms/``).

Each secret is replaced by ``<secret-hidden:fingerprint>``: the first 8 hex digits of an HMAC-SHA256 of the
value under this installation's key (kept in the state directory, never in a report). Without the key a
fingerprint of a short password could be guessed offline; with it, it only tells that a secret changed
between two backups, and a diff shows that line as "secret changed" without the value.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Sequence

# every redacted value starts so (checks count the secrets a diff changed); no space: one word, as the value was
MARKER = "<secret-hidden:"
_HIDDEN = re.compile(re.escape(MARKER) + r"[0-9a-f]{8}>")  # a value hidden already (a second pass, a stored copy)
MAX_PASSES = 10_000  # of one rule over one text: more than any block has entries


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.MULTILINE) for p in patterns)


def fingerprint(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:8]


def redact(rules: tuple[str, ...], text: str, key: bytes) -> str:
    """``text`` with the secret of every line ``rules`` match replaced by ``<secret-hidden:fingerprint>``.

    The rules are a platform's (:attr:`platforms.Platform.redaction`), each a regex with a group ``secret``;
    a platform whose rules are unknown has none to pass, and its configuration is not kept at all."""

    def hide(match: re.Match[str]) -> str:
        start, end = match.span("secret")
        whole = match.group(0)
        at = start - match.start()
        return f"{whole[:at]}{MARKER}{fingerprint(match.group('secret'), key)}>{whole[at + end - start :]}"

    for pattern in _compiled(rules):
        # again until nothing changes: a rule scoped to a block (FortiOS's SNMP communities) takes one secret
        # of the block per pass, skipping those already hidden; any other rule is done after its first pass
        for _ in range(MAX_PASSES):
            hidden = pattern.sub(lambda m: m.group(0) if _HIDDEN.fullmatch(m.group("secret")) else hide(m), text)
            if hidden == text:
                break
            text = hidden
    return text


def secrets_changed(diff_lines: Sequence[str]) -> int:
    """How many secrets a unified diff sets, changes or removes: its lines that carry a hidden secret and
    differ between the two sides, counted once per setting (the text before the secret)."""
    removed = {line[1:] for line in diff_lines if line.startswith("-") and not line.startswith("---")}
    added = {line[1:] for line in diff_lines if line.startswith("+") and not line.startswith("+++")}
    settings = {line[: line.index(MARKER)] for line in removed ^ added if MARKER in line}
    return len(settings)
