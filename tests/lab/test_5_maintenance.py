"""Periodic maintenance against the lab: a clean lab passes; injected faults give exactly their findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lab import host
from lab.faults import Faults
from lab.runner import Runner
from store.schema import MaintenanceRun
from tests.conftest import INVENTORY, in_nms

# Every lab device shares this machine's CPU, which other tests may have just kept busy: the CPU check's
# logic is unit-tested, here its threshold is out of reach so a busy CI host cannot make a finding.
ENV = {"PANTAU_MAINTENANCE__CPU_WARN_PCT": "101"}


def maintenance(lab: Runner, state: Path, *args: str) -> dict[str, Any]:
    # no inventory nor known_hosts given: inside the lab, the lab's are the defaults
    argv = [sys.executable, "-m", "agent", "maintenance", "run", "--json", "--state-dir", str(state), *args]
    result = subprocess.run(
        lab.in_node("nms", argv), check=False, capture_output=True, text=True, timeout=300, env={**os.environ, **ENV}
    )
    assert result.returncode == 0, result.stderr + result.stdout
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def findings(run: dict[str, Any]) -> set[tuple[str, str, str, str, str]]:
    return {
        (r["location"], r["check"], r["device"], r["subject"], r["status"])
        for r in run["results"]
        if r["status"] in ("warn", "fail")
    }


def vtysh(lab: Runner, node: str, *commands: str) -> None:
    argv = ["sh", "-c", 'exec /usr/bin/vtysh -N "$(ip netns identify $$)" "$@"', "vtysh"]
    for c in commands:
        argv += ["-c", c]
    lab.exec(node, argv)


CPU_HISTORY = f"""
import asyncio
from pathlib import Path
from collectors.snmp import SnmpCollector
from inventory.loader import load_inventory

async def main():
    inv = load_inventory(Path({str(INVENTORY)!r}))
    collector = SnmpCollector(Path({str(INVENTORY)!r}))
    samples = await asyncio.gather(
        *(collector.system(d, inv.snmp_profile(d.snmp)) for d in inv.devices if d.snmp is not None)
    )
    print(all(s.cpu_load_pct is not None for s in samples))

asyncio.run(main())
"""


def wait_for_cpu_history(lab: Runner) -> None:
    """net-snmp gives hrProcessorLoad after a minute of history: a lab just brought up reports it 'not yet'."""
    deadline = time.monotonic() + 90
    while in_nms(lab, CPU_HISTORY).stdout.strip() != "True":
        assert time.monotonic() < deadline, "no CPU load from the lab's snmpd after 90 s"
        time.sleep(5)


def test_clean_lab_passes_every_check_and_the_reports_say_so(lab: Runner, tmp_path: Path) -> None:
    wait_for_cpu_history(lab)
    run = maintenance(lab, tmp_path, "--output", str(tmp_path / "reports"), "--lang", "id", "--lang", "en")
    assert findings(run) == set()
    assert run["counts"]["fail"] == run["counts"]["warn"] == 0
    assert run["counts"]["pass"] > 60
    assert {r["device"] for r in run["results"] if r["check"] == "health.cpu" and r["status"] == "pass"} >= {
        "core",
        "opd-dinkes",
    }
    skipped = [r for r in run["results"] if r["status"] == "skip"]
    assert skipped == []
    by_location = {r["location"] for r in run["results"]}
    assert by_location == {"dinkes", "disdik", "dishub", "bappeda", "pusat-data"}
    dinkes = next(f for f in run["reports"] if f["location"] == "dinkes")
    text = Path(next(p for p in dinkes["paths"] if p.endswith(".id.md"))).read_text()
    assert "Tidak ada temuan: semua pemeriksaan lulus." in text and "Dinas Kesehatan" in text
    english = Path(next(p for p in dinkes["paths"] if p.endswith(".en.html"))).read_text()
    assert "No findings: every check passed." in english
    pdfs = [Path(p) for f in run["reports"] for p in f["paths"] if p.endswith(".pdf")]
    assert len(pdfs) == 2 * len(run["reports"])  # every report, in both languages
    for pdf in pdfs:
        assert "(A4)" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    official = pdf_text(next(p for p in pdfs if p.name.startswith(dinkes["number"].replace("/", "-") + ".id")))
    assert official.startswith("PEMERINTAH KOTA CONTOH DINAS KOMUNIKASI DAN INFORMATIKA KOTA CONTOH")
    for words in ("BERITA ACARA", "Pada hari ini", "NIP : 19810101 200604 1 001", "Demikian Berita Acara ini dibuat"):
        assert words in official
    page = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "50", "-png", "-singlefile", str(pdfs[0]), str(page)], check=True
    )
    assert page.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def pdf_text(path: Path) -> str:
    """The words of a PDF as pdftotext reads them back, on one line."""
    return " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
    )


def test_injected_faults_give_exactly_their_findings_at_the_right_opd(
    lab: Runner, faults: Faults, tmp_path: Path
) -> None:
    baseline = maintenance(lab, tmp_path)
    assert findings(baseline) == set()
    faults.inject("link-down", opd="dishub")
    faults.inject("daemon-stop", node="opd-disdik", daemon="snmpd")
    faults.inject("snmpd-restart", node="core")
    vtysh(lab, "core", "configure terminal", "ip route 192.0.2.0/24 Null0")
    try:
        time.sleep(6)  # OSPF dead interval (4 s) on the cut link
        run = maintenance(lab, tmp_path)
    finally:
        vtysh(lab, "core", "configure terminal", "no ip route 192.0.2.0/24 Null0")
    assert findings(run) == {
        # dishub's CPE WAN interface is down: the CPE is unreachable, the core sees the link and its routes go
        ("dishub", "reach.icmp", "opd-dishub", "ICMP (ping)", "fail"),
        ("dishub", "reach.snmp", "opd-dishub", "SNMP", "fail"),
        ("dishub", "reach.ssh", "opd-dishub", "SSH", "fail"),
        ("dishub", "link.status", "core", "core:eth3 (dishub-wan)", "fail"),
        ("dishub", "routing.routes", "core", "10.30.3.0/24", "fail"),
        ("dishub", "routing.ospf", "core", "core:eth3", "fail"),
        # disdik's CPE has no snmpd
        ("disdik", "reach.snmp", "opd-disdik", "SNMP", "fail"),
        # the core restarted (sysUpTime went back) and its configuration changed
        ("pusat-data", "uptime.restart", "core", "sysUpTime", "warn"),
        ("pusat-data", "config.backup", "core", "running-config", "warn"),
    }
    drift = next(r for r in run["results"] if r["check"] == "config.backup" and r["device"] == "core")
    assert "+ip route 192.0.2.0/24 Null0" in drift["detail"]
    report = next(f for f in run["reports"] if f["location"] == "pusat-data")
    text = Path(next(p for p in report["paths"] if p.endswith(".md"))).read_text()
    assert "+ip route 192.0.2.0/24 Null0" in text and "dinyalakan ulang" in text
    disdik = next(f for f in run["reports"] if f["location"] == "disdik")
    indonesian = Path(next(p for p in disdik["paths"] if p.endswith(".id.md"))).read_text()
    assert "SNMP tidak menjawab: tidak ada jawaban; perangkat tidak terjangkau atau kredensial salah" in indonesian
    assert "no answer over" not in indonesian and "credential profile" not in indonesian  # the collector's English
    # checks that need what is missing are not passed: they are skipped
    skipped = {(r["location"], r["check"], r["device"]) for r in run["results"] if r["status"] == "skip"}
    assert ("disdik", "uptime.restart", "opd-disdik") in skipped
    assert ("dishub", "routing.ospf", "opd-dishub") in skipped


def test_scheduled_maintenance_survives_an_agent_restart_and_runs_at_its_time(lab: Runner, tmp_path: Path) -> None:
    listen = "127.0.0.1:9471"
    env = {
        **os.environ,
        **ENV,
        "PANTAU_POLL__ICMP_INTERVAL": "1",
        "PANTAU_POLL__JITTER": "0",
        "PANTAU_LOG_FORMAT": "json",
    }
    base = [sys.executable, "-m", "agent"]
    where = ["--state-dir", str(tmp_path)]

    def start() -> subprocess.Popen[bytes]:
        argv = [*base, "run", "--inventory", str(INVENTORY), *where, "--listen", listen]
        with (tmp_path / "agent.log").open("ab") as log:  # the child keeps its own descriptor
            return subprocess.Popen(lab.in_node("nms", argv), env=env, stdout=log, stderr=log)

    def stop(proc: subprocess.Popen[bytes]) -> None:
        proc.terminate()
        proc.wait(15)

    agent = start()
    try:
        at = datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(seconds=15)
        scheduled = subprocess.run(
            lab.in_node(
                "nms",
                [*base, "maintenance", "schedule", "--at", at.strftime("%Y-%m-%d %H:%M:%S"), "--opd", "dinkes", *where],
            ),
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )
        assert scheduled.returncode == 0, scheduled.stderr
        time.sleep(2)
        stop(agent)  # the job is in the store, not in this process
        agent = start()
        deadline = time.monotonic() + 90
        run = None
        while run is None:
            assert agent.poll() is None, (tmp_path / "agent.log").read_text()
            assert time.monotonic() < deadline, "the scheduled maintenance did not run"
            time.sleep(1)
            with Session(create_engine(f"sqlite:///{tmp_path / 'pantau.db'}")) as s:
                run = s.scalars(select(MaintenanceRun).where(MaintenanceRun.ended_at.is_not(None))).first()
        assert run.trigger == "scheduled" and json.loads(run.scope) == ["dinkes"]
        started = run.started_at.replace(tzinfo=UTC) if run.started_at.tzinfo is None else run.started_at
        assert started >= at - timedelta(seconds=1)
        listed = subprocess.run(
            lab.in_node("nms", [*base, "maintenance", "list", "--json", *where]),
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        assert json.loads(listed.stdout)["scheduled"] == []  # done, not pending
        deadline = time.monotonic() + 30
        while True:  # the agent exports it on its next round
            metrics = lab.exec("nms", ["curl", "-sf", f"http://{listen}/metrics"]).stdout
            if 'pantau_maintenance_last_run_timestamp_seconds{opd="dinkes"}' in metrics:
                break
            assert time.monotonic() < deadline, "no maintenance metric"
            time.sleep(0.5)
        assert 'pantau_maintenance_findings{opd="dinkes",severity="fail"} 0.0' in metrics
    finally:
        stop(agent)


def test_a_password_set_on_a_router_reaches_no_store_report_or_json_while_its_change_is_reported(
    lab: Runner, tmp_path: Path
) -> None:
    planted = ["Planted-Vty-7f3a", "Planted-Enable-9c1d"]
    maintenance(lab, tmp_path / "state", "--opd", "pusat-data")  # the backup to compare with
    vtysh(lab, "core", "configure terminal", f"password {planted[0]}", f"enable password {planted[1]}")
    try:
        result = subprocess.run(
            lab.in_node("nms", [sys.executable, "-m", "agent", "maintenance", "run", "--json", "--opd", "pusat-data",
                                "--state-dir", str(tmp_path / "state"), "--inventory", str(INVENTORY),
                                "--output", str(tmp_path / "reports"), "--lang", "id", "--lang", "en"]),
            check=False, capture_output=True, text=True, timeout=300, env={**os.environ, **ENV},
        )  # fmt: skip
    finally:
        vtysh(lab, "core", "configure terminal", "no password", "no enable password")
    assert result.returncode == 0, result.stderr + result.stdout
    run = json.loads(result.stdout)
    drift = next(r for r in run["results"] if r["check"] == "config.backup" and r["device"] == "core")
    assert drift["status"] == "warn" and "2 rahasia berubah" in drift["finding"], drift
    assert "2 secret(s) changed" in drift["finding_en"]
    assert "secret-hidden:" in drift["detail"]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]  # the store (with its log), the reports
    assert any(p.suffix == ".html" for p in written) and any(p.name.startswith("pantau.db") for p in written)
    for secret in planted:
        assert secret not in result.stdout + result.stderr
        for path in written:
            assert secret.encode() not in path.read_bytes(), path
    assert oct((tmp_path / "state" / "redaction.key").stat().st_mode & 0o777) == "0o600"


BLACKHOLE_SSH = """table inet pantau_blackhole_ssh {
 chain input {
  type filter hook input priority 0; policy accept;
  tcp dport 22 drop
 }
}
"""


def test_a_device_without_sshd_and_one_whose_ssh_is_blackholed_are_not_checked_and_every_other_is(
    lab: Runner, faults: Faults, tmp_path: Path
) -> None:
    faults.inject("daemon-stop", node="opd-disdik", daemon="sshd")
    host.run(lab.in_node("opd-dishub", ["nft", "-f", "-"]), node="opd-dishub", input_text=BLACKHOLE_SSH)
    try:
        started = time.monotonic()
        run = maintenance(lab, tmp_path)
        print(f"maintenance with one SSH blackholed took {time.monotonic() - started:.1f} s")  # for the note
    finally:
        lab.exec("opd-dishub", ["nft", "delete", "table", "inet", "pantau_blackhole_ssh"])
    ssh = {r["device"]: r for r in run["results"] if r["check"] == "reach.ssh"}
    for device in ("opd-disdik", "opd-dishub"):  # failed, with the reason
        assert ssh[device]["status"] == "fail" and "SSH does not answer: " in ssh[device]["finding_en"], ssh[device]
    assert {d for d, r in ssh.items() if r["status"] == "pass"} == set(ssh) - {"opd-disdik", "opd-dishub"}
    for device in ("opd-disdik", "opd-dishub"):  # what needs SSH is not checked, never passed
        needs_ssh = [
            r for r in run["results"] if r["device"] == device and r["check"] in ("config.backup", "routing.ospf")
        ]
        assert needs_ssh and {r["status"] for r in needs_ssh} == {"skip"}, needs_ssh
    assert findings(run) == {
        ("disdik", "reach.ssh", "opd-disdik", "SSH", "fail"),
        ("dishub", "reach.ssh", "opd-dishub", "SSH", "fail"),
    }


PROC = """
import json, os
mem = dict(line.split(":", 1) for line in open("/proc/meminfo"))
kib = lambda key: int(mem[key].split()[0])
mounts = {}
for line in open("/proc/self/mounts"):
    point = line.split()[1].replace("\\\\040", " ")
    try:
        st = os.statvfs(point)
    except OSError:
        continue
    mounts[point] = [st.f_blocks * st.f_frsize, (st.f_blocks - st.f_bfree) * st.f_frsize]
print(json.dumps({"cpus": os.cpu_count(), "ram": kib("MemTotal") * 1024,
                  "ram_used": (kib("MemTotal") - kib("MemAvailable")) * 1024, "mounts": mounts}))
"""


def pantau_json(lab: Runner, state: Path, *args: str) -> tuple[int, dict[str, Any]]:
    argv = [sys.executable, "-m", "agent", *args, "--json", "--state-dir", str(state)]
    result = subprocess.run(lab.in_node("nms", argv), check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr + result.stdout
    return result.returncode, json.loads(result.stdout)


def test_capacity_reads_each_servers_host_resources_as_its_own_proc_says(lab: Runner, tmp_path: Path) -> None:
    """``pantau capacity``: every server's processors, RAM and disk by SNMP (HOST-RESOURCES-MIB, net-snmp),
    cross-checked with /proc and statvfs in the server's own node; ``capacity check`` answers a request and
    writes the document for the request file."""
    deadline = time.monotonic() + 90  # net-snmp answers hrProcessorLoad after a minute of history
    while True:
        _, data = pantau_json(lab, tmp_path, "capacity", "--output", str(tmp_path / "out"))
        servers = {s["name"]: s for s in data["servers"]}
        if all(s["reading"] and s["reading"]["cpu_used"] is not None for s in servers.values()):
            break
        assert time.monotonic() < deadline, data
        time.sleep(5)
    assert set(servers) == {"dns1", "srv-app1", "srv-db1"}  # the servers (dns1: role dns) with SNMP
    for name, s in servers.items():
        own = json.loads(lab.exec(name, [sys.executable, "-c", PROC]).stdout)
        r = s["reading"]
        assert s["error"] is None and r["vcpus"] == own["cpus"], (name, s)
        assert r["ram"] == own["ram"]  # hrMemorySize is /proc/meminfo's MemTotal
        assert abs(r["ram_used"] - own["ram_used"]) < 0.05 * own["ram"], (name, r, own)  # read a moment apart
        size, used = own["mounts"][r["disk_mount"]]
        assert abs(r["disk"] - size) <= 0.01 * size and abs(r["disk_used"] - used) <= 0.01 * size, (name, r, own)
        assert s["room"]["ram"] == max(0, int(r["ram"] * 0.8 - r["ram_used"]))
    assert any(p.endswith(".pdf") for p in data["files"])
    # whether a small application fits depends on the load of this shared machine: the answer must agree with
    # the readings it was given in the same call, and the servers that fit come first
    code, fit = pantau_json(lab, tmp_path, "capacity", "check", "--vcpu", "0.1", "--ram", "0.01", "--disk", "0.01")
    rooms = {s["name"]: s["room"] for s in fit["servers"]}
    for answer in fit["fits"]:
        room = rooms[answer["server"]]
        need = {"vcpus": 0.1, "ram": 0.01 * 2**30, "disk": 0.01 * 2**30}
        roomy = all(room[k] is not None and room[k] >= v for k, v in need.items())  # not known is not room
        assert answer["fits"] is roomy, (answer, room)
    assert code == (0 if any(a["fits"] for a in fit["fits"]) else 1)
    assert [a["fits"] for a in fit["fits"]] == sorted((a["fits"] for a in fit["fits"]), reverse=True)
    code, none = pantau_json(lab, tmp_path, "capacity", "check", "--vcpu", "512", "--ram", "1", "--disk", "1",
                             "--output", str(tmp_path / "refused"))  # fmt: skip
    assert code == 1 and [f["short"] for f in none["fits"]] == [["vcpu"]] * 3
    text = next((tmp_path / "refused").glob("*.md")).read_text()
    assert "512" in text and "SOP Hosting" in text
