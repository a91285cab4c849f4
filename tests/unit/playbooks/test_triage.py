"""The triage decision as a pure function: each verdict from the facts that make it, widest cause first."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.loader import load_inventory
from inventory.models import Inventory
from playbooks.triage import LinkFacts, TriageFacts, Verdict, decide, uplinks

INVENTORY = Path(__file__).resolve().parents[3] / "inventory" / "example"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def healthy(inv: Inventory, opd: str = "dinkes") -> TriageFacts:
    f = TriageFacts(
        opd,
        uplink_up=True,
        uplink_detail="core:eth7 up",
        core_reachable=True,
        cpe_snmp=True,
        cpe_uptime_s=86400,
        dns_ok=True,
        dns_detail="ok",
    )
    for lk in inv.links:
        f.links[lk.name] = LinkFacts(lk.name, lk.opd, True, 0.0, 0.001, 0.0, 0.1)
    return f


def test_uplink_is_found_from_the_p2p_prefix_without_an_opd(inv: Inventory) -> None:
    assert uplinks(inv) == [("core", "eth7", "100.64.0.2")]


def test_healthy_facts_find_no_fault(inv: Inventory) -> None:
    d = decide(inv, healthy(inv))
    assert d.verdict is Verdict.NO_FAULT_FOUND and all(e.ok is not False for e in d.evidence)


@pytest.mark.parametrize(
    ("change", "verdict"),
    [
        (lambda f: setattr(f, "uplink_up", False), Verdict.UPSTREAM),
        (lambda f: setattr(f, "core_reachable", False), Verdict.DATACENTER_CORE),
        (lambda f: [setattr(lf, "port_up", False) for lf in f.links.values()], Verdict.DATACENTER_CORE),
        (lambda f: setattr(f.links["dinkes-wan"], "port_up", False), Verdict.CIRCUIT_DOWN),
        (lambda f: setattr(f.links["dinkes-wan"], "wan_loss", 1.0), Verdict.CIRCUIT_DOWN),
        (lambda f: setattr(f.links["dinkes-wan"], "utilization", 0.97), Verdict.CONGESTION),
        (lambda f: setattr(f.links["dinkes-wan"], "wan_loss", 0.3), Verdict.PROVIDER_LINK_DEGRADED),
        (lambda f: setattr(f.links["dinkes-wan"], "lan_loss", 1.0), Verdict.OPD_SIDE),
        (lambda f: setattr(f, "cpe_uptime_s", 120), Verdict.OPD_SIDE),
        (lambda f: setattr(f, "dns_ok", False), Verdict.DNS_OR_SERVICE),
        (lambda f: f.servers_down.append("simpeg.pemkot.test"), Verdict.DNS_OR_SERVICE),
    ],
)
def test_each_verdict_from_its_facts(inv: Inventory, change: object, verdict: Verdict) -> None:
    f = healthy(inv)
    change(f)  # type: ignore[operator]
    assert decide(inv, f).verdict is verdict


@pytest.mark.parametrize("loss", [0.2, 1.0])
def test_congestion_wins_over_the_loss_it_causes(inv: Inventory, loss: float) -> None:
    f = healthy(inv)
    f.links["dinkes-wan"].utilization, f.links["dinkes-wan"].wan_loss = 0.95, loss
    assert decide(inv, f).verdict is Verdict.CONGESTION


def test_rtt_far_beyond_the_baseline_is_degraded(inv: Inventory) -> None:
    f = healthy(inv)
    f.links["dinkes-wan"].rtt_baseline, f.links["dinkes-wan"].wan_rtt = 0.005, 0.080
    assert decide(inv, f).verdict is Verdict.PROVIDER_LINK_DEGRADED
    f.links["dinkes-wan"].wan_rtt = 0.012  # below 3x and below baseline + 20 ms
    assert decide(inv, f).verdict is Verdict.NO_FAULT_FOUND


def test_upstream_groups_every_opd_and_circuit_down_names_the_provider(inv: Inventory) -> None:
    f = healthy(inv, "dishub")
    f.uplink_up = False
    assert decide(inv, f).affected == ["bappeda", "dinkes", "disdik", "dishub"]
    g = healthy(inv, "dishub")
    g.links["dishub-wan"].port_up = False
    d = decide(inv, g)
    assert d.provider["circuit_id"] == "JN-77-1203" and "JN-77-1203" in d.next_step
