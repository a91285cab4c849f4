"""`lab down` leaves the host as it found it, also after a `lab up` killed half-way.

Runs before the session's shared lab is brought up (file order), since it cycles its own labs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.runner import Runner
from lab.topology import Topology
from tests.conftest import ROOT

DAEMONS = {"snmpd", "sshd", "named", "iperf3", "zebra", "ospfd", "staticd", "watchfrr"}
USER_DB = [
    Path("/etc") / f"{n}{s}" for n in ("passwd", "group", "shadow", "gshadow", "subuid", "subgid") for s in ("", "-")
]


def _listing(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def daemon_pids() -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if comm in DAEMONS and state != "Z":
                pids.add(int(entry.name))
    return pids


def snapshot() -> dict[str, object]:
    return {
        "netns": _run(["ip", "netns", "list"]),
        "links": sorted(link["ifname"] for link in json.loads(_run(["ip", "-j", "link", "show"]))),
        "routes": json.loads(_run(["ip", "-j", "route", "show", "table", "all"])),
        "mounts": Path("/proc/mounts").read_text(),
        "etc_frr": _listing(Path("/etc/frr")),
        "var_run_frr": _listing(Path("/var/run/frr")),
        "var_lib_snmp": _listing(Path("/var/lib/snmp")),
        "run": sorted(p.name for p in Path("/run").iterdir()),
        "root_home": sorted(p.name for p in Path("/root").iterdir()),  # vtysh once wrote .history_frr here
        "homes": sorted(str(p) for p in Path("/home").glob("*/*")) if Path("/home").is_dir() else [],
        "user_db": {str(p): p.read_text() if p.exists() else None for p in USER_DB},
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text(),
        "nft": _run(["nft", "list", "ruleset"]),
        "daemons": daemon_pids(),
    }


def assert_same(before: dict[str, object], after: dict[str, object]) -> None:
    for key, value in before.items():
        assert after[key] == value, f"host state '{key}' changed"


def test_lab_down_restores_the_host_exactly(topology: Topology) -> None:
    runner = Runner(topology)
    runner.down()
    before = snapshot()
    runner.up()
    up = snapshot()
    assert up["netns"] != before["netns"]
    # made and removed again would hide the cause: what the lab makes lives in its own runtime folder
    assert set(up["run"]) - set(before["run"]) <= {"pantau-lab", "netns", "sshd"}  # type: ignore[arg-type]
    runner.down()
    assert_same(before, snapshot())


def test_lab_down_after_a_killed_lab_up_still_cleans_up(topology: Topology) -> None:
    runner = Runner(topology)
    runner.down()
    before = snapshot()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "lab", "up"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # kill it once the services are being started: namespaces, links, users and some daemons exist
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Path("/var/run/frr/kominfo-core/zebra.pid").exists():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert "kominfo-core" in _run(["ip", "netns", "list"]), "the killed lab up left nothing to clean up"
    runner.down()
    assert_same(before, snapshot())
