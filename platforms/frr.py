"""FRR (vtysh as the login shell): netmiko's cisco_ios driver fits its prompt and modes. ntc-templates have
nothing for FRR (its output silently parses to nothing with the Cisco ones): the templates are ours.

A new OPD's link is configured on FRR through a POSIX shell login that may run vtysh (the device's
``changes.ssh``): vtysh alone has no way to arm a revert. The configuration is written to a file and applied
with ``vtysh -f``; the revert is a detached job that applies the removal's configuration after the timer
unless its file was removed (as the Linux shaper's).
"""

from __future__ import annotations

from platforms import Command, ConfigRevert, DeviceKind, Platform, Provisioning, Row
from platforms._config import missing_indented, present_indented
from platforms._ios_like import SECRETS
from platforms._shell import cancel, replay_job, saved_file, write_lines


def installed_routes(rows: list[Row]) -> list[str]:
    """The selected routes (``>`` in ``show ip route``)."""
    return sorted({r["network"] for r in rows if r.get("selected") == ">"})


def _lines(configuration: str) -> list[str]:
    return [line for line in configuration.splitlines() if line.strip() and not line.lstrip().startswith("!")]


def apply_file(token: str, configuration: str) -> tuple[str, ...]:
    """Write ``configuration`` to a file and apply it with ``vtysh -f`` (quiet when every line is taken;
    a refused line is printed, so any answer is an error)."""
    path = saved_file("change", token, "conf")
    return *write_lines(path, _lines(configuration)), f'vtysh -f "{path}" && rm -f "{path}"'


def arm_revert(token: str, seconds: int, undo: str) -> tuple[str, ...]:
    path = saved_file("revert", token, "conf")
    return *write_lines(path, _lines(undo)), replay_job(path, seconds, 'vtysh -f "$f"')


def confirm_revert(token: str) -> tuple[str, ...]:
    return (cancel(saved_file("revert", token, "conf")),)


PLATFORM = Platform(
    name="frr",
    title="FRRouting (vtysh)",
    driver="cisco_ios",
    kinds=(DeviceKind.ROUTER,),
    interface_form=(r"[^\s/:]{1,15}", "eth1"),
    commands={
        "running_config": Command("show running-config"),
        "routes": Command("show ip route", "frr_show_ip_route.textfsm"),
        "ospf_neighbors": Command("show ip ospf neighbor", "frr_show_ip_ospf_neighbor.textfsm"),
    },
    volatile=(r"^Building configuration", r"^Current configuration"),
    redaction=SECRETS,
    installed_routes=installed_routes,
    provisioning=Provisioning(
        show="vtysh -c 'show running-config'",
        missing=missing_indented,
        left=present_indented,
        cpe_interfaces=("eth1", "lan0"),
        apply=apply_file,
        revert=ConfigRevert(arm_revert, confirm_revert),
        driver="linux",
    ),
)
