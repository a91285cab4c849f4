"""The agent at fleet scale: ``python -m benchmarks.fleet [--minutes 10] [--scale-minutes 2]``.

A bench namespace (``pbench-fleet``) holds N SNMP devices (net-snmp's snmpd answering on N loopback
addresses, 40 per process; each device has the same 20 interfaces) and 2 × N ICMP targets (loopback
addresses). For N = 50, 200, 1,000, 3,000 and 5,000, ``pantau run`` polls them with its defaults (SNMP every
30 s, ICMP every 15 s) while its /metrics is scraped every 15 s; then prometheus-snmp-exporter is
scraped for the same N targets and the same columns every 30 s (32 scrapes at once, as a Prometheus
server would) for the same time. Measured from /proc: CPU as % of one core (over the whole window, start
included, and after the first round) and RSS of pantau, and of the exporter; pantau's SNMP round
durations from its /metrics; the CPU the simulated devices (snmpd) used meanwhile, which on a machine of
two cores competes with the poller's. Prints a Markdown table with the gates of the fleet issue and whether each
is met.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

from benchmarks.fixture import COMMUNITY, exporter_module, stop, wait_pid
from collectors.snmp import HC_COLUMNS, STATUS_COLUMNS

NETNS = "pbench-fleet"
INTERFACES = 20
PER_SNMPD = 40  # addresses one snmpd listens on: net-snmp cuts a longer agentAddress line (seen: 150 failed)
SCALES = (50, 200, 1000, 3000, 5000)
PANTAU_LISTEN = "127.0.0.1:9470"
EXPORTER_LISTEN = "127.0.0.1:9117"
TICKS = os.sysconf("SC_CLK_TCK")
INTERVAL = 30.0
SCRAPE_SECONDS = 15.0  # pantau's /metrics is scraped as Prometheus would (each scrape renders every series)
#: the gates, per scale: the fleet issue's at 1,000 devices, the cluster issue's for one agent at 5,000
GATES = {
    1000: {"cpu_pct": 10.0, "ratio": 1.0, "rss_mib": 250.0, "round_s": 5.0},
    5000: {"ratio": 1.0, "rss_mib": 300.0, "round_s": 5.0},
}


def device_address(i: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}"


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---- the bench namespace (outside) ------------------------------------------------------------------
@contextlib.contextmanager
def fleet(devices: int, work: Path) -> Iterator[None]:
    """The namespace with its interfaces and ``devices`` snmpd addresses; removed afterwards."""
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
    pids: list[int] = []
    try:
        subprocess.run(["ip", "netns", "add", NETNS], check=True)
        batch = ["link set lo up"] + [f"link add f{i}a type veth peer name f{i}b" for i in range(INTERFACES // 2)]
        batch += [f"link set f{i}{s} up" for i in range(INTERFACES // 2) for s in "ab"]
        subprocess.run(["ip", "-n", NETNS, "-batch", "-"], input="\n".join(batch) + "\n", text=True, check=True)
        for n, first in enumerate(range(0, devices, PER_SNMPD)):
            home = work / f"snmpd{n}"
            (home / "persist").mkdir(parents=True)
            addresses = ",".join(f"udp:{device_address(i)}:161" for i in range(first, min(devices, first + PER_SNMPD)))
            (home / "snmpd.conf").write_text(
                f"agentAddress {addresses}\nmaster no\nrocommunity {COMMUNITY} 127.0.0.0/8\n"
            )
            subprocess.run(
                ["ip", "netns", "exec", NETNS, "env", f"SNMP_PERSISTENT_DIR={home / 'persist'}", "/usr/sbin/snmpd",
                 "-C", "-c", str(home / "snmpd.conf"), "-m", "", "-p", str(home / "pid"), "-Lf", str(home / "log")],
                check=True,
            )  # fmt: skip
            pids.append(wait_pid(home / "pid", time.monotonic() + 30))  # at once: stopped even if a later one fails
        yield
    finally:
        stop(pids)
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)


def write_inventory(directory: Path, devices: int, community_file: Path) -> None:
    """N core devices (one link each, to an OPD router whose WAN address and LAN gateway are probed)."""
    names = [f"f{i}{s}" for i in range(INTERFACES // 2) for s in "ab"]
    sections: dict[str, list[dict[str, object]]] = {"sites": [{"name": "dc", "kind": "datacenter"}], "opds": [],
                                                    "devices": [], "links": [], "prefixes": []}  # fmt: skip
    for i in range(devices):
        slug, site = f"o{i}", f"s{i}"
        sections["sites"].append({"name": site})
        sections["opds"].append({"slug": slug, "name": f"OPD {i}", "site": site})
        sections["devices"].append({"name": f"dev{i}", "role": "core", "platform": "linux", "site": "dc",
                                    "mgmt_address": device_address(i), "snmp": "bench",
                                    "interfaces": [{"name": n} for n in names]})  # fmt: skip
        wan = f"127.2.{i // 250}.{i % 250 + 1}"
        sections["devices"].append({"name": f"cpe{i}", "role": "cpe", "platform": "linux", "site": site,
                                    "opd": slug, "mgmt_address": wan,
                                    "interfaces": [{"name": "wan", "address": f"{wan}/32"}]})  # fmt: skip
        sections["links"].append({"name": f"{slug}-wan", "opd": slug, "dc": {"device": f"dev{i}", "interface": "f0a"},
                                  "cpe": {"device": f"cpe{i}", "interface": "wan"}, "provider": "Bench",
                                  "circuit_id": f"B-{i}", "subscribed_mbps": 100})  # fmt: skip
        base = f"127.3.{i // 64}.{i % 64 * 4}"
        gateway = f"127.3.{i // 64}.{i % 64 * 4 + 1}"
        sections["prefixes"].append({"name": f"lan{i}", "prefix": f"{base}/30", "purpose": "opd-lan", "opd": slug,
                                     "gateway": gateway})  # fmt: skip
    directory.mkdir(parents=True)
    (directory / "agency.yml").write_text(
        yaml.safe_dump({"agency": {"name": "Bench", "zone": "bench.test", "timezone": "Asia/Jakarta", "team": "B"}})
    )
    creds = {"snmp": [{"name": "bench", "version": "v2c", "community": f"file:{community_file}"}]}
    (directory / "credentials.yml").write_text(yaml.safe_dump({"credentials": creds}))
    for name, items in sections.items():
        (directory / f"{name}.yml").write_text(yaml.safe_dump({name: items}))


# ---- the measurements (inside the namespace) ---------------------------------------------------------
def _metric(text: str, name: str, label: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and label in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def measure_pantau(inventory: Path, state: Path, seconds: float) -> dict[str, object]:
    env = {**os.environ, "PANTAU_LOG_FORMAT": "json", "PANTAU_POLL__JITTER": "0"}
    argv = [sys.executable, "-m", "agent", "run", "--inventory", str(inventory), "--state-dir", str(state),
            "--listen", PANTAU_LISTEN]  # fmt: skip
    with (state / "agent.log").open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    rounds: dict[float, float] = {}  # end of a round -> its duration
    rss = 0.0
    start = time.monotonic()
    settled: tuple[float, float] | None = None  # (time, CPU) at the first scrape after the first round
    try:
        while time.monotonic() - start < seconds:
            time.sleep(SCRAPE_SECONDS)
            assert proc.poll() is None, (state / "agent.log").read_text()[-3000:]
            rss = max(rss, _rss_mib(proc.pid))
            if rounds and settled is None:
                settled = (time.monotonic(), _cpu(proc.pid))
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://{PANTAU_LISTEN}/metrics", timeout=5) as answer:
                    text = answer.read().decode()
                at = _metric(text, "pantau_last_successful_poll_timestamp_seconds", 'collector="snmp"')
                took = _metric(text, "pantau_collector_duration_seconds", 'collector="snmp"')
                if at is not None and took is not None:
                    rounds[at] = took
        cpu = _cpu(proc.pid)
        end = time.monotonic()
    finally:
        proc.terminate()
        proc.wait(30)
    durations = [rounds[k] for k in sorted(rounds)]
    steady = (cpu - settled[1]) / (end - settled[0]) if settled else float("nan")
    return {"cpu_s": cpu, "wall_s": end - start, "rss_mib": rss, "rounds": durations, "steady_cpu": steady}


def measure_exporter(work: Path, devices: int, seconds: float) -> dict[str, object]:
    columns = [*HC_COLUMNS.values(), *STATUS_COLUMNS.values()]
    (work / "snmp.yml").write_text(exporter_module(columns))
    with (work / "exporter.log").open("wb") as log:
        argv = [
            "prometheus-snmp-exporter",
            f"--config.file={work / 'snmp.yml'}",
            f"--web.listen-address={EXPORTER_LISTEN}",
        ]
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    urls = [f"http://{EXPORTER_LISTEN}/snmp?module=pantau_bench&target={device_address(i)}" for i in range(devices)]

    def scrape(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=25) as answer:  # noqa: S310 (http on the bench's loopback)
                return bool(answer.read())
        except OSError:  # the exporter answers 500 when its walk of the target failed: counted
            return False

    rss = 0.0
    failed = scrapes = 0
    passes: list[float] = []
    start = time.monotonic()
    try:
        time.sleep(1.0)
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            while time.monotonic() - start < seconds:
                began = time.monotonic()
                answered = list(pool.map(scrape, urls))
                passes.append(time.monotonic() - began)  # every target scraped once: the exporter's round
                scrapes += len(answered)
                failed += answered.count(False)
                rss = max(rss, _rss_mib(proc.pid))
                time.sleep(max(0.0, INTERVAL - (time.monotonic() - began)))
        cpu = _cpu(proc.pid)
        wall = time.monotonic() - start
    finally:
        proc.terminate()
        proc.wait(30)
    return {"cpu_s": cpu, "wall_s": wall, "rss_mib": rss, "scrapes": scrapes, "failed": failed, "rounds": passes}


def _devices_cpu(work: Path) -> float:
    """CPU seconds the simulated devices (every snmpd of the fleet) have used so far."""
    return sum(_cpu(int(pid.read_text())) for pid in work.glob("snmpd*/pid"))


def inside(args: argparse.Namespace) -> None:
    """Run in the namespace: pantau, then the exporter, for the same time; print JSON. The devices' own
    CPU is measured in each window too: on this machine they share its cores with the poller."""
    work = Path(args.work)
    before = _devices_cpu(work)
    pantau = measure_pantau(Path(args.inventory), work / "state", args.seconds)
    pantau["devices_cpu_s"] = _devices_cpu(work) - before
    before = _devices_cpu(work)
    exporter = measure_exporter(work, args.devices, args.seconds)
    exporter["devices_cpu_s"] = _devices_cpu(work) - before
    print(json.dumps({"devices": args.devices, "pantau": pantau, "exporter": exporter}))


# ---- the driver ---------------------------------------------------------------------------------------
def run_scale(devices: int, seconds: float) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="pbench-fleet-"))
    try:
        (work / "community").write_text(COMMUNITY)
        write_inventory(work / "inventory", devices, work / "community")
        (work / "state").mkdir()
        with fleet(devices, work):
            out = subprocess.run(
                ["ip", "netns", "exec", NETNS, sys.executable, "-m", "benchmarks.fleet", "inside", "--work", str(work),
                 "--inventory", str(work / "inventory"), "--devices", str(devices), "--seconds", str(seconds)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"fleet benchmark at {devices} devices failed:\n{out.stderr[-3000:]}")
        result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results: list[dict[str, object]]) -> str:
    rows = [
        "| devices | pantau CPU % of a core | exporter CPU % | ratio | pantau RSS MiB | exporter RSS MiB "
        "| SNMP rounds | first round s | round median s | round max s | pantau CPU % after the first round "
        "| pantau CPU ms per device per round (after the first) | exporter scrapes failed "
        "| devices' snmpd CPU % (pantau's window / the exporter's) | exporter's round (every target scraped "
        "once, 32 at a time) median / max s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p, e = r["pantau"], r["exporter"]
        assert isinstance(p, dict) and isinstance(e, dict)
        pct, epct = 100 * p["cpu_s"] / p["wall_s"], 100 * e["cpu_s"] / e["wall_s"]
        rounds = sorted(p["rounds"])
        steady = 100 * p["steady_cpu"]
        per_device = 1000 * p["steady_cpu"] * INTERVAL / int(str(r["devices"]))
        rows.append(
            f"| {r['devices']} | {pct:.1f} | {epct:.1f} | {pct / epct:.2f} | {p['rss_mib']:.0f} | {e['rss_mib']:.0f} "
            f"| {len(rounds)} | {p['rounds'][0] if p['rounds'] else float('nan'):.2f} "
            f"| {rounds[len(rounds) // 2] if rounds else float('nan'):.2f} | {max(rounds, default=float('nan')):.2f} "
            f"| {steady:.1f} | {per_device:.2f} | {e['failed']} of {e['scrapes']} "
            f"| {100 * p['devices_cpu_s'] / p['wall_s']:.1f} / {100 * e['devices_cpu_s'] / e['wall_s']:.1f} "
            f"| {statistics.median(e['rounds']) if e['rounds'] else float('nan'):.2f} "
            f"/ {max(e['rounds'], default=float('nan')):.2f} |"
        )
    return "\n".join(rows)


def gates(r: dict[str, object]) -> str:
    gate = GATES[int(str(r["devices"]))]
    p, e = r["pantau"], r["exporter"]
    assert isinstance(p, dict) and isinstance(e, dict)
    pct, epct = 100 * p["cpu_s"] / p["wall_s"], 100 * e["cpu_s"] / e["wall_s"]
    checks = [
        (f"CPU ≤ {gate['ratio']:.1f} × the exporter's", pct / epct <= gate["ratio"], f"{pct / epct:.2f} ×"),
        (f"RSS ≤ {gate['rss_mib']:.0f} MiB", p["rss_mib"] <= gate["rss_mib"], f"{p['rss_mib']:.0f} MiB"),
        (f"every round ≤ {gate['round_s']:.0f} s, the first included", bool(p["rounds"]) and
         max(p["rounds"]) <= gate["round_s"], f"max {max(p['rounds'], default=float('nan')):.2f} s"),
    ]  # fmt: skip
    if "cpu_pct" in gate:
        checks.insert(0, (f"CPU ≤ {gate['cpu_pct']:.0f} % of one core", pct <= gate["cpu_pct"], f"{pct:.1f} %"))
    return "\n".join(f"- {name}: {'met' if ok else 'NOT met'} ({value})" for name, ok, value in checks)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet")
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("--minutes", type=float, default=10.0, help="measurement time at the largest scale")
    parser.add_argument("--scale-minutes", type=float, default=2.0, help="measurement time at the smaller scales")
    parser.add_argument("--scales", default=",".join(map(str, SCALES)))
    there = sub.add_parser("inside")
    for name in ("--work", "--inventory"):
        there.add_argument(name, required=True)
    there.add_argument("--devices", type=int, required=True)
    there.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    if args.command == "inside":
        inside(args)
        return 0
    if os.geteuid() != 0:
        print("the fleet benchmark needs root (a network namespace, snmpd)", file=sys.stderr)
        return 2
    scales = [int(s) for s in args.scales.split(",")]
    results = []
    for n in scales:
        seconds = 60 * (args.minutes if n == scales[-1] else args.scale_minutes)
        print(f"… {n} devices, {seconds:.0f} s each for pantau and the exporter", file=sys.stderr, flush=True)
        results.append(run_scale(n, seconds))
    print(table(results))
    print()
    for r in results:
        if int(str(r["devices"])) in GATES:
            n = int(str(r["devices"]))
            print(f"\nGates at {n} devices × {INTERFACES} interfaces, {2 * n} ICMP targets:")
            print(gates(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
