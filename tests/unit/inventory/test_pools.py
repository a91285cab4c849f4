"""Which subnet of a pool a new OPD gets: the first that overlaps nothing the plan or the store uses."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from inventory.ipam import IpamError
from inventory.loader import load_inventory
from inventory.models import Prefix
from inventory.pools import carve, taken_in
from tests.conftest import INVENTORY


def pool(prefix: str, carve_length: int, **extra: object) -> Prefix:
    return Prefix.model_validate({"name": "pool", "prefix": prefix, "purpose": "p2p", "carve": carve_length, **extra})


def test_the_first_subnet_clear_of_everything_taken_is_carved() -> None:
    taken = [ip_network("10.0.0.0/30"), ip_network("10.0.0.4/32"), ip_network("10.0.0.16/28")]
    assert carve(pool("10.0.0.0/24", 30), taken) == ip_network("10.0.0.8/30")


def test_a_wide_prefix_taken_skips_every_subnet_inside_it() -> None:
    assert carve(pool("10.0.0.0/24", 30), [ip_network("10.0.0.0/25")]) == ip_network("10.0.0.128/30")


def test_a_full_pool_is_named_with_what_to_do() -> None:
    with pytest.raises(IpamError, match=r"pool pool \(10\.0\.0\.0/30\) has no free /30 left; widen it"):
        carve(pool("10.0.0.0/30", 30), [ip_network("10.0.0.1/32")])


def test_the_example_plan_gives_the_first_free_link_lan_and_loopback() -> None:
    inv = load_inventory(INVENTORY)
    by_name = {p.name: p for p in inv.prefixes}
    # the four OPDs' links and LANs are inside the pools; 10.0.0.0/30 and 10.30.0.0/24 are free
    assert carve(by_name["opd-p2p"], taken_in(inv, by_name["opd-p2p"])) == ip_network("10.0.0.0/30")
    assert carve(by_name["opd-lans"], taken_in(inv, by_name["opd-lans"])) == ip_network("10.30.0.0/24")
    # the routers' loopbacks are devices' management addresses, not prefixes; the pool's network address
    # is never a router's
    loopbacks = by_name["cpe-loopbacks"]
    assert carve(loopbacks, taken_in(inv, loopbacks)) == ip_network("10.255.0.5/32")
    live = [ip_network("10.0.0.0/30")]  # what the store holds live is the caller's to add
    assert carve(by_name["opd-p2p"], [*taken_in(inv, by_name["opd-p2p"]), *live]) == ip_network("10.0.0.4/30")


def test_a_carve_length_that_does_not_fit_the_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match=r"carve 16 does not fit 10\.0\.0\.0/24"):
        pool("10.0.0.0/24", 16)
