"""Ubiquiti EdgeOS (EdgeRouter): the configuration as ``set`` commands (``show configuration commands``),
the routes by ntc-templates. EdgeOS quotes values with single quotes."""

from __future__ import annotations

from platforms import Command, DeviceKind, Platform, Row

#: a value as EdgeOS prints it: in single quotes (no escapes inside), in double quotes, or one word
_S = r"(?P<secret>'[^']*'(?=\s|$)|\"(?:[^\"\\]|\\.)*\"(?=\s|$)|\S+)"


def installed_routes(rows: list[Row]) -> list[str]:
    return sorted({f"{r['ip_address']}/{r['prefix_length']}" for r in rows if r.get("ip_address")})


PLATFORM = Platform(
    name="ubiquiti_edgerouter",
    title="Ubiquiti EdgeRouter (EdgeOS)",
    driver="ubiquiti_edgerouter",
    kinds=(DeviceKind.ROUTER,),
    interface_form=(r"[^\s/:]{1,15}", "eth1 or eth1.20"),
    commands={
        "running_config": Command("show configuration commands"),
        "routes": Command("show ip route", "ntc:show ip route"),
    },
    redaction=(
        rf"\b(?:[\w-]*-)?password {_S}",  # encrypted-, plaintext-: logins, PPPoE, BGP, L2TP users, VRRP
        rf"\bpre-shared-secret {_S}",
        rf"\bmd5-key {_S}",
        rf"\bprivate-key {_S}",  # WireGuard
        rf"\bradius-server \S+ key {_S}",
        rf"^set service snmp community {_S}",
    ),
    installed_routes=installed_routes,
)
