"""Triage against the lab: every verdict from a real injected fault."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

import pytest

from inventory.models import Inventory
from lab.faults import Faults
from lab.runner import Runner
from tests.conftest import INVENTORY


@pytest.fixture(autouse=True)
def settled(lab: Runner, inventory: Inventory) -> None:
    """Start each test from a lab whose links all answer: a fault cleared by the previous test leaves its
    link without routes until OSPF forms the adjacency again (about 2 s), and triage would rightly count
    it as a second OPD down."""
    addresses = [str(p.gateway) for p in inventory.prefixes if p.opd and p.gateway is not None]
    for link in inventory.links:
        wan = inventory.device(link.cpe.device).interface(link.cpe.interface)
        if wan is not None and wan.address is not None:
            addresses.append(str(ip_interface(wan.address).ip))
    deadline = time.monotonic() + 30
    while lab.exec("nms", ["fping", "-q", "-r", "1", "-t", "300", *addresses], check=False).returncode != 0:
        assert time.monotonic() < deadline, "the lab did not settle after the previous test's fault"
        time.sleep(0.5)


def transmit_mbps(lab: Runner, node: str, iface: str, seconds: float = 1.0) -> float:
    def tx() -> int:
        return int(lab.exec(node, ["cat", f"/sys/class/net/{iface}/statistics/tx_bytes"]).stdout)

    before = tx()
    time.sleep(seconds)
    return (tx() - before) * 8 / seconds / 1e6


def triage(lab: Runner, state: Path, opd: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "agent", "triage", opd, "--json", "--state-dir", str(state)]
    argv += ["--inventory", str(INVENTORY)]
    result = subprocess.run(lab.in_node("nms", argv), check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr + result.stdout
    data: dict[str, Any] = json.loads(result.stdout)
    assert {"verdict", "evidence", "next_step", "duration_seconds"} <= set(data)
    # the exit code scripts read: 0 no fault found, 1 a fault found
    assert result.returncode == (0 if data["verdict"] == "no-fault-found" else 1), data["verdict"]
    return data


def evidence(data: dict[str, Any], check: str) -> dict[str, Any]:
    found = [e for e in data["evidence"] if e["check"] == check]
    assert len(found) == 1, (check, data["evidence"])
    return found[0]


def test_healthy_lab_is_no_fault_found_with_what_was_checked(lab: Runner, tmp_path: Path) -> None:
    data = triage(lab, tmp_path, "dinkes")
    assert data["verdict"] == "no-fault-found"
    checked = {e["check"] for e in data["evidence"] if e["ok"]}
    assert {"uplink", "dc-port", "wan-icmp", "utilization", "lan-gateway", "cpe-snmp", "cpe-ssh", "dns"} <= checked
    assert evidence(data, "cpe-ssh")["detail"].startswith("router OPD menjawab SSH: SSH-2.0-")


def test_wan_link_down_is_circuit_down_with_the_port_down(lab: Runner, faults: Faults, tmp_path: Path) -> None:
    faults.inject("link-down", opd="disdik")
    time.sleep(1.5)
    data = triage(lab, tmp_path, "disdik")
    assert data["verdict"] == "circuit-down"
    assert evidence(data, "dc-port")["ok"] is False
    assert data["provider"] == {
        "provider": "PT Telekomunikasi Contoh",
        "circuit_id": "TC-2024-0002",
        "contact": "NOC 147 / noc@telko.example",
    }
    assert "TC-2024-0002" in data["next_step"]
    # decided without waiting for the utilization window
    assert evidence(data, "utilization") == {
        "check": "utilization",
        "ok": None,
        "detail": "tidak diukur: putusan sudah pasti tanpa jendela SNMP",
    }
    # the evidence pack dates the outage from the port's own ifLastChange
    port = data["pack"]["port"]
    assert (port["device"], port["oper_up"]) == ("core", False)
    assert port["last_change_seconds"] is not None and port["last_change_seconds"] < 60, port
    assert data["pack"]["outage_start"] is not None and data["pack"]["circuit_id"] == "TC-2024-0002"


def test_total_loss_with_ports_up_is_circuit_down_naming_provider_and_circuit(
    lab: Runner, faults: Faults, tmp_path: Path
) -> None:
    faults.inject("loss", opd="dishub", percent=100)
    data = triage(lab, tmp_path, "dishub")
    assert data["verdict"] == "circuit-down"
    assert evidence(data, "dc-port")["ok"] is True
    assert "loss 100%" in evidence(data, "wan-icmp")["detail"]
    assert "PT Jaringan Nusantara" in data["next_step"] and "JN-77-1203" in data["next_step"]


def test_partial_loss_on_the_provider_link_is_degraded(lab: Runner, faults: Faults, tmp_path: Path) -> None:
    faults.inject("loss", opd="bappeda", percent=30)
    data = triage(lab, tmp_path, "bappeda")
    assert data["verdict"] == "provider-link-degraded"
    assert evidence(data, "utilization")["ok"] is True  # not full: the provider's fault, not congestion
    assert "JN-77-1204" in data["next_step"]


def test_opd_lan_down_is_opd_side(lab: Runner, faults: Faults, tmp_path: Path) -> None:
    faults.inject("lan-down", opd="dinkes")
    time.sleep(2)  # OSPF withdraws the LAN
    data = triage(lab, tmp_path, "dinkes")
    assert data["verdict"] == "opd-side"
    assert evidence(data, "wan-icmp")["ok"] is True and evidence(data, "lan-gateway")["ok"] is False


def test_uplink_down_is_upstream_with_every_opd_grouped_under_it(lab: Runner, faults: Faults, tmp_path: Path) -> None:
    faults.inject("uplink-down")
    data = triage(lab, tmp_path, "dishub")
    assert data["verdict"] == "upstream"
    assert data["affected"] == ["bappeda", "dinkes", "disdik", "dishub"]
    assert "4 OPD terdampak" in data["summary"]


def test_saturated_link_is_congestion(lab: Runner, faults: Faults, tmp_path: Path) -> None:
    faults.inject("congestion", opd="dinkes")
    deadline = time.monotonic() + 20  # precondition: the traffic really fills the link (core's eth1 counters)
    while transmit_mbps(lab, "core", "eth1") < 9.0:
        assert time.monotonic() < deadline, "iperf3 did not fill dinkes' 10 Mbit/s link"
    data = triage(lab, tmp_path, "dinkes")
    assert data["verdict"] == "congestion", [e["detail"] for e in data["evidence"]]
    assert "SOP 13" in data["next_step"]


def test_stopped_dns_server_is_dns_or_service(lab: Runner, faults: Faults, tmp_path: Path) -> None:
    faults.inject("daemon-stop", node="dns1", daemon="named")
    data = triage(lab, tmp_path, "disdik")
    assert data["verdict"] == "dns-or-service"
    assert evidence(data, "dns")["ok"] is False


@pytest.mark.parametrize("what", ["10.30.2.77", "10.0.2.2"])
def test_triage_by_address_finds_the_opd(lab: Runner, tmp_path: Path, what: str) -> None:
    assert triage(lab, tmp_path, what)["opd"] == "disdik"


def test_ticket_triage_attaches_the_verdict_and_escalation_names_the_provider(
    lab: Runner, faults: Faults, tmp_path: Path
) -> None:
    def pantau(*args: str) -> str:
        argv = [sys.executable, "-m", "agent", *args, "--state-dir", str(tmp_path)]
        result = subprocess.run(lab.in_node("nms", argv), check=False, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    pantau("ticket", "open", "internet putus", "--opd", "dishub", "--channel", "phone", "--reporter", "Pak Joko")
    pantau("ticket", "assign", "1", "--to", "Andi")
    faults.inject("link-down", opd="dishub")
    time.sleep(1.5)
    assert "circuit-down" in pantau("ticket", "triage", "1")
    pantau("ticket", "escalate", "1")
    shown = json.loads(pantau("ticket", "show", "1", "--json"))
    assert shown["verdict"] == "circuit-down" and shown["state"] == "escalated"
    triaged = next(e for e in shown["events"] if e["step"] == "triage")
    assert "port pusat data core:eth3 down" in triaged["text"]
    escalated = next(e for e in shown["events"] if e["step"] == "escalate")
    assert "PT Jaringan Nusantara" in escalated["text"] and "JN-77-1203" in escalated["text"]
    assert "verdict saat eskalasi: circuit-down" in escalated["text"]
    assert "paket bukti untuk PT Jaringan Nusantara" in escalated["text"]
    assert "- port pusat data core:eth3: down, status berubah" in escalated["text"]
