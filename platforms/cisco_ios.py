"""Cisco IOS and IOS-XE: ntc-templates parse its output."""

from __future__ import annotations

from platforms import Command, Platform, Row
from platforms._ios_like import ENCRYPTION_TYPE as _N
from platforms._ios_like import SECRET as _S
from platforms._ios_like import SECRETS


def installed_routes(rows: list[Row]) -> list[str]:
    return sorted({f"{r['network']}/{r['prefix_length']}" for r in rows if r.get("network")})


PLATFORM = Platform(
    name="cisco_ios",
    title="Cisco IOS / IOS-XE",
    driver="cisco_ios",
    commands={
        "running_config": Command("show running-config"),
        "routes": Command("show ip route", "ntc:show ip route"),
        "ospf_neighbors": Command("show ip ospf neighbor", "ntc:show ip ospf neighbor"),
    },
    volatile=(
        r"^Building configuration",
        r"^Current configuration :",
        r"^! Last configuration change",
        r"^! NVRAM config",
    ),
    redaction=(
        *SECRETS,
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
    installed_routes=installed_routes,
)
