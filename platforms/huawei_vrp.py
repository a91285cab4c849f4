"""Huawei VRP: ``display`` commands; ntc-templates parse the verbose routing table."""

from __future__ import annotations

from platforms import Command, DeviceKind, Platform, Row
from platforms._ios_like import SECRET as _S


def installed_routes(rows: list[Row]) -> list[str]:
    """Routes whose state starts ``Active``."""
    return sorted({r["destination"] for r in rows if str(r.get("state", "")).startswith("Active")})


PLATFORM = Platform(
    name="huawei_vrp",
    title="Huawei VRP",
    driver="huawei_vrp",
    kinds=(DeviceKind.ROUTER, DeviceKind.SWITCH, DeviceKind.FIREWALL),
    interface_form=(r"[A-Za-z][A-Za-z-]*\d+(?:/\d+)*(?:\.\d+)?", "GigabitEthernet0/0/1 or Eth-Trunk1"),
    commands={
        "running_config": Command("display current-configuration"),
        "routes": Command("display ip routing-table verbose", "ntc:display ip routing-table verbose"),
    },
    volatile=(r"^!Software Version", r"^!Last configuration was", r"^!Time:"),
    redaction=(
        r"(?P<secret>%\^%#.*?%\^%#)",  # VRP's own cipher text, wherever it stands
        rf"\b(?:irreversible-cipher|cipher) {_S}",
        rf"\bpassword (?:simple|cipher|irreversible-cipher) {_S}",
        rf"^\s*snmp-agent community (?:read|write)(?: cipher)? {_S}",
        rf"^\s*snmp-agent usm-user v3 \S+ (?:authentication|privacy)-mode \S+ {_S}",
        rf"\bauthentication-mode (?:md5|hmac-md5|hmac-sha256|simple)(?: cipher| plain)?(?: \d+)? {_S}",
        rf"\bpre-shared-key(?: cipher| simple)? {_S}",
        rf"\bshared-key(?: cipher| simple)? {_S}",  # RADIUS and HWTACACS templates
    ),
    installed_routes=installed_routes,
)
