"""Juniper Junos: the configuration as ``set`` commands (``show configuration | display set``: one line per
statement, so that each secret's line is found by its keyword), the routes of ``inet.0`` in the terse view
(a template of pantau's: ntc-templates has none for it), OSPF neighbours by ntc-templates.

Junos keeps secrets as ``$9$`` or ``$6$`` strings in double quotes. The SNMP community and the trap group
(whose name is the traps' community) are secrets by position.

Its SNMP agent names ports in ifDescr (``ge-0/0/1.0``); a view may hide ifXTable, and the collector
falls back to ifTable."""

from __future__ import annotations

from platforms import Command, DeviceKind, Platform, Row
from platforms._ios_like import SECRET as _S

#: ``* ? 10.30.1.0/24  O  10  2  >10.0.1.2``: ``*`` (active and last active) or ``+`` (active) is in use
_ACTIVE = ("*", "+")


def installed_routes(rows: list[Row]) -> list[str]:
    return sorted({r["destination"] for r in rows if r.get("active") in _ACTIVE})


PLATFORM = Platform(
    name="juniper_junos",
    title="Juniper Junos",
    driver="juniper_junos",
    kinds=(DeviceKind.ROUTER, DeviceKind.SWITCH, DeviceKind.FIREWALL),
    interface_form=(
        r"(?:[a-z]{2,4}-\d+/\d+/\d+|ae\d+|lo\d+|irb|vlan|fxp\d+|em\d+|me\d+|reth\d+|st\d+|pp\d+)(?:\.\d+)?",
        "ge-0/0/1.0",
    ),
    commands={
        "running_config": Command("show configuration | display set"),
        "routes": Command("show route table inet.0 terse", "juniper_junos_show_route_terse.textfsm"),
        "ospf_neighbors": Command("show ospf neighbor", "ntc:show ospf neighbor"),
    },
    volatile=(r"^## Last (?:commit|changed): ",),
    redaction=(
        rf"\bencrypted-password {_S}",
        rf"\b(?<!login )(?:[\w-]*-)?password {_S}",  # simple-password, pap-password (not "login password format")
        rf"\b(?:hello-)?authentication-key (?!\d+ type ){_S}",  # BGP, OSPF, IS-IS, VRRP, SNMPv3
        rf"\bauthentication-key \d+ type \S+ value {_S}",  # NTP
        rf"\bauthentication md5 \d+ key {_S}",  # OSPF
        rf"\bprivacy-key {_S}",
        rf"\b(?:[\w-]*-)?secret {_S}",  # RADIUS, TACACS+, key chains, chap-secret
        rf"\bpre-shared-key (?:ascii-text|hexadecimal) {_S}",
        rf"^set snmp community {_S}",
        rf"^set snmp trap-group {_S}",
    ),
    installed_routes=installed_routes,
)
