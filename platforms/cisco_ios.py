"""Cisco IOS and IOS-XE: ntc-templates parse its output. Each OPD's traffic is capped by a policy map of
its own, attached outbound to the OPD's sub-interface, whose class-default shapes to the ceiling
(``shape average BPS``); IOS has no guarantee in that form."""

from __future__ import annotations

import functools
import re

from platforms import Command, ConfigRevert, DeviceKind, Limit, Platform, Provisioning, Revert, Row, Shaper
from platforms._config import missing_indented, present_indented
from platforms._ios_like import ENCRYPTION_TYPE as _N
from platforms._ios_like import SECRET as _S
from platforms._ios_like import SECRETS

_SHAPE = re.compile(r"^\s+shape average (\d+)\b")


def policy_limits(text: str) -> dict[str, Limit]:
    """The policy maps of ``show running-config | section policy-map`` whose class-default shapes to an
    average rate, by name."""
    limits: dict[str, Limit] = {}
    policy, in_default = None, False
    for line in text.splitlines():
        if line.startswith("policy-map "):
            policy, in_default = line.split()[1], False
        elif policy and re.match(r"^ class ", line):
            in_default = line.split()[1] == "class-default"
        elif policy and in_default and (match := _SHAPE.match(line)):
            limits[policy] = Limit(policy, int(match.group(1)))
        elif line and not line.startswith(" "):
            policy = None
    return limits


def set_policy(limit: Limit) -> tuple[str, ...]:
    """The lines that set one policy map's ceiling (its guarantee, if any, is not IOS's to keep here)."""
    return (f"policy-map {limit.queue}", " class class-default", f"  shape average {limit.ceiling_bps}")


def arm_revert(token: str, seconds: int, restore: tuple[Limit, ...]) -> tuple[str, ...]:
    """Enter configuration mode with IOS's own revert timer (Configuration Replace and Configuration
    Rollback: ``configure terminal revert timer MINUTES``, which needs an ``archive`` path): unless
    ``configure confirm`` comes in time, the device rolls its whole running configuration back to the
    archive taken here. The limits to restore are that archive's, so they are not repeated."""
    return (f"configure terminal revert timer {max(1, seconds // 60)}",)


def confirm_revert(token: str) -> tuple[str, ...]:
    return ("configure confirm",)


_ERROR = re.compile(r"^\s*% ?(?:Invalid|Incomplete|Ambiguous|Unknown|Error|Archive)", re.MULTILINE)


def failed(answer: str) -> str | None:
    """IOS marks a line it refused with ``%`` and the reason; informational ``%`` lines (a rollback
    notice) are not errors."""
    match = _ERROR.search(answer)
    return answer.strip() if match else None


def installed_routes(rows: list[Row]) -> list[str]:
    return sorted({f"{r['network']}/{r['prefix_length']}" for r in rows if r.get("network")})


def _lines(configuration: str) -> list[str]:
    return [line for line in configuration.splitlines() if line.strip() and not line.lstrip().startswith("!")]


def apply_config(token: str, configuration: str) -> tuple[str, ...]:
    """The configuration in configuration mode, and back out of it."""
    return ("configure terminal", *_lines(configuration), "end")


def arm_config_revert(token: str, seconds: int, undo: str) -> tuple[str, ...]:
    """IOS's revert timer (needs an ``archive`` path): the whole running configuration rolls back to the
    archive taken now unless ``configure confirm`` comes in time, so the undo is not sent; out of
    configuration mode again, the timer keeps running."""
    return (f"configure terminal revert timer {max(1, -(-seconds // 60))}", "end")


#: configuration lines IOS takes but never prints: ``no shutdown`` (the default once up), SNMPv3 users
#: (kept out of the running configuration, shown by ``show snmp user``)
_NOT_SHOWN = (r"^no shutdown$", r"^snmp-server user ")

PLATFORM = Platform(
    name="cisco_ios",
    title="Cisco IOS / IOS-XE",
    driver="cisco_ios",
    kinds=(DeviceKind.ROUTER, DeviceKind.SWITCH),
    interface_form=(r"[A-Za-z][A-Za-z-]*\d+(?:/\d+)*(?:\.\d+)?(?::\d+)?", "GigabitEthernet1/0/1 or Gi1/0/1"),
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
        # in "tacacs server" / "radius server" blocks; a key chain's "key 1" (one number alone) is no secret
        rf"^\s+key(?!\s+\d+\s*$){_N} {_S}",
        # the type only where "address" or "hostname" follows the value: a key may be one digit too
        rf"^\s*crypto isakmp key(?: [0-9](?= \S+ (?:address|hostname) ))? {_S}",
        # keyrings: by address (and mask) or hostname; IKEv2's local and remote keys; an IKEv2 profile's own
        rf"\bpre-shared-key(?: address \S+(?: \d+\.\d+\.\d+\.\d+)?| hostname \S+| local| remote)?(?: key)?{_N} {_S}",
        rf"\bauthentication (?:local|remote) pre-share key{_N} {_S}",
        rf"\bwpa-psk ascii{_N} {_S}",
        rf"\bntp authentication-key \d+ md5 {_S}",
    ),
    installed_routes=installed_routes,
    shaper=Shaper(
        lambda _queues: "show running-config | section policy-map",
        policy_limits,
        set_policy,
        Revert(arm_revert, confirm_revert, close=("end",), granularity=60),
        failed,
    ),
    provisioning=Provisioning(
        show="show running-config",
        missing=functools.partial(missing_indented, invisible=_NOT_SHOWN),
        left=functools.partial(present_indented, invisible=_NOT_SHOWN),
        cpe_interfaces=("GigabitEthernet0/0", "GigabitEthernet0/1"),
        apply=apply_config,
        revert=ConfigRevert(arm_config_revert, confirm_revert, granularity=60),
        failed=failed,
    ),
)
