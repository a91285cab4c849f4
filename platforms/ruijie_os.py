"""Ruijie RGOS (switches and routers): Cisco-like commands and configuration; the routes by a template of
pantau's (ntc-templates has none for RGOS). RGOS writes interface names with a space (``GigabitEthernet
0/1``, ``TenGigabitEthernet 0/30``), in its CLI and in ifDescr alike; the web administrator
(``webmaster``) and wireless keys have lines of their own."""

from __future__ import annotations

from platforms import Command, DeviceKind, Platform, Row
from platforms._ios_like import ENCRYPTION_TYPE as _N
from platforms._ios_like import SECRET as _S
from platforms._ios_like import SECRETS


def installed_routes(rows: list[Row]) -> list[str]:
    return sorted({r["network"] for r in rows if r.get("network")})


PLATFORM = Platform(
    name="ruijie_os",
    title="Ruijie RGOS",
    driver="ruijie_os",
    kinds=(DeviceKind.SWITCH, DeviceKind.ROUTER),
    interface_form=(r"[A-Za-z][A-Za-z-]* ?\d+(?:/\d+)*(?:\.\d+)?", "TenGigabitEthernet 0/30"),
    commands={
        "running_config": Command("show running-config"),
        "routes": Command("show ip route", "ruijie_os_show_ip_route.textfsm"),
    },
    volatile=(r"^Building configuration", r"^Current configuration\s*:"),
    redaction=(
        *SECRETS,
        rf"^\s*snmp-server community{_N} {_S}",
        rf"^\s*snmp-server host \S+(?: informs| traps)?(?: version (?:1|2c|3 \S+))? {_S}",
        rf"^\s*snmp-server user \S+ \S+ v3 auth \S+ {_S}",
        rf"^\s*snmp-server user \S+ \S+ v3 auth \S+ \S+ priv \S+ {_S}",
        rf"^\s*(?:tacacs-server|radius-server)(?: host \S+)?.*? key{_N} {_S}",
        rf"^\s*webmaster level \d+ username \S+ password{_N} {_S}",
        rf"\bset-key (?:ascii|hex) {_S}",  # wireless WPA pre-shared key
        # the type only where "address" or "hostname" follows the value: a key may be one digit too
        rf"^\s*crypto isakmp key(?: [0-9](?= \S+ (?:address|hostname) ))? {_S}",
    ),
    installed_routes=installed_routes,
)
