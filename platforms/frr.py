"""FRR (vtysh as the login shell): netmiko's cisco_ios driver fits its prompt and modes. ntc-templates have
nothing for FRR (its output silently parses to nothing with the Cisco ones): the templates are ours."""

from __future__ import annotations

from platforms import Command, Platform, Row
from platforms._ios_like import SECRET, SECRETS


def installed_routes(rows: list[Row]) -> list[str]:
    """The selected routes (``>`` in ``show ip route``)."""
    return sorted({r["network"] for r in rows if r.get("selected") == ">"})


PLATFORM = Platform(
    name="frr",
    title="FRRouting (vtysh)",
    driver="cisco_ios",
    commands={
        "running_config": Command("show running-config"),
        "routes": Command("show ip route", "frr_show_ip_route.textfsm"),
        "ospf_neighbors": Command("show ip ospf neighbor", "frr_show_ip_ospf_neighbor.textfsm"),
    },
    volatile=(r"^Building configuration", r"^Current configuration"),
    redaction=(*SECRETS, rf"^\s*agentx? community {SECRET}"),
    installed_routes=installed_routes,
)
