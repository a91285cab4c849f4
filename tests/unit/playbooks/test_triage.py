"""The triage decision as a pure function: each verdict from the facts that make it, widest cause first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from core.health import HealthThresholds, LinkState, UtilizationPoint, link_causes, link_health
from core.topology import uplinks
from inventory.loader import load_inventory
from inventory.models import Inventory
from playbooks.tickets import pack_text
from playbooks.triage.decide import (
    RULES,
    LinkFacts,
    Period,
    TriageFacts,
    Verdict,
    decide,
    decisive_without_rates,
    judge,
)
from playbooks.triage.gather import fill_history
from store.engine import open_store
from store.schema import LinkEvent, LinkRollup

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


# one case per row of the rule table: the change to healthy facts that makes exactly that row decide
ROW_CASES: dict[str, list[tuple[Callable[[TriageFacts], object], Verdict]]] = {
    "upstream-cut": [(lambda f: setattr(f, "uplink_up", False), Verdict.UPSTREAM)],
    "core-silent": [(lambda f: setattr(f, "core_reachable", False), Verdict.DATACENTER_CORE)],
    "port-down": [
        (lambda f: setattr(f.links["dinkes-wan"], "port_up", False), Verdict.CIRCUIT_DOWN),
        # every port down while the core answers: this OPD's own path (its port) decides, grouped (below)
        (lambda f: [setattr(lf, "port_up", False) for lf in f.links.values()], Verdict.CIRCUIT_DOWN),
    ],
    "link-full": [(lambda f: setattr(f.links["dinkes-wan"], "utilization", 0.97), Verdict.CONGESTION)],
    "circuit-silent": [(lambda f: setattr(f.links["dinkes-wan"], "wan_loss", 1.0), Verdict.CIRCUIT_DOWN)],
    "link-degraded": [(lambda f: setattr(f.links["dinkes-wan"], "wan_loss", 0.3), Verdict.PROVIDER_LINK_DEGRADED)],
    "opd-lan-dead": [(lambda f: setattr(f.links["dinkes-wan"], "lan_loss", 1.0), Verdict.OPD_SIDE)],
    "cpe-rebooted": [(lambda f: setattr(f, "cpe_uptime_s", 120), Verdict.OPD_SIDE)],
    "service-down": [
        (lambda f: setattr(f, "dns_ok", False), Verdict.DNS_OR_SERVICE),
        (lambda f: f.servers_down.append("simpeg.pemkot.test"), Verdict.DNS_OR_SERVICE),
    ],
    "no-fault": [(lambda f: None, Verdict.NO_FAULT_FOUND)],
}


def test_every_row_of_the_rule_table_has_its_case() -> None:
    assert list(ROW_CASES) == [rule.name for rule in RULES]


@pytest.mark.parametrize(
    ("row", "change", "verdict"),
    [(row, change, verdict) for row, cases in ROW_CASES.items() for change, verdict in cases],
)
def test_each_row_decides_from_its_facts(
    inv: Inventory, row: str, change: Callable[[TriageFacts], object], verdict: Verdict
) -> None:
    f = healthy(inv)
    change(f)
    rule, diagnosis = judge(inv, f)
    assert (rule.name, diagnosis.verdict) == (row, verdict)
    # every row before it looked and passed: its evidence is there, and none of it decided
    looked = {e.check for e in diagnosis.evidence}
    assert "core" in looked or row == "upstream-cut"
    assert ("wan-icmp" in looked) == (row not in ("upstream-cut", "core-silent"))


def test_a_row_adds_its_evidence_only_when_the_walk_reaches_it(inv: Inventory) -> None:
    f = healthy(inv)
    f.links["dinkes-wan"].utilization = 0.97
    checks = [e.check for e in decide(inv, f).evidence]
    assert checks[-1] == "utilization" and "dns" not in checks and "lan-gateway" not in checks
    assert [e.check for e in decide(inv, healthy(inv)).evidence][-2:] == ["dns", "servers"]


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


@pytest.mark.parametrize(
    ("change", "decisive"),
    [
        (lambda f: setattr(f, "uplink_up", False), True),
        (lambda f: setattr(f, "core_reachable", False), True),
        (lambda f: setattr(f.links["dinkes-wan"], "port_up", False), True),
        # a full link drops every probe too: 100 % loss with the port up needs the utilization first
        (lambda f: setattr(f.links["dinkes-wan"], "wan_loss", 1.0), False),
        (lambda f: setattr(f.links["dinkes-wan"], "wan_loss", 0.3), False),
        (lambda f: None, False),
    ],
)
def test_triage_stops_before_the_rate_window_only_when_utilization_cannot_change_the_verdict(
    inv: Inventory, change: object, decisive: bool
) -> None:
    f = healthy(inv)
    for lf in f.links.values():
        lf.utilization = None
    change(f)  # type: ignore[operator]
    early = decisive_without_rates(inv, f)
    assert (early is not None) is decisive
    if early is not None:
        f.rates_measured = False
        d = decide(inv, f)
        assert d.verdict is early.verdict
        assert [e.ok for e in d.evidence if e.check == "utilization"] == [None]


def test_evidence_pack_dates_a_port_down_outage_from_if_last_change(inv: Inventory) -> None:
    wib = ZoneInfo("Asia/Jakarta")
    f = healthy(inv, "dishub")
    f.collected_at = datetime(2026, 11, 22, 10, 30, 0, tzinfo=wib)
    f.links["dishub-wan"].port_up, f.links["dishub-wan"].last_change_s = False, 95.0
    f.links["dishub-wan"].wan_loss = 1.0
    f.outage_start = datetime(2026, 11, 22, 10, 29, 0, tzinfo=wib)  # the agent saw it at its next poll
    f.flaps_24h = 3
    f.last_good = datetime(2026, 11, 22, 10, 25, 0, tzinfo=wib)
    f.timeline = [Period(datetime(2026, 11, 22, 10, 20, tzinfo=wib), 0.0, 0.004), Period(f.last_good, 1.0, None)]
    typed = decide(inv, f).pack
    pack = typed.to_json()
    assert pack["outage_start"] == "2026-11-22T10:28:25+07:00"
    assert pack["last_good"] == "2026-11-22T10:25:00+07:00" and pack["flaps_24h"] == 3
    assert pack["loss_timeline"][0] == {"period_start": "2026-11-22T10:20:00+07:00", "loss": 0.0, "rtt_ms": 4.0}
    text = pack_text(typed)
    assert "paket bukti untuk PT Jaringan Nusantara (sirkuit JN-77-1203, jalur dishub-wan)" in text
    assert "- port pusat data core:eth3: down, status berubah 95 detik lalu" in text
    assert "- loss per 5 menit (jam terakhir): 10:20 0%, 10:25 100%" in text
    f.links["dishub-wan"].port_up = True  # up with total loss: the agent's record is all there is
    assert decide(inv, f).pack.to_json()["outage_start"] == "2026-11-22T10:29:00+07:00"


def test_congestion_points_to_the_month_95th_percentile(inv: Inventory) -> None:
    f = healthy(inv)
    f.links["dinkes-wan"].utilization = 0.97
    f.month_p95_bps = 18_500_000
    subscribed = next(lk for lk in inv.links if lk.opd == "dinkes").subscribed_mbps
    assert f"persentil ke-95 bulan ini 18.5 Mbit/s ({18.5 / subscribed:.0%} dari langganan)" in decide(inv, f).next_step


def test_history_from_the_store_gives_flaps_outage_start_last_good_and_p95(inv: Inventory, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")
    wib = ZoneInfo("Asia/Jakarta")
    now = datetime(2026, 11, 22, 10, 30, tzinfo=wib)
    utc = now.astimezone(UTC)

    def ev(minutes: int, a: str, b: str, link: str = "dishub-wan") -> dict[str, object]:
        at = utc - timedelta(minutes=minutes)
        return {"link": link, "opd": "dishub", "at": at, "from_state": a, "to_state": b, "reasons": "", "cause": "link"}

    def rollup(minutes: int, loss: float, bps: float) -> dict[str, object]:
        return {
            "link": "dishub-wan",
            "opd": "dishub",
            "period_start": utc - timedelta(minutes=minutes),
            "period_seconds": 300,
            "samples": 10,
            "in_bps_avg": bps,
            "in_bps_max": bps,
            "out_bps_avg": bps / 2,
            "out_bps_max": bps / 2,
            "loss_ratio": loss,
            "rtt_avg_seconds": 0.004,
        }

    with store.begin() as conn:
        conn.execute(
            insert(LinkEvent),
            [
                ev(60 * 30, "up", "down"),  # more than a day ago: not a flap of today
                ev(50, "up", "down"),
                ev(45, "down", "up"),
                ev(12, "up", "degraded"),
                ev(7, "degraded", "down"),
                ev(7, "up", "down", link="dinkes-wan"),
            ],
        )
        rows = [rollup(m, 0.0, 1e6 * (m % 7)) for m in range(60 * 24 * 20, 20, -5)]  # 20 days, within the month
        conn.execute(insert(LinkRollup), [*rows, rollup(20, 0.0, 5e6), rollup(15, 0.02, 5e6), rollup(10, 0.6, 1e6)])
    f = healthy(inv, "dishub")
    link = next(lk for lk in inv.links if lk.opd == "dishub")
    fill_history(store, f, link, now, 0.05)
    assert f.flaps_24h == 2
    assert f.outage_start == now - timedelta(minutes=12)  # when it left "up", not when it got worse
    assert f.last_good == now - timedelta(minutes=10)  # the end of the period that began 15 minutes ago
    assert [p.loss for p in f.timeline][-3:] == [0.0, 0.02, 0.6]
    assert all(p.start.tzinfo is not None and now - p.start <= timedelta(hours=1) for p in f.timeline)
    assert f.month_p95_bps == 6e6  # in_bps over 5-minute periods cycle 0..6 Mbit/s


def test_no_records_in_a_day_means_flaps_unknown_not_zero(inv: Inventory, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")
    f = healthy(inv, "dishub")
    fill_history(store, f, next(lk for lk in inv.links if lk.opd == "dishub"), datetime.now(UTC), 0.05)
    assert (f.flaps_24h, f.outage_start, f.last_good, f.timeline, f.month_p95_bps) == (None, None, None, [], None)


LIMITS = [HealthThresholds(), HealthThresholds(loss_degraded=0.2, saturation_ratio=0.7)]


@pytest.mark.parametrize("t", LIMITS, ids=["defaults", "configured"])
@pytest.mark.parametrize("loss", [0.0, 0.04, 0.05, 0.1, 0.2, 0.5])
def test_triage_and_link_health_judge_loss_alike(inv: Inventory, t: HealthThresholds, loss: float) -> None:
    f = healthy(inv)
    f.links["dinkes-wan"].wan_loss = loss
    health = link_health(True, loss, 0.001, [], 0.0, t)
    degraded_by_health = "loss" in health.reasons
    degraded_by_triage = decide(inv, f, t).verdict is Verdict.PROVIDER_LINK_DEGRADED
    assert degraded_by_health == degraded_by_triage


@pytest.mark.parametrize("t", LIMITS, ids=["defaults", "configured"])
@pytest.mark.parametrize("ratio", [0.5, 0.69, 0.7, 0.89, 0.9, 1.0])
def test_triage_and_link_health_judge_saturation_alike(inv: Inventory, t: HealthThresholds, ratio: float) -> None:
    f = healthy(inv)
    f.links["dinkes-wan"].utilization = ratio
    # the same utilization held over the whole saturation window
    history = [UtilizationPoint(float(s), ratio, 30.0) for s in range(30, 331, 30)]
    health = link_health(True, 0.0, 0.001, history, 330.0, t)
    assert ("saturation" in health.reasons) == (decide(inv, f, t).verdict is Verdict.CONGESTION)


@pytest.mark.parametrize("core_answers", [True, False])
@pytest.mark.parametrize("down", [1, 2, 3])
def test_triage_and_the_exported_link_cause_agree_on_the_core(inv: Inventory, down: int, core_answers: bool) -> None:
    names = [lk.name for lk in inv.links]
    f = healthy(inv, inv.links[0].opd)
    f.core_reachable = core_answers
    for name in names[:down]:
        f.links[name].port_up = False
    states = {n: LinkState.DOWN if i < down else LinkState.UP for i, n in enumerate(names)}
    causes = link_causes(states, {n: "core" for n in names}, {"core": core_answers})
    core_by_triage = decide(inv, f).verdict is Verdict.DATACENTER_CORE
    assert core_by_triage == (causes[names[0]] == "datacenter-core") == (not core_answers)


def with_extra_opds(inv: Inventory, f: TriageFacts, total: int) -> TriageFacts:
    """The facts of a city with ``total`` OPD links: the inventory's, and healthy ones beside them."""
    for i in range(total - len(f.links)):
        f.links[f"extra{i}-wan"] = LinkFacts(f"extra{i}-wan", f"extra{i}", True, 0.0, 0.001, 0.0, 0.1)
    return f


@pytest.mark.parametrize("total", [4, 40])
@pytest.mark.parametrize("cuts", [2, 3])
def test_simultaneous_cuts_never_blame_the_core_while_it_answers(inv: Inventory, total: int, cuts: int) -> None:
    cut = [lk.opd for lk in inv.links][:cuts]
    for opd in [lk.opd for lk in inv.links]:
        f = with_extra_opds(inv, healthy(inv, opd), total)
        for lk in inv.links:
            if lk.opd in cut:  # a cut circuit: the data-center port is down and the CPE does not answer
                f.links[lk.name].port_up, f.links[lk.name].wan_loss = False, 1.0
        d = decide(inv, f)
        if opd in cut:
            assert d.verdict is Verdict.CIRCUIT_DOWN
            # among 4, the cuts are half or more: grouped as one widespread outage
            assert d.affected == (sorted(cut) if cuts * 2 >= total else [opd])
        else:
            assert d.verdict is Verdict.NO_FAULT_FOUND, (opd, d.summary)
            assert d.affected == [opd]
