"""A throwaway network namespace for benchmarks: many interfaces, many addresses, one snmpd.

Named ``pbench-*``; everything is removed on exit, also on failure.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

NETNS = "pbench-dev"
COMMUNITY = "pbench-ro"


def start_snmpd(netns: str, directory: Path, address: str, allowed: str) -> Path:
    """Start one snmpd in ``netns`` answering ``COMMUNITY`` on ``address``; returns its pid file."""
    (directory / "persist").mkdir(parents=True, exist_ok=True)
    conf = directory / "snmpd.conf"
    conf.write_text(f"agentAddress udp:{address}:161\nmaster no\nrocommunity {COMMUNITY} {allowed}\n")
    pid_file = directory / "snmpd.pid"
    sh(
        "ip",
        "netns",
        "exec",
        netns,
        "env",
        f"SNMP_PERSISTENT_DIR={directory / 'persist'}",
        "/usr/sbin/snmpd",
        "-C",
        "-c",
        str(conf),
        "-m",
        "",
        "-p",
        str(pid_file),
        "-Lf",
        str(directory / "snmpd.log"),
    )
    return pid_file


def wait_pid(pid_file: Path, deadline: float) -> int:
    """The daemon's PID once its pid file holds one (it is created empty, then written)."""
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            return int(pid_file.read_text())
        time.sleep(0.05)
    return int(pid_file.read_text())


def stop(pids: list[int]) -> None:
    """SIGTERM the benchmark's own daemons by PID and wait until they are gone."""
    for pid in pids:
        subprocess.run(["kill", str(pid)], check=False)
    for pid in pids:
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.02)


def sh(*argv: str, input_text: str | None = None) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, input=input_text).stdout


@contextlib.contextmanager
def bench_netns(interfaces: int = 1000, addresses: int = 250) -> Iterator[Path]:
    """A netns with ``interfaces`` veth ends, ``addresses`` /32s on lo (10.251.x.y), and snmpd on 127.0.0.1."""
    work = Path(tempfile.mkdtemp(prefix="pbench-"))
    pids: list[int] = []
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
    try:
        sh("ip", "netns", "add", NETNS)
        batch = ["link set lo up"]
        for i in range(interfaces // 2):
            batch.append(f"link add b{i}a type veth peer name b{i}b")
        for i in range(interfaces // 2):
            batch += [f"link set b{i}a up", f"link set b{i}b up"]
        for i in range(addresses):
            batch.append(f"addr add 10.251.{i // 250}.{i % 250 + 1}/32 dev lo")
        sh("ip", "-n", NETNS, "-batch", "-", input_text="\n".join(batch) + "\n")
        pids.append(wait_pid(start_snmpd(NETNS, work, "127.0.0.1", "127.0.0.1"), time.monotonic() + 10))
        yield work
    finally:
        stop(pids)
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


FLEET_NETNS = "pbench-fleet"
EXPORTER_LISTEN = "127.0.0.1:9116"


def fleet_address(i: int) -> str:
    return f"127.0.1.{i + 1}"


def exporter_module(columns: list[str]) -> str:
    """An snmp_exporter 0.21 module walking exactly ``columns`` (what pantau polls)."""
    lines = [
        "pantau_bench:",
        "  version: 2",
        "  max_repetitions: 25",
        "  auth:",
        f"    community: {COMMUNITY}",
        "  walk:",
    ]
    lines += [f"  - {oid}" for oid in columns]
    lines.append("  metrics:")
    for oid in columns:
        lines += [
            f"  - name: c_{oid.replace('.', '_')}",
            f"    oid: {oid}",
            "    type: gauge",
            "    help: bench",
            "    indexes:",
            "    - labelname: ifIndex",
            "      type: gauge",
        ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def exporter(netns: str, work: Path, columns: list[str]) -> Iterator[None]:
    """Debian's prometheus-snmp-exporter in ``netns`` on ``EXPORTER_LISTEN``, with a module for ``columns``."""
    (work / "snmp.yml").write_text(exporter_module(columns))
    with (work / "exporter.log").open("wb") as log:
        argv = ["ip", "netns", "exec", netns, "prometheus-snmp-exporter", f"--config.file={work / 'snmp.yml'}",
                f"--web.listen-address={EXPORTER_LISTEN}"]  # fmt: skip
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.0)
            yield
        finally:
            proc.terminate()
            proc.wait(10)


@contextlib.contextmanager
def fleet_netns(devices: int, interfaces: int, columns: list[str]) -> Iterator[Path]:
    """``devices`` snmpd instances (127.0.1.x) over one namespace with ``interfaces`` veth ends, and
    Debian's prometheus-snmp-exporter with a module for the same columns."""
    work = Path(tempfile.mkdtemp(prefix="pbench-fleet-"))
    pids: list[int] = []
    subprocess.run(["ip", "netns", "del", FLEET_NETNS], capture_output=True, check=False)
    try:
        sh("ip", "netns", "add", FLEET_NETNS)
        batch = ["link set lo up"] + [f"link add f{i}a type veth peer name f{i}b" for i in range(interfaces // 2)]
        batch += [f"link set f{i}{s} up" for i in range(interfaces // 2) for s in "ab"]
        sh("ip", "-n", FLEET_NETNS, "-batch", "-", input_text="\n".join(batch) + "\n")
        files = [start_snmpd(FLEET_NETNS, work / f"d{d}", fleet_address(d), "127.0.0.0/8") for d in range(devices)]
        deadline = time.monotonic() + 15
        pids.extend(wait_pid(f, deadline) for f in files)
        with exporter(FLEET_NETNS, work, columns):
            yield work
    finally:
        stop(pids)
        subprocess.run(["ip", "netns", "del", FLEET_NETNS], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
