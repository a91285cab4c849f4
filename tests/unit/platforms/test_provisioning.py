"""A new OPD's configuration, rendered from each platform's templates, read back from what the device
shows afterwards (fixtures/SOURCES.md): every rendered line is found there, or the check fails, naming it."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest

from core.connection import NewOpd, Subnets, context
from inventory.loader import load_inventory
from inventory.models import Inventory
from platforms import discover
from platforms._render import render_config
from platforms.errors import PlatformError
from tests.conftest import INVENTORY

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUBNETS = Subnets(ip_network("10.0.0.0/30"), ip_network("10.30.0.0/24"), ip_network("10.255.0.5/32"))
REGISTRY = discover()
IOS_CORE = "cisco_ios/show_running-config_core_after_dc.raw"
ROS_CORE = "mikrotik_routeros/export_terse_core_after_dc.raw"
FRR_CORE = "frr/show_running-config_after_opd_add.raw"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def new(platform: str, dc_interface: str) -> NewOpd:
    wan, lan = REGISTRY.get(platform).provisioning.cpe_interfaces  # type: ignore[union-attr]
    return NewOpd(
        "dpmptsp", "Dinas Penanaman Modal dan PTSP", "kantor-dpmptsp", None, "PT Telekomunikasi Contoh",
        "TC-2026-0005", 10, platform, "core", dc_interface, wan, lan,
    )  # fmt: skip


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize(
    ("platform", "template", "dc_interface", "shown"),
    [
        ("cisco_ios", "opd", "GigabitEthernet0/3", "cisco_ios/show_running-config_opd_router.raw"),
        ("cisco_ios", "dc", "GigabitEthernet0/3", "cisco_ios/show_running-config_core_after_dc.raw"),
        ("mikrotik_routeros", "opd", "ether9", "mikrotik_routeros/export_terse_opd_router.raw"),
        ("mikrotik_routeros", "dc", "ether9", "mikrotik_routeros/export_terse_core_after_dc.raw"),
        ("frr", "dc", "eth9", "frr/show_running-config_after_opd_add.raw"),
    ],
)
def test_every_rendered_line_is_read_back_from_what_the_device_shows(
    inv: Inventory, platform: str, template: str, dc_interface: str, shown: str
) -> None:
    rendered = render_config(platform, template, context(inv, new(platform, dc_interface), SUBNETS))
    prov = REGISTRY.get(platform).provisioning
    assert prov is not None
    assert prov.missing(rendered, fixture(shown)) == []


@pytest.mark.parametrize(
    ("platform", "dc_interface", "shown", "changed", "to"),
    [
        ("cisco_ios", "GigabitEthernet0/3", IOS_CORE, "10.0.0.1 ", "10.0.0.9 "),
        ("mikrotik_routeros", "ether9", ROS_CORE, "interfaces=ether9", "interfaces=ether8"),
        ("frr", "eth9", FRR_CORE, "hello-interval 1", "hello-interval 2"),
    ],
)  # fmt: skip
def test_a_line_the_device_does_not_hold_is_named(
    inv: Inventory, platform: str, dc_interface: str, shown: str, changed: str, to: str
) -> None:
    rendered = render_config(platform, "dc", context(inv, new(platform, dc_interface), SUBNETS)).replace(changed, to)
    missing = REGISTRY.get(platform).provisioning.missing(rendered, fixture(shown))  # type: ignore[union-attr]
    assert len(missing) == 1 and to.strip() in missing[0], missing


def test_removal_is_checked_against_what_the_core_showed_before(inv: Inventory) -> None:
    prov = REGISTRY.get("frr").provisioning
    assert prov is not None
    rendered = render_config("frr", "dc", context(inv, new("frr", "eth9"), SUBNETS))
    assert prov.left(rendered, fixture("frr/show_running-config_before_opd_add.raw")) == []
    left = prov.left(rendered, fixture("frr/show_running-config_after_opd_add.raw"))
    assert "interface eth9 / ip address 10.0.0.1/30" in left


def test_secrets_are_placeholders_never_values(inv: Inventory) -> None:
    for platform in ("cisco_ios", "mikrotik_routeros", "frr"):
        text = render_config(platform, "opd", context(inv, new(platform, "x"), SUBNETS))
        assert "SECRET:lab-v3.auth_key" in text and "SECRET:lab-v3.priv_key" in text, platform
        secret = (INVENTORY / "../../lab/kominfo/secrets/snmpv3-auth").resolve().read_text().strip()
        assert secret not in text


def test_static_routing_renders_routes_both_ways(inv: Inventory) -> None:
    static = inv.model_copy(
        update={
            "agency": inv.agency.model_copy(update={"wan": inv.agency.wan.model_copy(update={"routing": "static"})})
        }
    )
    text = render_config("cisco_ios", "dc", context(static, new("cisco_ios", "GigabitEthernet0/3"), SUBNETS))
    assert "ip route 10.30.0.0 255.255.255.0 10.0.0.2 name dpmptsp-wan" in text
    assert "ospf" not in text.split("\n", 1)[1]
    opd = render_config("frr", "opd", context(static, new("frr", "eth9"), SUBNETS))
    assert "ip route 0.0.0.0/0 10.0.0.1" in opd and "router ospf" not in opd


def test_a_template_value_missing_from_the_context_is_an_error_not_a_blank(inv: Inventory) -> None:
    values = context(inv, new("frr", "eth9"), SUBNETS)
    del values["p2p"]
    with pytest.raises(PlatformError, match="p2p"):
        render_config("frr", "dc", values)


def test_a_mikrotik_core_gets_the_change_and_a_scheduler_that_undoes_it_unless_removed(inv: Inventory) -> None:
    prov = REGISTRY.get("mikrotik_routeros").provisioning
    assert prov is not None and prov.apply is not None and prov.revert is not None
    values = context(inv, new("mikrotik_routeros", "ether9"), SUBNETS)
    sent = prov.apply("t1", render_config("mikrotik_routeros", "dc", values))
    assert sent[0] == "/ip address add address=10.0.0.1/30 interface=ether9 comment=dpmptsp-wan"
    assert not any(line.startswith("#") for line in sent)
    (arm,) = prov.revert.arm("t1", 30, render_config("mikrotik_routeros", "dc-remove", values))
    assert arm.startswith("/system scheduler add name=pantau-revert-t1 interval=30s on-event=")
    # the undo inside the event, its own quotes escaped, then the entry removes itself
    assert "/ip address remove [find comment=dpmptsp-wan]; " in arm
    assert '/system scheduler remove [find name=\\"pantau-revert-t1\\"]"' in arm
    assert prov.revert.confirm("t1") == ('/system scheduler remove [find name="pantau-revert-t1"]',)
    assert prov.failed("") is None and prov.failed("failure: already have such address") is not None


def test_a_cisco_core_gets_the_change_under_ios_revert_timer_and_refusals_are_caught(inv: Inventory) -> None:
    prov = REGISTRY.get("cisco_ios").provisioning
    assert prov is not None and prov.apply is not None and prov.revert is not None
    values = context(inv, new("cisco_ios", "GigabitEthernet0/3"), SUBNETS)
    assert prov.revert.seconds(90) == 120  # IOS counts minutes
    assert prov.revert.arm("t1", 120, "ignored: IOS rolls back to its archive") == (
        "configure terminal revert timer 2",
        "end",
    )
    sent = prov.apply("t1", render_config("cisco_ios", "dc", values))
    assert sent[0] == "configure terminal" and sent[-1] == "end"
    assert "interface GigabitEthernet0/3" in sent and " ip address 10.0.0.1 255.255.255.252" in sent
    assert prov.revert.confirm("t1") == ("configure confirm",)
    refused = " ip ospf 1 area 0\n                ^\n% Invalid input detected at '^' marker.\n"
    assert prov.failed(refused) is not None and prov.failed("") is None
