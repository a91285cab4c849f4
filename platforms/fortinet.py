"""Fortinet FortiOS (FortiGate): ``show`` for the configuration, ``get router info routing-table all`` for the
routes (ntc-templates). FortiOS prints its secrets as ``set <keyword> ENC <cipher text>`` in the ``edit``
entries of a ``config`` block; the SNMP community is the one secret without a keyword of its own (its
``set name`` inside ``config system snmp community``).

Its SNMP agent names ports in ifName (``port1``, ``wan1``) and leaves ifDescr empty; the registry's
default search (ifName first) finds them."""

from __future__ import annotations

from platforms import Command, DeviceKind, Platform, Row
from platforms._ios_like import SECRET as _S

#: the keywords whose value is a secret (the ``config`` blocks FortiOS's CLI reference lists them in:
#: system admin, user local/radius/tacacs+/ldap, vpn ipsec phase1-interface, wireless-controller vap,
#: system ha, router bgp/ospf/rip, system snmp user, vpn certificate local, system fortiguard)
_KEYWORDS = (
    r"[\w-]*(?:password|passwd|secret|passphrase)(?:-l[12])?",  # password, passwd, psksecret, ppk-secret, ...
    r"key", r"key-string", r"authentication-key", r"md5-key", r"private-key", r"auth-pwd", r"priv-pwd", r"pin",
)  # fmt: skip


def installed_routes(rows: list[Row]) -> list[str]:
    """Every route the table lists (``routing-table all`` shows the active ones; the others are in
    ``routing-table database``); a route with two gateways is one prefix."""
    return sorted({r["destination"] for r in rows if r.get("destination")})


PLATFORM = Platform(
    name="fortinet",
    title="Fortinet FortiGate (FortiOS)",
    driver="fortinet",
    kinds=(DeviceKind.FIREWALL, DeviceKind.ROUTER),
    commands={
        "running_config": Command("show"),
        "routes": Command("get router info routing-table all", "ntc:get router info routing-table all"),
    },
    volatile=(r"^#conf_file_ver=",),  # counts every save, with no change
    redaction=(
        rf"^\s*set (?:{'|'.join(_KEYWORDS)}) (?:ENC )?{_S}",
        # a community is its name: the "set name" of each entry of the block, one per pass (see core.redact)
        rf"^config system snmp community\n(?:(?!end$).*\n)*?\s+set name (?!<secret-hidden:){_S}",
    ),
    installed_routes=installed_routes,
)
