"""Maintenance checks as pure functions: restarts and the 497-day wrap, link status and errors, routing, DNS."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp_values import parse_date_and_time
from core.checks import config_drift, dns, health, links, routing, uptime
from core.findings import DeviceFacts, DnsFacts, InterfaceFacts, Status, Thresholds
from core.rates import UPTIME_MODULO as TICKS_32
from inventory.loader import load_inventory
from inventory.models import Inventory

INVENTORY = Path(__file__).resolve().parents[3] / "inventory" / "example"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def facts(device: str, at: float, ticks: int | None) -> DeviceFacts:
    return DeviceFacts(device, taken_at=at, snmp_ok=True, uptime_ticks=ticks)


def test_uptime_advancing_with_the_clock_is_no_restart(inv: Inventory) -> None:
    r = uptime(inv, facts("core", 7 * 86400, 7 * 86400 * 100 + 500_000), facts("core", 0, 500_000))
    assert r.status is Status.PASS


def test_uptime_going_back_is_a_restart(inv: Inventory) -> None:
    r = uptime(inv, facts("core", 3600, 1000), facts("core", 0, 90_000_000))
    assert r.status is Status.WARN and r.location == "pusat-data"


def test_restart_long_ago_with_uptime_now_higher_is_still_a_restart(inv: Inventory) -> None:
    # a week between runs, restarted on day 5: uptime (2 days) > the old uptime (1 day), but did not keep pace
    r = uptime(inv, facts("core", 7 * 86400, 2 * 86400 * 100), facts("core", 0, 86400 * 100))
    assert r.status is Status.WARN


def test_the_497_day_wrap_of_sysuptime_is_not_a_restart(inv: Inventory) -> None:
    before = TICKS_32 - 3600 * 100  # an hour before the 32-bit wrap
    r = uptime(inv, facts("core", 7200, 3600 * 100), facts("core", 0, before))
    assert r.status is Status.PASS


def test_first_run_records_a_baseline_and_missing_uptime_is_skipped(inv: Inventory) -> None:
    assert uptime(inv, facts("core", 0, 5), None).status is Status.PASS
    assert uptime(inv, facts("core", 0, None), None).status is Status.SKIP


def link_facts(inv: Inventory, oper: bool = True, admin: bool = True, errors: int = 0) -> dict[str, DeviceFacts]:
    out = {}
    for name in ("core", "opd-dinkes", "opd-disdik", "opd-dishub", "opd-bappeda"):
        f = facts(name, 0, 1)
        f.interfaces = {i.name: InterfaceFacts(True, True, 0) for i in inv.device(name).interfaces}
        out[name] = f
    out["core"].interfaces["eth1"] = InterfaceFacts(oper, admin, errors)
    return out


def test_admin_up_oper_down_fails_at_the_links_opd(inv: Inventory) -> None:
    results = links(inv, link_facts(inv, oper=False), {}, Thresholds())
    bad = [(r.location, r.subject, r.status) for r in results if r.status is not Status.PASS]
    assert bad == [("dinkes", "core:eth1 (dinkes-wan)", Status.FAIL)]


def test_admin_down_is_a_warning_not_a_failure(inv: Inventory) -> None:
    results = links(inv, link_facts(inv, oper=False, admin=False), {}, Thresholds())
    assert [r.status for r in results if r.subject.startswith("core:eth1")] == [Status.WARN]


def test_error_growth_beyond_the_threshold_warns_and_a_counter_reset_is_ignored(inv: Inventory) -> None:
    before = link_facts(inv, errors=1000)
    grown = links(inv, link_facts(inv, errors=1200), before, Thresholds(error_growth=100))
    eth1 = "core:eth1 (dinkes-wan)"
    assert [r.status for r in grown if r.check == "link.errors" and r.subject == eth1] == [Status.WARN]
    assert "200" in next(r.finding for r in grown if r.check == "link.errors" and r.subject == eth1)
    reset = links(inv, link_facts(inv, errors=3), before, Thresholds(error_growth=100))
    assert [r for r in reset if r.check == "link.errors" and r.subject == eth1] == []


def test_missing_route_to_an_opd_lan_fails_at_that_opd(inv: Inventory) -> None:
    lans = ["10.30.1.0/24", "10.30.2.0/24", "10.30.4.0/24"]  # dishub's 10.30.3.0/24 missing
    f = {"core": DeviceFacts("core", 0, routes=lans, ospf_full=["eth1", "eth2", "eth4"])}
    for cpe in ("opd-dinkes", "opd-disdik", "opd-dishub", "opd-bappeda"):
        f[cpe] = DeviceFacts(cpe, 0, routes=["0.0.0.0/0"], ospf_full=["eth1"])  # a default route covers all
    bad = {(r.location, r.check, r.device, r.subject) for r in routing(inv, f) if r.status is Status.FAIL}
    assert bad == {
        ("dishub", "routing.routes", "core", "10.30.3.0/24"),
        ("dishub", "routing.ospf", "core", "core:eth3"),
    }


def test_config_drift_shows_the_diff_and_ignores_an_unchanged_config(inv: Inventory) -> None:
    old = "hostname core\n!\nend\n"
    new = "hostname core\nip route 192.0.2.0/24 Null0\n!\nend\n"
    changed = config_drift(inv, "core", new, old)
    assert changed.status is Status.WARN and "+ip route 192.0.2.0/24 Null0" in changed.detail
    assert "(1 baris)" in changed.finding
    assert config_drift(inv, "core", old, old).status is Status.PASS


def test_dns_serials_must_agree_and_every_server_answer() -> None:
    same = dns([DnsFacts("pemkot.test", {"10.10.53.53": 7, "10.10.53.54": 7})])
    differ = dns([DnsFacts("pemkot.test", {"10.10.53.53": 7, "10.10.53.54": 6})])
    silent = dns([DnsFacts("pemkot.test", {"10.10.53.53": 7, "10.10.53.54": None})])
    assert [r.status for r in same + differ + silent] == [Status.PASS, Status.WARN, Status.FAIL]


def test_disk_and_clock_thresholds(inv: Inventory) -> None:
    f = DeviceFacts("srv-app1", 0, disk_used_pct=96, clock_skew_s=-7.0)
    by_check = {r.check: r.status for r in health(inv, f, Thresholds())}
    assert by_check == {"health.disk": Status.FAIL, "clock.skew": Status.WARN}


def test_cpu_load_is_judged_when_known_and_not_checked_when_the_device_has_no_value_yet(inv: Inventory) -> None:
    busy, young, none = (
        DeviceFacts("core", 0, cpu_load_pct=97.0, processors=2),
        DeviceFacts("core", 0, processors=2),  # snmpd lists its processors, their load after a minute
        DeviceFacts("core", 0),  # no HOST-RESOURCES-MIB processors at all: nothing to say
    )
    assert [(r.check, r.status) for r in health(inv, busy, Thresholds())] == [("health.cpu", Status.WARN)]
    (skipped,) = health(inv, young, Thresholds())
    assert (skipped.check, skipped.status) == ("health.cpu", Status.SKIP) and "satu menit" in skipped.finding
    assert health(inv, none, Thresholds()) == []


def test_date_and_time_octets_with_and_without_zone() -> None:
    utc = parse_date_and_time(bytes([0x07, 0xEA, 11, 22, 6, 51, 2, 3, ord("+"), 0, 0]))
    assert utc is not None and utc.isoformat() == "2026-11-22T06:51:02.300000+00:00"
    wib = parse_date_and_time(bytes([0x07, 0xEA, 11, 22, 13, 51, 2, 0, ord("+"), 7, 0]))
    assert wib is not None and wib.timestamp() == utc.timestamp() - 0.3
    assert parse_date_and_time(b"\x00") is None


def test_a_collector_error_reads_in_indonesian_in_the_indonesian_finding_and_in_full_in_the_english(
    inv: Inventory,
) -> None:
    from core.checks import reachability

    english = "opd-dishub (10.255.0.13) as pantau (profile 'lab-ssh'): no SSH answer within 6 s"
    d = DeviceFacts("opd-dishub", taken_at=0.0, icmp_ok=True, ssh_ok=False, ssh_error=english, ssh_reason="ssh-timeout")
    [icmp, ssh] = reachability(inv, d)
    assert icmp.status is Status.PASS and ssh.status is Status.FAIL
    assert ssh.finding == "SSH tidak menjawab: tidak ada jawaban SSH dalam batas waktu"
    assert ssh.finding_en == f"SSH does not answer: {english}"
    unknown = reachability(inv, DeviceFacts("opd-dishub", 0.0, ssh_ok=False, ssh_error="Boom: x", ssh_reason="new"))
    assert "Boom" not in unknown[0].finding and "log agen" in unknown[0].finding
    assert "no SSH answer" not in ssh.finding and "lab-ssh" not in ssh.finding  # none of the collector's English


def test_every_code_the_collectors_raise_has_its_indonesian_words() -> None:
    import re

    from core.findings import REASONS_ID

    root = Path(__file__).resolve().parents[3]
    text = "\n".join(p.read_text() for p in (root / "collectors").glob("*.py"))
    raised = set(re.findall(r'reason = "([a-z-]+)"', text)) | set(
        re.findall(r'\n\s+"([a-z]+(?:-[a-z]+)+|ssh)",?\n\s+\) from None', text)
    )
    raised |= set(re.findall(r'device\.name, "([a-z-]+)"\)', text)) | set(re.findall(r'reason = "([a-z-]+)"\n', text))
    raised -= {"error"}  # the base class's: never raised as such
    missing = sorted(r for r in raised if r not in REASONS_ID)
    assert not missing, f"collector error codes without Indonesian words in core.findings.REASONS_ID: {missing}"
