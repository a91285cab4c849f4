"""Metric names, labels and absence rules, rendered from a fixed snapshot."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.samples import ProbeResult
from core.health import LinkState
from core.snapshot import DeviceView, IpamView, LinkView, MaintenanceView, ProbeView, Snapshot
from exporters.prometheus import DEPRECATED_BITS, SnapshotRenderer

RULES = Path(__file__).resolve().parents[3] / "exporters" / "prometheus" / "rules.yml"


def snapshot() -> Snapshot:
    up = LinkView(
        "dinkes-wan", "dinkes", "PT A", "core", "eth1", 10_000_000, LinkState.UP, (), True, 1000, 2000, 4e6, 9.5e6, 0, 1
    )
    lost = LinkView("disdik-wan", "disdik", "PT A", "core", "eth2", 20_000_000, LinkState.DOWN, ("no-icmp-reply",))
    probe = ProbeView(
        "opd-dinkes-wan", "10.0.1.2", "cpe-wan", "dinkes", ProbeResult("10.0.1.2", 0.0, 4, (0.001, 0.003))
    )
    silent = ProbeView("opd-disdik-wan", "10.0.2.2", "cpe-wan", "disdik", ProbeResult("10.0.2.2", 0.0, 4, ()))
    return Snapshot(
        1.0,
        (up, lost),
        (probe, silent),
        (DeviceView("core", True, 12.5), DeviceView("opd-disdik", False, opd="disdik")),
        {"snmp": 0.2},
        {("snmp", "timeout"): 3},
        {"device-restart": 2},
        (IpamView("servers", "10.10.20.0/24", 3, 185, 66, 0),),
        (MaintenanceView("dishub", 1_795_000_000.0, {"warn": 0, "fail": 6}),),
        {"dinkes": 2, "disdik": 0},
        {"assign": 1},
        tickets_overdue={("dinkes", "assign"): 1},
    )


def scrape(snap: Snapshot, deprecated: bool = True) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(SnapshotRenderer(deprecated).render(snap)):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def test_link_series_carry_the_conventional_labels_and_rates() -> None:
    data = scrape(snapshot())
    labels, rate = data["pantau_link_transmit_bytes_per_second"][0]
    assert labels == {"opd": "dinkes", "link": "dinkes-wan", "device": "core", "interface": "eth1", "provider": "PT A"}
    assert rate == 9.5e6 / 8  # bytes per second: Prometheus' base unit
    assert ({**labels, "direction": "transmit"}, 0.95) in data["pantau_link_utilization_ratio"]
    assert (labels, 2000.0) in data["pantau_link_transmit_bytes_total"]


def test_values_not_collected_are_absent_not_zero() -> None:
    data = scrape(snapshot())
    for name in ("pantau_link_receive_bytes_per_second", "pantau_link_oper_up", "pantau_link_receive_bytes_total"):
        assert all(lbl["link"] != "disdik-wan" for lbl, _ in data[name]), name
    assert all(lbl["device"] != "opd-disdik" for lbl, _ in data.get("pantau_device_uptime_seconds", []))
    assert not [1 for lbl, _ in data.get("pantau_probe_rtt_seconds", []) if lbl["opd"] == "disdik"]


def test_link_state_has_one_series_per_state_with_the_current_one_set() -> None:
    states = {(lbl["link"], lbl["state"]): v for lbl, v in scrape(snapshot())["pantau_link_state"]}
    assert {s for (link, s), v in states.items() if link == "disdik-wan" and v == 1.0} == {"down"}
    assert sum(v for (link, _), v in states.items() if link == "dinkes-wan") == 1.0
    assert len(states) == 2 * len(LinkState)
    reasons = scrape(snapshot())["pantau_link_state_reason"]
    assert [(lbl["link"], lbl["reason"]) for lbl, _ in reasons] == [("disdik-wan", "no-icmp-reply")]


def test_probe_and_collector_families() -> None:
    data = scrape(snapshot())
    assert {lbl["target"]: v for lbl, v in data["pantau_probe_up"]} == {"opd-dinkes-wan": 1.0, "opd-disdik-wan": 0.0}
    assert {lbl["target"]: v for lbl, v in data["pantau_probe_loss_ratio"]} == {
        "opd-dinkes-wan": 0.5,
        "opd-disdik-wan": 1.0,
    }
    assert ({"collector": "snmp", "reason": "timeout"}, 3.0) in data["pantau_collector_errors_total"]
    assert ({"reason": "device-restart"}, 2.0) in data["pantau_rate_samples_discarded_total"]
    assert {lbl["device"]: v for lbl, v in data["pantau_device_up"]} == {"core": 1.0, "opd-disdik": 0.0}


def test_ipam_addresses_have_one_series_per_state_of_each_prefix() -> None:
    data = scrape(snapshot())["pantau_ipam_addresses"]
    assert {lbl["state"]: v for lbl, v in data} == {"used": 3, "free": 185, "reserved": 66, "conflict": 0}
    assert {lbl["prefix"] for lbl, _ in data} == {"servers"}


def test_maintenance_metrics_per_location() -> None:
    data = scrape(snapshot())
    assert data["pantau_maintenance_last_run_timestamp_seconds"] == [({"opd": "dishub"}, 1_795_000_000.0)]
    assert ({"opd": "dishub", "severity": "fail"}, 6.0) in data["pantau_maintenance_findings"]


def test_ticket_metrics() -> None:
    data = scrape(snapshot())
    assert sorted(data["pantau_tickets_open"], key=lambda x: x[0]["opd"]) == [
        ({"opd": "dinkes"}, 2.0),
        ({"opd": "disdik"}, 0.0),
    ]
    assert data["pantau_ticket_sla_breaches_total"] == [({"step": "assign"}, 1.0)]


def test_every_metric_has_the_pantau_prefix() -> None:
    assert all(name.startswith("pantau_") for name in scrape(snapshot()))


def test_grafana_dashboard_queries_only_metrics_the_exporter_renders() -> None:
    import json
    import re

    dashboard = json.loads((RULES.parent.parent / "grafana" / "opd-links.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"pantau_[a-z_]+", e)}
    rendered = set(scrape(snapshot()))
    assert used and used <= rendered, used - rendered


def test_label_values_with_quotes_backslashes_and_newlines_read_back_unchanged() -> None:
    odd = 'PT "Nusa"\\Net\nJaringan'
    link = LinkView("a-wan", "a", odd, "core", "eth1", 10_000_000, LinkState.UP)
    data = scrape(Snapshot(1.0, (link,)))
    assert data["pantau_link_subscribed_bytes_per_second"] == [
        ({"opd": "a", "link": "a-wan", "device": "core", "interface": "eth1", "provider": odd}, 1_250_000.0)
    ]


def test_the_pre_0_2_names_in_bits_stay_beside_the_new_ones_until_switched_off() -> None:
    with_old, without = scrape(snapshot()), scrape(snapshot(), deprecated=False)
    for new, old in DEPRECATED_BITS.items():
        assert [(lbl, v * 8) for lbl, v in with_old[new]] == with_old[old], old  # the same series, x 8
        assert old not in without and without[new] == with_old[new]
    assert set(with_old) - set(without) == set(DEPRECATED_BITS.values())


def test_the_exposition_passes_promtools_check_without_the_deprecated_names() -> None:
    promtool = shutil.which("promtool")
    if promtool is None and not os.environ.get("CI"):
        pytest.skip("promtool (Debian's prometheus package: make setup) is not installed")
    assert promtool is not None, "CI must have promtool: make setup installs it"
    for deprecated, expected in (
        (False, set()),
        (True, {f'{n} use base unit "bytes" instead of "bits"' for n in DEPRECATED_BITS.values()}),
    ):
        text = SnapshotRenderer(deprecated).render(snapshot())
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
        assert {line for line in (check.stdout + check.stderr).splitlines() if line.strip()} == expected


def test_metrics_endpoint_serves_the_snapshot_and_the_registry_gzipped_when_asked() -> None:
    import gzip

    from prometheus_client import CollectorRegistry

    from agent.daemon import http_app
    from exporters.prometheus import BuildInfoCollector

    registry = CollectorRegistry()
    registry.register(BuildInfoCollector("9.9", "3.11"))
    app = http_app(registry, lambda: None, lambda: SnapshotRenderer().render(snapshot()))
    for accept, decode in (("", bytes), ("gzip, deflate", gzip.decompress)):
        headers: dict[str, str] = {}
        environ = {"PATH_INFO": "/metrics", "HTTP_ACCEPT_ENCODING": accept}
        body = b"".join(app(environ, lambda _, h, into=headers: into.update(h)))
        names = {f.name for f in text_string_to_metric_families(decode(body).decode())}
        assert {"pantau_link_state", "pantau_build_info"} <= names
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert headers.get("Content-Encoding") == ("gzip" if accept else None)


def test_an_agent_of_a_cluster_exports_its_share_and_every_link_it_knows() -> None:
    shared = dataclasses.replace(
        snapshot(), cluster=("nms-a", 3, 4), cluster_links=(("dinkes", "dinkes-wan"), ("disdik", "disdik-wan"))
    )
    data = scrape(shared)
    assert data["pantau_cluster_members"] == [({"agent": "nms-a"}, 3.0)]
    assert data["pantau_agent_devices"] == [({"agent": "nms-a"}, 4.0)]
    assert data["pantau_cluster_link_info"] == [
        ({"opd": "dinkes", "link": "dinkes-wan"}, 1.0),
        ({"opd": "disdik", "link": "disdik-wan"}, 1.0),
    ]
    assert "pantau_cluster_link_info" not in scrape(snapshot())  # one agent alone: its links are all of them


def test_each_device_s_polls_are_counted_including_those_another_agent_polls_now() -> None:
    data = scrape(dataclasses.replace(snapshot(), device_polls={"core": 12, "sw1": 3}))
    assert data["pantau_device_polls_total"] == [({"device": "core"}, 12.0), ({"device": "sw1"}, 3.0)]
