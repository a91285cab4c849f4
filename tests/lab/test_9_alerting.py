"""The shipped Alertmanager configuration, run by a real Alertmanager on loopback: for each cause, the
alerts that fire beside its page are held back by the inhibit rules, and alerts of other causes are not.

(The rules' own expressions already leave most symptoms out, rules-test.yml; these are the races where
two alerts of one cause fire, e.g. the core's page 1 minute in and an OPD's link page 2 minutes in.)
No lab: Alertmanager listens on 127.0.0.1 only, with clustering off.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[2] / "exporters" / "prometheus" / "alertmanager.yml"
LINK = {"link": "dinkes-wan", "interface": "eth1", "provider": "PT Telekomunikasi Contoh", "job": "pantau"}
Post = Callable[[list[dict[str, str]]], dict[str, str]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Post]:
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(SHIPPED.read_text().replace("http://127.0.0.1:9095/alert", "http://127.0.0.1:1/alert"))
    argv = ["prometheus-alertmanager", f"--config.file={config}", f"--storage.path={tmp_path / 'data'}"]
    argv += [f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]
    log = (tmp_path / "alertmanager.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v2"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/status", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "alertmanager.log").read_text()
                assert time.monotonic() < deadline, "Alertmanager did not start"
                time.sleep(0.2)

        def post(alerts: list[dict[str, str]]) -> dict[str, str]:
            now = datetime.now(UTC).isoformat()
            body = json.dumps([{"labels": labels, "startsAt": now} for labels in alerts]).encode()
            request = urllib.request.Request(f"{base}/alerts", data=body, headers={"Content-Type": "application/json"})
            assert urllib.request.urlopen(request, timeout=5).status == 200
            got = json.load(urllib.request.urlopen(f"{base}/alerts", timeout=5))
            return {a["labels"]["alertname"] + "/" + a["labels"].get("opd", ""): a["status"]["state"] for a in got}

        yield post
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_the_core_down_is_the_only_active_alert_of_its_cause(alertmanager: Post) -> None:
    states = alertmanager(
        [
            {"alertname": "PantauDatacenterCoreDown", "device": "core", "severity": "critical"},
            {"alertname": "PantauOpdLinkDown", "device": "core", "opd": "dinkes", "cause": "link", **LINK},
            {"alertname": "PantauDeviceUnreachable", "device": "core", "job": "pantau"},
            {"alertname": "PantauUpstreamDown", "target": "upstream-core-eth7", "address": "100.64.0.2"},
        ]
    )
    assert states == {
        "PantauDatacenterCoreDown/": "active",
        "PantauOpdLinkDown/dinkes": "suppressed",
        "PantauDeviceUnreachable/": "suppressed",
        "PantauUpstreamDown/": "suppressed",
    }


def test_a_cut_link_holds_back_its_own_symptoms_and_no_other_opds(alertmanager: Post) -> None:
    states = alertmanager(
        [
            {"alertname": "PantauOpdLinkDown", "device": "core", "opd": "dinkes", "cause": "link", **LINK},
            {"alertname": "PantauOpdLinkLoss", "opd": "dinkes"},
            {"alertname": "PantauOpdLinkFlapping", "opd": "dinkes", "link": "dinkes-wan"},
            {"alertname": "PantauDeviceUnreachable", "device": "opd-dinkes", "opd": "dinkes"},
            {"alertname": "PantauOpdLinkLoss", "opd": "disdik"},
        ]
    )
    assert states == {
        "PantauOpdLinkDown/dinkes": "active",
        "PantauOpdLinkLoss/dinkes": "suppressed",
        "PantauOpdLinkFlapping/dinkes": "suppressed",
        "PantauDeviceUnreachable/dinkes": "suppressed",
        "PantauOpdLinkLoss/disdik": "active",  # another OPD's loss is its own cause
    }


def test_the_agent_down_holds_back_its_stale_polling_and_failing_collectors(alertmanager: Post) -> None:
    agent = {"job": "pantau", "instance": "nms:9469"}
    states = alertmanager(
        [
            {"alertname": "PantauAgentDown", **agent},
            {"alertname": "PantauPollingStale", "collector": "snmp", **agent},
            {"alertname": "PantauCollectorFailing", "collector": "snmp", "reason": "auth", **agent},
            {"alertname": "PantauIpamPrefixNearlyFull", "prefix": "servers", "network": "10.10.20.0/24"},
        ]
    )
    assert states == {
        "PantauAgentDown/": "active",
        "PantauPollingStale/": "suppressed",
        "PantauCollectorFailing/": "suppressed",
        "PantauIpamPrefixNearlyFull/": "active",
    }
