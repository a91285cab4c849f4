"""The network drawn from the inventory: every OPD at the end of its link with its circuit and
subscription, the uplink, the data center's devices on their segments, links coloured by state."""

from __future__ import annotations

import html

from exporters.topology import topology_dot, topology_svg
from inventory.loader import load_inventory
from tests.conftest import INVENTORY

INV = load_inventory(INVENTORY)


def test_each_opd_hangs_off_its_port_with_its_circuit_and_subscription() -> None:
    dot = topology_dot(INV, lang="en")
    assert 'core -- "opd-dishub" [label="eth3 · JN-77-1203\\nPT Jaringan Nusantara · 50 Mbit/s"' in dot
    assert 'core -- "upstream-100.64.0.2" [label=eth7]' in dot  # the uplink, from the p2p prefix of no OPD
    assert 'core -- "srv-app1" [label=eth5]' in dot  # a server on the segment the core's eth5 holds
    assert 'label="Data center"' in dot
    assert 'label="Pusat Data"' in topology_dot(INV, lang="id")


def test_a_pending_link_is_dashed_and_every_state_has_its_colour() -> None:
    dot = topology_dot(INV, {"dinkes-wan": "pending", "disdik-wan": "down"})
    assert 'label="eth1 · TC-2024-0001\\nPT Telekomunikasi Contoh · 10 Mbit/s\\npending" color="#757575"' in dot
    assert "style=dashed" in dot and 'color="#c62828"' in dot
    assert 'color="#9e9e9e"' in dot  # a link the agent has no state for


def test_names_with_quotes_and_backslashes_stay_text_and_dot_draws_them() -> None:
    opds = tuple(o.model_copy(update={"name": 'Dinas "A" \\ B'}) if o.slug == "dinkes" else o for o in INV.opds)
    svg = html.unescape(topology_svg(topology_dot(INV.model_copy(update={"opds": opds}))).decode())
    assert 'Dinas "A" \\ B' in svg
