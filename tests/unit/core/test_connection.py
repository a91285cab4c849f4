"""A new OPD's connection as data: a clash with the inventory is refused before anything is claimed, and
the records and template values follow from the subnets carved."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from core.connection import NewOpd, Subnets, check_new, context, records
from core.errors import RuleError
from inventory.loader import load_inventory
from tests.conftest import INVENTORY

INV = load_inventory(INVENTORY)
SUBNETS = Subnets(ip_network("10.0.0.0/30"), ip_network("10.30.0.0/24"), ip_network("10.255.0.5/32"))


def new(**changes: object) -> NewOpd:
    fields: dict[str, object] = {
        "slug": "dpmptsp", "name": "Dinas PTSP", "site": "kantor-dpmptsp", "address": None, "provider": "PT X",
        "circuit_id": "C-1", "mbit": 10, "platform": "frr", "dc_device": "core", "dc_interface": "eth9",
        "cpe_wan": "eth1", "cpe_lan": "lan0",
    }  # fmt: skip
    return NewOpd(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "dinkes"}, "OPD dinkes is already in the inventory"),
        ({"dc_interface": "eth3"}, r"core eth3 is already in use \(dishub-wan\)"),
        ({"dc_interface": "eth5"}, r"core eth5 is already in use \(server-segment\)"),
    ],
)
def test_a_clash_with_the_inventory_is_refused_and_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        check_new(INV, new(**changes))


def test_the_records_hold_both_ends_of_the_link_and_the_lan() -> None:
    rec = records(INV, new(), SUBNETS)
    assert rec["core-interface"] == {"name": "eth9", "address": "10.0.0.1/30", "description": "dpmptsp-wan"}
    assert rec["devices"]["mgmt_address"] == "10.255.0.5"
    assert rec["devices"]["interfaces"][0]["address"] == "10.0.0.2/30"
    assert rec["prefixes"][1] == {
        "name": "dpmptsp-lan", "prefix": "10.30.0.0/24", "purpose": "opd-lan", "gateway": "10.30.0.1",
        "opd": "dpmptsp", "within": "opd-lans",
    }  # fmt: skip
    assert rec["sites"] == {"name": "kantor-dpmptsp"}  # a new site; an existing one is not added again
    assert "sites" not in records(INV, new(site="kantor-dinkes"), SUBNETS)


def test_a_31_link_uses_both_addresses() -> None:
    values = context(INV, new(), Subnets(ip_network("10.0.0.0/31"), SUBNETS.lan, SUBNETS.loopback))
    assert (values["dc"]["address"], values["cpe"]["address"]) == ("10.0.0.0", "10.0.0.1")
