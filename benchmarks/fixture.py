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


def sh(*argv: str, input_text: str | None = None) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, input=input_text).stdout


@contextlib.contextmanager
def bench_netns(interfaces: int = 1000, addresses: int = 250) -> Iterator[Path]:
    """A netns with ``interfaces`` veth ends, ``addresses`` /32s on lo (10.251.x.y), and snmpd on 127.0.0.1."""
    work = Path(tempfile.mkdtemp(prefix="pbench-"))
    snmpd_pid: int | None = None
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
        conf = work / "snmpd.conf"
        conf.write_text(f"agentAddress udp:127.0.0.1:161\nmaster no\nrocommunity {COMMUNITY} 127.0.0.1\n")
        (work / "persist").mkdir()
        sh(
            "ip",
            "netns",
            "exec",
            NETNS,
            "env",
            f"SNMP_PERSISTENT_DIR={work / 'persist'}",
            "/usr/sbin/snmpd",
            "-C",
            "-c",
            str(conf),
            "-m",
            "",
            "-p",
            str(work / "snmpd.pid"),
            "-Lf",
            str(work / "snmpd.log"),
        )
        deadline = time.monotonic() + 10
        while not (work / "snmpd.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        snmpd_pid = int((work / "snmpd.pid").read_text())
        yield work
    finally:
        if snmpd_pid is not None:
            subprocess.run(["kill", str(snmpd_pid)], check=False)
            for _ in range(100):
                if not Path(f"/proc/{snmpd_pid}").exists():
                    break
                time.sleep(0.05)
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
