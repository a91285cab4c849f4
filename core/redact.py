"""Secrets out of device configurations before they are stored, diffed or rendered (as Oxidized's
``remove_secret``): per platform, the patterns of the lines that carry one, as data.

Each secret is replaced by ``<secret-hidden:fingerprint>``: the first 8 hex digits of an HMAC-SHA256 of the
value under this installation's key (kept in the state directory, never in a report). Without the key a
fingerprint of a short password could be guessed offline; with it, it only tells that a secret changed
between two backups, and a diff shows that line as "secret changed" without the value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

# every redacted value starts so (checks count the secrets a diff changed); no space: one word, as the value was
MARKER = "<secret-hidden:"

_S = r"(?P<secret>\"[^\"]*\"(?=\s|$)|\S+)"  # a value: a quoted string or one word
_N = r"(?: \d+)?"  # Cisco's encryption type before the value (0, 5, 7, 8, 9)

_COMMON_IOS_LIKE = (
    rf"^\s*enable (?:secret|password)(?: level \d+)?{_N} {_S}",
    rf"^\s*(?:password|secret){_N} {_S}",  # line vty, FRR's global "password"
    rf"^\s*username \S+ .*?(?:secret|password){_N} {_S}",
    rf"\bip ospf authentication-key{_N} {_S}",
    rf"\bip ospf message-digest-key \d+ md5{_N} {_S}",
    rf"\bneighbor \S+ password{_N} {_S}",  # BGP
    rf"\bkey-string{_N} {_S}",  # key chains
    rf"\b(?:area|domain)-password(?: clear| md5)? {_S}",  # IS-IS
    rf"\bisis password(?: clear| md5)? {_S}",
    rf"\bip rip authentication string {_S}",
)

#: platform -> patterns; each has a group ``secret``, the part replaced
RULES: dict[str, tuple[str, ...]] = {
    "frr": (*_COMMON_IOS_LIKE, rf"^\s*agentx? community {_S}"),
    "cisco_ios": (
        *_COMMON_IOS_LIKE,
        rf"^\s*snmp-server community {_S}",
        rf"^\s*snmp-server host \S+(?: vrf \S+)?(?: informs| traps)?(?: version (?:1|2c|3 \S+))? {_S}",
        rf"^\s*snmp-server user \S+ \S+(?: remote \S+)? v3 auth \S+ {_S}",
        rf"^\s*snmp-server user \S+ \S+(?: remote \S+)? v3 auth \S+ \S+ priv(?: \S+)*? (?:aes \d+|des|3des) {_S}",
        rf"^\s*(?:tacacs-server|radius-server)(?: host \S+)?.*? key{_N} {_S}",
        rf"^\s+key{_N} (?!\d+\s*$){_S}",  # in "tacacs server" / "radius server" blocks (not a key chain's "key 1")
        rf"^\s*crypto isakmp key{_N} {_S}",
        rf"\bpre-shared-key(?: address \S+)?(?: key)?{_N} {_S}",
        rf"\bwpa-psk ascii{_N} {_S}",
        rf"\bntp authentication-key \d+ md5 {_S}",
    ),
    "huawei_vrp": (
        r"(?P<secret>%\^%#.*?%\^%#)",  # VRP's own cipher text, wherever it stands
        rf"\b(?:irreversible-cipher|cipher) {_S}",
        rf"\bpassword (?:simple|cipher|irreversible-cipher) {_S}",
        rf"^\s*snmp-agent community (?:read|write)(?: cipher)? {_S}",
        rf"^\s*snmp-agent usm-user v3 \S+ (?:authentication|privacy)-mode \S+ {_S}",
        rf"\bauthentication-mode (?:md5|hmac-md5|hmac-sha256|simple)(?: cipher| plain)?(?: \d+)? {_S}",
        rf"\bpre-shared-key(?: cipher| simple)? {_S}",
    ),
    "mikrotik_routeros": (
        # /export: key=value pairs; every *password=, secret=, *-key= and the wireless passphrases
        rf"\b(?:[\w-]*password|secret|[\w-]*-key|passphrase|pre-shared-key|wpa2?-pre-shared-key)={_S}",
        rf"^/snmp community (?:add|set) .*?\bname={_S}",  # the community's name is its secret
        rf"^/snmp community (?:add|set) .*?\b(?:authentication|encryption)-password={_S}",
    ),
}
_COMPILED = {platform: tuple(re.compile(p, re.MULTILINE) for p in patterns) for platform, patterns in RULES.items()}


def fingerprint(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:8]


def redact(platform: str, text: str, key: bytes) -> str:
    """``text`` with every secret of ``platform``'s rules replaced by ``<secret-hidden:fingerprint>``.
    A platform without rules gets the common IOS-like ones (most CLIs borrow them)."""
    patterns = _COMPILED.get(platform) or _COMPILED["frr"]

    def hide(match: re.Match[str]) -> str:
        start, end = match.span("secret")
        whole = match.group(0)
        at = start - match.start()
        return f"{whole[:at]}{MARKER}{fingerprint(match.group('secret'), key)}>{whole[at + end - start :]}"

    for pattern in patterns:
        text = pattern.sub(lambda m: m.group(0) if m.group("secret").startswith(MARKER) else hide(m), text)
    return text


def secrets_changed(diff_lines: Sequence[str]) -> int:
    """How many secrets a unified diff sets, changes or removes: its lines that carry a hidden secret and
    differ between the two sides, counted once per setting (the text before the secret)."""
    removed = {line[1:] for line in diff_lines if line.startswith("-") and not line.startswith("---")}
    added = {line[1:] for line in diff_lines if line.startswith("+") and not line.startswith("+++")}
    settings = {line[: line.index(MARKER)] for line in removed ^ added if MARKER in line}
    return len(settings)
