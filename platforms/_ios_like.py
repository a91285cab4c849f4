"""What the platforms that write their configuration as Cisco IOS does share (FRR's vtysh, IOS, many
others): the form of a secret's value, and the lines that carry one."""

from __future__ import annotations

#: a secret's value: a quoted string (its quotes escaped with a backslash inside, as RouterOS writes them) or one word
SECRET = r"(?P<secret>\"(?:[^\"\\]|\\.)*\"(?=\s|$)|\S+)"  # noqa: S105 (a pattern, not a password)
ENCRYPTION_TYPE = r"(?: [0-9])?"  # Cisco's encryption type before the value (0, 5, 6, 7, 8, 9): one digit

_S, _N = SECRET, ENCRYPTION_TYPE
SECRETS: tuple[str, ...] = (
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
    rf"\bppp (?:chap|pap) password{_N} {_S}",
    rf"\bppp pap sent-username \S+ password{_N} {_S}",
    rf"\b(?:standby|vrrp)(?: \d+)? authentication(?: text)? (?!md5\b){_S}",  # HSRP, VRRP in clear
    rf"\bip (?:http client|ftp) password{_N} {_S}",
)
