"""MikroTik RouterOS: ``/export terse`` writes one ``key=value`` command a line; ntc-templates parse the
print commands."""

from __future__ import annotations

from platforms import Command, Platform, Row
from platforms._ios_like import SECRET as _S


def installed_routes(rows: list[Row]) -> list[str]:
    """Routes flagged A (active)."""
    return sorted(
        {f"{r['destination_address']}/{r['destination_address_subnet']}" for r in rows if "A" in r.get("flags", "")}
    )


PLATFORM = Platform(
    name="mikrotik_routeros",
    title="MikroTik RouterOS",
    driver="mikrotik_routeros",
    commands={
        "running_config": Command("/export terse"),
        "routes": Command("/ip route print terse without-paging", "ntc:ip route print terse without-paging"),
        "ospf_neighbors": Command("/routing ospf neighbor print", "ntc:routing ospf neighbor print"),
    },
    volatile=(r"^# \w{3}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} by RouterOS", r"^# [a-z]{3}/\d{2}/\d{4}", r"^# software id"),
    redaction=(
        # /export: key=value pairs; every *password=, secret=, *-key= and the wireless passphrases
        rf"\b(?:[\w-]*password|secret|[\w-]*-key|passphrase|pre-shared-key|wpa2?-pre-shared-key)={_S}",
        rf"^/snmp community (?:add|set) .*?\bname={_S}",  # the community's name is its secret
        rf"^/snmp community (?:add|set) .*?\b(?:authentication|encryption)-password={_S}",
    ),
    installed_routes=installed_routes,
)
