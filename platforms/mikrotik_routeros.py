"""MikroTik RouterOS: ``/export terse`` writes one ``key=value`` command a line; ntc-templates parse the
print commands. Each OPD's traffic is shaped by a simple queue (``/queue simple``) whose target is the OPD's
network: ``limit-at`` is what it is guaranteed, ``max-limit`` its ceiling, each written upload/download
(from the target / towards it)."""

from __future__ import annotations

import re

from platforms import Command, ConfigRevert, DeviceKind, Limit, Platform, Provisioning, Revert, Row, Shaper
from platforms._config import missing_terse, present_terse
from platforms._ios_like import SECRET as _S
from platforms._rates import parse_rate, rate_text
from platforms.errors import PlatformError

#: a ``print terse`` line: its number, its flags (X disabled, I invalid, D dynamic), its key=value pairs
_TERSE = re.compile(r"^\s*(?P<index>\d+)\s+(?P<flags>[A-Z]*)\s*(?P<pairs>\S+=.*)$")
_PAIR = re.compile(r'([\w-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def installed_routes(rows: list[Row]) -> list[str]:
    """Routes flagged A (active)."""
    return sorted(
        {f"{r['destination_address']}/{r['destination_address_subnet']}" for r in rows if "A" in r.get("flags", "")}
    )


def queue_limits(text: str) -> dict[str, Limit]:
    """The simple queues of ``/queue simple print terse without-paging``, by name: the download direction
    (towards the OPD) of ``limit-at`` and ``max-limit``; a disabled or invalid queue shapes nothing.

    Raises:
        PlatformError: a queue line whose limits are not rates.
    """
    limits: dict[str, Limit] = {}
    for line in text.splitlines():
        match = _TERSE.match(line)
        if match is None:
            continue
        pairs = {k: v.strip('"') for k, v in _PAIR.findall(match["pairs"])}
        if "name" not in pairs or "max-limit" not in pairs:
            continue
        try:
            ceiling = parse_rate(pairs["max-limit"].rpartition("/")[2])
            guaranteed = parse_rate(pairs.get("limit-at", "0/0").rpartition("/")[2])
        except PlatformError as exc:
            raise PlatformError(f"queue '{pairs['name']}': {exc}") from None
        enabled = not {"X", "I"} & set(match["flags"])
        limits[pairs["name"]] = Limit(pairs["name"], ceiling, guaranteed, enabled)
    return limits


def set_queue(limit: Limit) -> tuple[str, ...]:
    """The command that sets one queue's guarantee and ceiling, both directions alike."""
    guaranteed = rate_text(limit.guaranteed_bps or 0)
    ceiling = rate_text(limit.ceiling_bps)
    return (
        f'/queue simple set [find name="{limit.queue}"] limit-at={guaranteed}/{guaranteed} '
        f"max-limit={ceiling}/{ceiling}",
    )


def _quoted(text: str) -> str:
    """``text`` as a RouterOS string literal's inside (backslash and double quote escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def arm_revert(token: str, seconds: int, restore: tuple[Limit, ...]) -> tuple[str, ...]:
    """A scheduler entry that sets ``restore`` back after ``seconds`` and then removes itself: an entry
    added with an interval and no start time first runs one interval after it was added (MikroTik's
    Scheduler manual), and the router keeps it across a dropped session or a reboot."""
    name = f"pantau-revert-{token}"
    lines = [
        *(line for limit in restore for line in set_queue(limit)),
        f'/system scheduler remove [find name="{name}"]',
    ]
    event = "; ".join(lines)
    return (f'/system scheduler add name={name} interval={seconds}s on-event="{_quoted(event)}"',)


def confirm_revert(token: str) -> tuple[str, ...]:
    return (f'/system scheduler remove [find name="pantau-revert-{token}"]',)


def _commands(configuration: str) -> list[str]:
    return [line for line in configuration.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def apply_commands(token: str, configuration: str) -> tuple[str, ...]:
    """The configuration's commands, one a line (RouterOS answers a command it took with nothing)."""
    return tuple(_commands(configuration))


def arm_config_revert(token: str, seconds: int, undo: str) -> tuple[str, ...]:
    """A scheduler entry that runs the undo's commands after ``seconds`` and then removes itself (as the
    shaper's revert)."""
    name = f"pantau-revert-{token}"
    event = "; ".join([*_commands(undo), f'/system scheduler remove [find name="{name}"]'])
    return (f'/system scheduler add name={name} interval={seconds}s on-event="{_quoted(event)}"',)


PLATFORM = Platform(
    name="mikrotik_routeros",
    title="MikroTik RouterOS",
    driver="mikrotik_routeros",
    kinds=(DeviceKind.ROUTER, DeviceKind.SWITCH),
    commands={
        "running_config": Command("/export terse"),
        "routes": Command("/ip route print terse without-paging", "ntc:ip route print terse without-paging"),
        "ospf_neighbors": Command("/routing ospf neighbor print", "ntc:routing ospf neighbor print"),
    },
    volatile=(r"^# \w{3}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} by RouterOS", r"^# [a-z]{3}/\d{2}/\d{4}", r"^# software id"),
    redaction=(
        # /export: key=value pairs; every *password=, secret=, *-key= and the wireless passphrases
        rf"\b(?:[\w-]*password|secret|[\w-]*-key|passphrase|pre-shared-key|wpa2?-pre-shared-key|trap-community)={_S}",
        rf"^/snmp community (?:add|set) .*?\bname={_S}",  # the community's name is its secret
        rf"^/snmp community (?:add|set) .*?\b(?:authentication|encryption)-password={_S}",
    ),
    installed_routes=installed_routes,
    shaper=Shaper(
        lambda _queues: "/queue simple print terse without-paging",
        queue_limits,
        set_queue,
        Revert(arm_revert, confirm_revert),  # RouterOS answers a command it took with nothing
    ),
    provisioning=Provisioning(
        show="/export terse",
        missing=missing_terse,
        left=present_terse,
        cpe_interfaces=("ether1", "bridge"),
        apply=apply_commands,
        revert=ConfigRevert(arm_config_revert, confirm_revert),
    ),
)
