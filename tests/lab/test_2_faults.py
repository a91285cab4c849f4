"""Each fault takes effect and is undone by 'fault clear'; traffic is listed and stopped."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from inventory.models import Inventory
from lab.faults import Faults
from lab.runner import Runner


def fping_loss(lab: Runner, target: str, count: int = 20, period_ms: int = 20) -> int:
    result = lab.exec(
        lab.topo.vantage.name, ["fping", "-c", str(count), "-p", str(period_ms), "-q", target], check=False
    )
    match = re.search(r"%loss = \d+/\d+/(\d+)%", result.stderr)
    assert match, result.stderr
    return int(match.group(1))


def fping_avg_ms(lab: Runner, target: str, count: int = 20) -> float | None:
    """The average round trip of one fping run, or None when no reply came back."""
    result = lab.exec(lab.topo.vantage.name, ["fping", "-c", str(count), "-p", "50", "-q", target], check=False)
    assert "xmt/rcv/%loss" in result.stderr, result.stderr
    match = re.search(r"min/avg/max = [\d.]+/([\d.]+)/", result.stderr)
    return float(match.group(1)) if match else None


def rtt_avg_ms(lab: Runner, target: str, count: int = 20) -> float:
    avg = fping_avg_ms(lab, target, count)
    assert avg is not None, f"no reply from {target}"
    return avg


def oper_state(lab: Runner, node: str, iface: str) -> str:
    return str(json.loads(lab.exec(node, ["ip", "-j", "link", "show", iface]).stdout)[0]["operstate"])


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return bool(predicate())


def test_link_down_cuts_the_opd_and_clear_restores_it(lab: Runner, faults: Faults) -> None:
    opd = faults.opd("dinkes")
    faults.inject("link-down", opd="dinkes")
    assert oper_state(lab, opd.dc_node, opd.dc_iface) in ("DOWN", "LOWERLAYERDOWN")
    assert fping_loss(lab, "10.255.0.1", count=5) == 100
    assert faults.clear() == 1
    assert wait_for(lambda: fping_loss(lab, "10.255.0.1", count=3) == 0)
    assert oper_state(lab, opd.dc_node, opd.dc_iface) == "UP"


def test_lan_down_makes_the_lan_unreachable_while_the_cpe_answers(lab: Runner, faults: Faults) -> None:
    faults.inject("lan-down", opd="disdik")
    assert wait_for(lambda: fping_loss(lab, "10.30.2.1", count=3) == 100)
    assert fping_loss(lab, "10.255.0.2", count=3) == 0
    faults.clear()
    assert wait_for(lambda: fping_loss(lab, "10.30.2.1", count=3) == 0)


def test_loss_drops_about_the_given_share_and_clear_removes_the_rule(lab: Runner, faults: Faults) -> None:
    faults.inject("loss", opd="dishub", percent=30)
    loss = fping_loss(lab, "10.255.0.3", count=400, period_ms=5)
    assert 20 <= loss <= 40, loss
    faults.clear()
    assert fping_loss(lab, "10.255.0.3", count=50, period_ms=5) == 0
    assert "pantau_loss" not in lab.exec("core", ["nft", "list", "tables"]).stdout


def test_uplink_down_cuts_the_internet_side(lab: Runner, faults: Faults) -> None:
    faults.inject("uplink-down")
    assert fping_loss(lab, "198.51.100.1", count=3) == 100
    faults.clear()
    assert wait_for(lambda: fping_loss(lab, "198.51.100.1", count=3) == 0)


def test_shape_changes_the_link_rate_and_clear_restores_the_subscription(lab: Runner, faults: Faults) -> None:
    def rate(dev: str) -> int:
        qdiscs = json.loads(lab.exec("core", ["tc", "-j", "qdisc", "show", "dev", dev]).stdout)
        return int(next(q for q in qdiscs if q["kind"] == "tbf")["options"]["rate"])

    opd = faults.opd("bappeda")
    faults.inject("shape", opd="bappeda", mbit=5)
    assert rate(opd.dc_iface) == 5_000_000 // 8
    assert rate("ifb4") == 5_000_000 // 8
    faults.clear()
    assert rate(opd.dc_iface) == opd.subscribed_mbps * 1_000_000 // 8
    assert rate("ifb4") == opd.subscribed_mbps * 1_000_000 // 8


def snmp_uptime(lab: Runner, address: str) -> int | None:
    result = lab.exec(
        lab.topo.vantage.name,
        [
            "env",
            f"SNMP_PERSISTENT_DIR={lab.run_dir / 'snmp-client'}",
            "snmpget",
            "-v2c",
            "-c",
            "kominfo-ro-2c",
            "-t",
            "0.5",
            "-r",
            "0",
            "-On",
            "-Ot",
            address,
            ".1.3.6.1.2.1.1.3.0",
        ],
        check=False,
    )
    if result.returncode != 0:
        return None
    return int(result.stdout.split()[-1])


def test_daemon_stop_silences_snmp_on_one_node_and_clear_restarts_it(lab: Runner, faults: Faults) -> None:
    faults.inject("daemon-stop", node="srv-db1", daemon="snmpd")
    assert snmp_uptime(lab, "172.20.20.12") is None
    assert snmp_uptime(lab, "172.20.20.11") is not None
    assert not lab.service_alive("srv-db1", "snmpd")
    faults.clear()
    assert lab.service_alive("srv-db1", "snmpd")
    assert snmp_uptime(lab, "172.20.20.12") is not None


def test_snmpd_restart_resets_sysuptime(lab: Runner, faults: Faults) -> None:
    before = snmp_uptime(lab, "172.20.20.11")
    assert before is not None and before > 100  # the lab has been up more than a second
    faults.inject("snmpd-restart", node="srv-app1")
    after = snmp_uptime(lab, "172.20.20.11")
    assert after is not None and after < before


def test_congestion_adds_queueing_delay_and_clear_removes_it(lab: Runner, faults: Faults) -> None:
    idle = rtt_avg_ms(lab, "10.30.1.1")
    faults.inject("congestion", opd="dinkes")

    def queued() -> bool:  # one run decides: a full drop-tail queue delays echo requests, or drops all of them
        avg = fping_avg_ms(lab, "10.30.1.1", count=10)
        return avg is None or avg > idle + 10

    assert wait_for(queued, timeout=15)
    faults.clear()

    def drained() -> bool:
        avg = fping_avg_ms(lab, "10.30.1.1", count=10)
        return avg is not None and avg < idle + 5

    assert wait_for(drained, timeout=15)


def test_traffic_is_listed_by_status_and_stopped(lab: Runner, faults: Faults, inventory: Inventory) -> None:
    lines = faults.start_traffic("disdik", "both", mbit=5)
    assert len(lines) == 2
    active = faults.active()["traffic"]
    assert {t["direction"] for t in active} == {"in", "out"}
    assert faults.stop_traffic() == 2
    assert faults.active()["traffic"] == []
