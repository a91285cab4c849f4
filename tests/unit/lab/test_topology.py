"""The lab's topology file: valid containerlab, realizable names, and one truth with inventory/example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from inventory.loader import load_inventory
from inventory.secrets import resolve_secret
from lab.errors import TopologyError
from lab.topology import IFNAMSIZ, load_topology, parse_topology

ROOT = Path(__file__).resolve().parents[3]
TOPOLOGY = ROOT / "lab" / "kominfo.clab.yml"
INVENTORY = ROOT / "inventory" / "example"
SCHEMA = Path(__file__).parent / "fixtures" / "clab.schema.json"  # containerlab's, BSD-3-Clause (fixtures/README.md)


def exec_addresses(node_exec: tuple[str, ...]) -> dict[str, str]:
    """interface → first address configured by the node's exec lines."""
    out: dict[str, str] = {}
    for line in node_exec:
        m = re.fullmatch(r"ip addr add (\S+) dev (\S+)", line)
        if m:
            out.setdefault(m.group(2), m.group(1))
    return out


def test_topology_is_valid_against_containerlabs_schema() -> None:
    # Python's re has no \p{..}: the one change the schema needs (fixtures/README.md)
    text = SCHEMA.read_text().replace(r"[\\p{N}\\p{L}]", r"[^\\W_]")
    validator = jsonschema.Draft7Validator(json.loads(text))
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(TOPOLOGY.read_text()))]
    assert errors == []


def test_every_interface_name_fits_the_kernel_limit() -> None:
    topo = load_topology(TOPOLOGY)
    for node in topo.nodes:
        assert all(len(i) <= IFNAMSIZ for i in node.interfaces)
    assert all(len(topo.host_veth(i)) <= IFNAMSIZ for i in range(len(topo.nodes)))
    assert len(topo.bridge) <= IFNAMSIZ


def test_inventory_devices_match_the_lab_nodes_addresses_and_aliases() -> None:
    topo = load_topology(TOPOLOGY)
    inv = load_inventory(INVENTORY)
    for device in inv.devices:
        node = topo.node(device.name)
        addrs = exec_addresses(node.exec)
        if node.has_mgmt:
            assert str(node.mgmt_ipv4) == str(device.mgmt_address), device.name
        else:  # managed in-band, at the loopback its exec lines configure
            assert node.labels["pantau.managed-at"] == str(device.mgmt_address)
            assert addrs.get("lo") == f"{device.mgmt_address}/32"
        for iface in device.interfaces:
            assert addrs.get(iface.name) == str(iface.address), (device.name, iface.name)
            assert f"ip link set {iface.name} alias {iface.description}" in node.exec, (device.name, iface.name)


def test_every_inventory_link_is_a_lab_link_shaped_at_its_subscribed_rate() -> None:
    topo = load_topology(TOPOLOGY)
    inv = load_inventory(INVENTORY)
    lab_links = {frozenset([link.a, link.b]) for link in topo.links}
    for link in inv.links:
        ends = frozenset([(link.dc.device, link.dc.interface), (link.cpe.device, link.cpe.interface)])
        assert ends in lab_links, link.name
        core = topo.node(link.dc.device)
        dev = link.dc.interface
        shaped = [line for line in core.exec if line.startswith(f"tc qdisc replace dev {dev} root handle 1: tbf")]
        assert len(shaped) == 1 and f"rate {link.subscribed_mbps}mbit" in shaped[0], link.name
        # under the circuit's tbf, the bandwidth manager's HTB class named by the link's shaper queue, at first
        # holding the OPD to its whole subscription
        assert link.shaper.queue is not None
        queue_dev, classid = link.shaper.queue.split("/")
        assert queue_dev == dev and f"tc qdisc add dev {dev} parent 1:1 handle 10: htb default 10" in core.exec
        rate = f"{link.subscribed_mbps}mbit"
        burst = f"{link.subscribed_mbps * 1_000_000 // 800}b"  # 10 ms of the rate, as the shaper sets it
        assert (
            f"tc class add dev {dev} parent 10:1 classid {classid} htb rate {rate} ceil {rate} "
            f"burst {burst} cburst {burst} quantum 1514"
        ) in core.exec, link.name  # the default class, borrowing from the port's 10:1 up to its ceiling
        # its iperf3 server answers on the OPD router's LAN address
        cpe = topo.node(link.cpe.device)
        assert "iperf3" in cpe.services and cpe.iperf3_ports == (link.shaper.iperf3_port,)
        assert any(f"ip addr add {link.shaper.iperf3}/24 dev lan0" == line for line in cpe.exec), link.name
        ifb = next(line.split()[-1] for line in core.exec if f"dev {link.dc.interface} parent ffff:" in line)
        assert any(
            line.startswith(f"tc qdisc replace dev {ifb} root tbf rate {link.subscribed_mbps}mbit")
            for line in core.exec
        ), link.name


def test_lab_secret_files_agree_with_the_daemon_configs() -> None:
    inv = load_inventory(INVENTORY)
    snmpd = (ROOT / "lab" / "kominfo" / "common" / "snmpd.conf").read_text()
    v3 = inv.snmp_profile("lab-v3")
    assert v3.auth_key and v3.priv_key and v3.user
    auth, priv = resolve_secret(v3.auth_key, INVENTORY), resolve_secret(v3.priv_key, INVENTORY)
    assert f'createUser {v3.user} SHA "{auth}" AES "{priv}"' in snmpd
    v2 = inv.snmp_profile("lab-v2c")
    assert v2.community
    assert f"rocommunity {resolve_secret(v2.community, INVENTORY)} " in snmpd
    tsig = inv.tsig_profile("lab-ddns")
    key = (ROOT / "lab" / "kominfo" / "dns1" / "tsig.key").read_text()
    assert f'key "{tsig.key_name}"' in key and f'secret "{resolve_secret(tsig.secret, INVENTORY)}"' in key


def test_opd_routers_have_no_management_leg() -> None:
    topo = load_topology(TOPOLOGY)
    inv = load_inventory(INVENTORY)
    for link in inv.links:
        assert not topo.node(link.cpe.device).has_mgmt


def _minimal(**node: object) -> dict[str, object]:
    return {
        "name": "t",
        "topology": {"nodes": {"a": {"kind": "linux", "mgmt-ipv4": "172.20.20.2", **node}}, "links": []},
    }


def test_unknown_service_label_is_refused_with_the_known_ones() -> None:
    with pytest.raises(TopologyError, match=r"unknown service\(s\) ntpd in label pantau\.services; known: frr"):
        parse_topology(_minimal(labels={"pantau.services": "ntpd"}), Path("t.clab.yml"))


def test_interface_name_over_15_characters_is_refused() -> None:
    data = _minimal()
    data["topology"]["links"] = [{"endpoints": ["a:averyveryverylongname", "a:eth2"]}]  # type: ignore[index]
    with pytest.raises(TopologyError, match="interface name 'averyveryverylongname' must be 1-15 characters"):
        parse_topology(data, Path("t.clab.yml"))


def test_link_to_an_undefined_node_is_refused() -> None:
    data = _minimal()
    data["topology"]["links"] = [{"endpoints": ["a:eth1", "ghost:eth1"]}]  # type: ignore[index]
    with pytest.raises(TopologyError, match="node 'ghost', which is not defined"):
        parse_topology(data, Path("t.clab.yml"))


def test_mgmt_address_outside_the_subnet_is_refused() -> None:
    with pytest.raises(TopologyError, match=r"mgmt-ipv4 10\.9\.9\.9 is outside 172\.20\.20\.0/24"):
        parse_topology(_minimal(**{"mgmt-ipv4": "10.9.9.9"}), Path("t.clab.yml"))


def test_overlapping_host_route_is_found_but_the_labs_own_bridge_is_not() -> None:
    from ipaddress import IPv4Network

    from lab.runner import overlapping_route

    routes = [
        {"dst": "default", "gateway": "10.0.0.1", "dev": "eth0"},
        {"dst": "172.20.20.0/24", "dev": "kominfo-mgmt", "protocol": "kernel"},
        {"dst": "172.20.0.0/16", "dev": "docker0", "protocol": "kernel"},
    ]
    assert overlapping_route(routes, IPv4Network("172.20.20.0/24"), "kominfo-mgmt") == "172.20.0.0/16 dev docker0"
    assert overlapping_route(routes[:2], IPv4Network("172.20.20.0/24"), "kominfo-mgmt") is None


def test_an_on_demand_router_and_its_link_are_left_out_of_lab_up() -> None:
    full = load_topology(TOPOLOGY)
    standing = full.standing()
    assert "opd-dpmptsp" in [n.name for n in full.nodes if n.on_demand]
    assert "opd-dpmptsp" not in [n.name for n in standing.nodes]
    assert not [lk for lk in standing.links if "opd-dpmptsp" in (lk.a[0], lk.b[0])]
    assert [(lk.a, lk.b) for lk in full.links_of("opd-dpmptsp")] == [(("core", "eth9"), ("opd-dpmptsp", "eth1"))]
