"""The fleet shared out: ``python -m benchmarks.cluster [--devices 3000] [--minutes 3] [--rounds 2]``.

The fleet benchmark's namespace (``pbench-fleet``: N snmpd devices of 20 interfaces, 2 × N ICMP targets)
and a PostgreSQL of its own (a temporary cluster on a Unix socket, removed afterwards). Alternately, round
by round: A, one ``pantau run`` polling all N devices as the only member of a cluster on that store; B,
three agents on the same store, each polling its third. Same configuration otherwise (SNMP 30 s, ICMP
15 s, heartbeat 10 s, lease 30 s). Measured from /proc and each agent's /metrics after the first round
(start-up left out): CPU as % of one core (B: the three together), the highest RSS, every SNMP round's
duration. After the last B round one of its agents is killed (SIGKILL) and the failover is timed: until
the two others poll every device, and until every link has a rate again. Prints a Markdown table with
the medians and the gates of the cluster issue.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.fixture import COMMUNITY
from benchmarks.fleet import NETNS, _cpu, _rss_mib, fleet, write_inventory

LISTENS = ("127.0.0.1:9471", "127.0.0.1:9472", "127.0.0.1:9473")
GATES = {"cpu_ratio": 1.15, "round_s": 5.0}
SCRAPE_SECONDS = 15.0


def _as_postgres(*argv: str | Path) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary directory (Unix socket only); its URL. Stopped and removed after."""
    initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not initdb:
        raise SystemExit("PostgreSQL is not installed: make setup installs Debian's postgresql")
    bin_dir, base = initdb[-1].parent, Path(tempfile.mkdtemp(prefix="pbench-pg-"))
    shutil.chown(base, "postgres", "postgres")
    started = False
    try:
        _as_postgres(bin_dir / "initdb", "-D", base / "data", "-U", "pantau", "-A", "trust", "--no-sync")
        options = f"-k {base} -c listen_addresses='' -c fsync=off -c max_connections=60"
        _as_postgres(bin_dir / "pg_ctl", "-D", base / "data", "-o", options, "-l", base / "log", "-w", "start")
        started = True
        _as_postgres(bin_dir / "createdb", "-h", base, "-U", "pantau", "pantau")
        yield f"postgresql+psycopg://pantau@/pantau?host={base}"
    finally:
        if started:
            subprocess.run(["runuser", "-u", "postgres", "--", str(bin_dir / "pg_ctl"), "-D", str(base / "data"),
                            "-m", "immediate", "-w", "stop"], check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


def _gauge(text: str, prefix: str) -> float:
    """The sum of the series whose line starts with ``prefix``."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def _count(text: str, prefix: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith(prefix))


def _rounds(text: str) -> tuple[float, float] | None:
    """(end, duration) of the agent's last complete SNMP round."""
    at = _gauge(text, 'pantau_last_successful_poll_timestamp_seconds{collector="snmp"}')
    took = _gauge(text, 'pantau_collector_duration_seconds{collector="snmp"}')
    return (at, took) if at else None


class Agents:
    """``count`` agents of one cluster polling the fleet inside the namespace, killed by their PID."""

    def __init__(self, count: int, inventory: Path, work: Path, url: str) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        for n in range(count):
            state = work / f"agent{n}"
            state.mkdir(parents=True)
            env = {**os.environ, "PANTAU_STORE_URL": url, "PANTAU_CLUSTER__ENABLED": "true",
                   "PANTAU_CLUSTER__AGENT_ID": f"bench-{n}", "PANTAU_LOG_FORMAT": "json"}  # fmt: skip
            argv = ["ip", "netns", "exec", NETNS, sys.executable, "-m", "agent", "run", "--inventory", str(inventory),
                    "--state-dir", str(state), "--listen", LISTENS[n]]  # fmt: skip
            with (state / "agent.log").open("wb") as log:
                self.procs.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))

    def scrape(self) -> list[str]:
        """Each agent's /metrics ('' for one that does not answer), read by curl inside the namespace."""
        argv = ["ip", "netns", "exec", NETNS, "curl", "-sf", "--max-time", "10"]
        return [
            subprocess.run([*argv, f"http://{listen}/metrics"], capture_output=True, text=True, check=False).stdout
            for listen in LISTENS[: len(self.procs)]
        ]

    def pids(self) -> list[int]:
        """The agents' own PIDs (``ip netns exec`` execs into python: the same process)."""
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(30)
            if p.poll() is None:
                p.kill()
                p.wait()


def measure(count: int, devices: int, inventory: Path, work: Path, url: str, seconds: float) -> dict[str, float]:
    """One round of ``count`` agents: CPU % of a core after the first SNMP round, highest RSS, slowest round."""
    agents = Agents(count, inventory, work / f"run-{count}-{time.monotonic_ns()}", url)
    rounds: dict[tuple[int, float], float] = {}
    rss = 0.0
    try:
        deadline = time.monotonic() + 120
        while True:  # every device polled (the cluster settled), and a round since
            texts = agents.scrape()
            polled = sum(_gauge(t, "pantau_device_up{") for t in texts if t)
            if polled == devices and all(_rounds(t) for t in texts):
                break
            assert time.monotonic() < deadline, f"{count} agents did not settle: {polled} of {devices} devices"
            time.sleep(2)
        start, cpu0 = time.monotonic(), sum(_cpu(pid) for pid in agents.pids())
        while time.monotonic() - start < seconds:
            time.sleep(SCRAPE_SECONDS)
            rss = max(rss, *(_rss_mib(pid) for pid in agents.pids()))
            for n, text in enumerate(agents.scrape()):
                got = _rounds(text) if text else None
                if got:
                    rounds[n, got[0]] = got[1]
        cpu = sum(_cpu(pid) for pid in agents.pids()) - cpu0
        wall = time.monotonic() - start
        result = {"cpu_pct": 100 * cpu / wall, "rss_mib": rss, "round_max_s": max(rounds.values(), default=0.0)}
        if count > 1:
            result |= failover(agents, devices)
        return result
    finally:
        agents.stop()


def failover(agents: Agents, devices: int) -> dict[str, float]:
    """Kill one agent; seconds until the others poll every device, and until every link has a rate."""
    victim = agents.procs[0]
    os.kill(victim.pid, signal.SIGKILL)
    killed = time.monotonic()
    taken = rates = 0.0
    while time.monotonic() - killed < 180 and not rates:
        time.sleep(1)
        texts = [t for t in agents.scrape()[1:] if t]
        if not taken and sum(_gauge(t, "pantau_device_up{") for t in texts) == devices:
            taken = time.monotonic() - killed
        with_rate = sum(_count(t, "pantau_link_receive_bytes_per_second{") for t in texts)
        if taken and with_rate == devices:  # one link per device in the fleet's inventory
            rates = time.monotonic() - killed
    victim.wait()
    return {"taken_over_s": taken, "rates_back_s": rates}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster")
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--minutes", type=float, default=3.0, help="measurement time of each round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of A (one agent) and B (three), alternated")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("the cluster benchmark needs root (a network namespace, snmpd, PostgreSQL)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="pbench-cluster-"))
    one: list[dict[str, float]] = []
    three: list[dict[str, float]] = []
    try:
        (work / "community").write_text(COMMUNITY)
        write_inventory(work / "inventory", args.devices, work / "community")
        with fleet(args.devices, work), postgres() as url:
            for r in range(args.rounds):
                for count, results in ((1, one), (3, three)):
                    print(f"… round {r + 1}: {count} agent(s), {args.devices} devices", file=sys.stderr, flush=True)
                    results.append(measure(count, args.devices, work / "inventory", work, url, 60 * args.minutes))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report(args.devices, one, three))
    return 0


def report(devices: int, one: list[dict[str, float]], three: list[dict[str, float]]) -> str:
    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    ratio = med(three, "cpu_pct") / med(one, "cpu_pct")
    slowest = max(r["round_max_s"] for r in one + three)
    lines = [
        f"| {devices} devices × 20 interfaces, {2 * devices} ICMP targets | CPU % of a core (median) | RSS MiB "
        "(highest agent) | slowest SNMP round s |",
        "|---|---|---|---|",
        f"| A: one agent | {med(one, 'cpu_pct'):.1f} | {med(one, 'rss_mib'):.0f} "
        f"| {max(r['round_max_s'] for r in one):.2f} |",
        f"| B: three agents of a third each, together | {med(three, 'cpu_pct'):.1f} | {med(three, 'rss_mib'):.0f} "
        f"| {max(r['round_max_s'] for r in three):.2f} |",
        "",
        f"Failover (kill -9 of one of the three, median of {len(three)}): every device polled by the two others "
        f"{med(three, 'taken_over_s'):.1f} s later, every link's rate back {med(three, 'rates_back_s'):.1f} s later.",
        "",
        f"- total CPU of the three ≤ {GATES['cpu_ratio']:.2f} × the one's: "
        f"{'met' if ratio <= GATES['cpu_ratio'] else 'NOT met'} ({ratio:.2f} ×)",
        f"- every round ≤ {GATES['round_s']:.0f} s: {'met' if slowest <= GATES['round_s'] else 'NOT met'} "
        f"(slowest {slowest:.2f} s)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
