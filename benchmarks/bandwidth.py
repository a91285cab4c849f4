"""SOP 13's bandwidth map put on the lab's shaper, as staff do it: ``bandwidth plan --save``, ``approve``,
``apply`` (read, arm the device's revert, apply, verify by read-back and 5 s of iperf3 per OPD, confirm)
for the four lab OPDs, wall time of the three commands against SOP 13's 240 minutes; and how soon the
device puts the old limit back by itself after pantau's SSH session is dropped right after an apply.

``python -m benchmarks.bandwidth [ROUNDS]`` (root) brings the lab up, measures, and takes it down.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from agent.config import Config
from agent.wiring import build
from core.rollup import RollupRow
from lab import host
from lab.runner import Runner
from lab.topology import load_topology
from store.links import add_rollups

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = ROOT / "inventory" / "example"
CAPS = {"dinkes": 6, "disdik": 12, "dishub": 30, "bappeda": 25}  # every ceiling under its circuit
USE = {"dinkes": 9.0, "disdik": 2.0, "dishub": 40.0, "bappeda": 30.0}
SUBSCRIBED = {"eth1": 10, "eth2": 20, "eth3": 50, "eth4": 100}
DROP_SSH = "table inet pantau_bench_drop {\n chain input {\n  type filter hook input priority -10;\n"
DROP_SSH += "  tcp dport 22 drop\n }\n}\n"


def _inventory(tmp: Path) -> Path:
    copy = tmp / "inventory"
    shutil.copytree(INVENTORY, copy)
    creds = copy / "credentials.yml"
    creds.write_text(creds.read_text().replace("file:../../", f"file:{ROOT}/"))
    data = yaml.safe_load((copy / "opds.yml").read_text())
    for opd in data["opds"]:
        opd["bandwidth"] = {**opd.get("bandwidth", {}), "cap_mbps": CAPS[opd["slug"]]}
    (copy / "opds.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return copy


def _month(state: Path, inventory: Path) -> None:
    """November 2026 of 5-minute rollups in the store, as the agent writes them."""
    store = build(Config(inventory=inventory, state_dir=state)).store
    start = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Jakarta"))
    periods = [start + timedelta(minutes=5 * i) for i in range(30 * 24 * 12)]
    rows = [
        RollupRow(f"{opd}-wan", opd, at, 300, 10, 1e5, 2e5, use * 1e6, use * 1e6, 0.0, 0.002)
        for opd, use in USE.items()
        for at in periods
    ]
    add_rollups(store, rows)
    store.dispose()


def _reset(runner: Runner) -> None:
    for dev, mbit in SUBSCRIBED.items():
        rate = f"{mbit}mbit"
        runner.exec(
            "core", ["tc", "class", "change", "dev", dev, "classid", "10:10", "htb", "rate", rate, "ceil", rate]
        )


def _ceil(runner: Runner, dev: str) -> str:
    for line in runner.exec("core", ["tc", "class", "show", "dev", dev]).stdout.splitlines():
        if line.startswith("class htb 10:10 "):
            return line.split(" ceil ")[1].split()[0]
    raise SystemExit(f"core {dev}: no class 10:10")


def _agent(runner: Runner, *args: str) -> str:
    argv = [sys.executable, "-m", "agent", *args]
    return subprocess.run(runner.in_node("nms", argv), capture_output=True, text=True, check=True).stdout


def _pantau(runner: Runner, state: Path, inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "agent", "--lang", "en", *args, "--state-dir", str(state), "-i", str(inventory)]
    return subprocess.run(runner.in_node("nms", argv), capture_output=True, text=True, check=True, timeout=300)


def _map_round(runner: Runner, state: Path, inventory: Path) -> tuple[float, float]:
    """One plan, approval and apply: the wall time of the three commands, and the apply run's step total."""
    _reset(runner)
    t0 = time.perf_counter()
    month = ("bandwidth", "plan", "--month", "2026-11", "--save", "--json")
    planned = json.loads(_pantau(runner, state, inventory, *month).stdout)
    plan_id = str(planned["plan"]["id"])
    _pantau(runner, state, inventory, "bandwidth", "approve", plan_id, "--name", "Kabid")
    run = json.loads(_pantau(runner, state, inventory, "bandwidth", "apply", plan_id, "--json").stdout)
    wall = time.perf_counter() - t0
    if run["state"] != "succeeded":
        raise SystemExit(f"apply did not succeed: {run['reason']}")
    return wall, sum(s["seconds"] for s in run["steps"])


def _dropped(runner: Runner, state: Path, revert_after: int) -> tuple[float, float]:
    """Seconds from the dropped session to the old limit back on the device, and from the end of the
    device's timer to it (how late the device's own job is)."""
    before = _ceil(runner, "eth2")
    argv = [sys.executable, "-m", "agent", "bandwidth", "set", "--opd", "disdik", "--mbit", "7", "--no-measure"]
    argv += ["--revert-after", str(revert_after), "--json", "--stop-after", "apply"]
    argv += ["--state-dir", str(state), "-i", str(INVENTORY)]
    proc = subprocess.Popen(runner.in_node("nms", argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        time.sleep(0.02)
    host.run(runner.in_node("core", ["nft", "-f", "-"]), node="core", input_text=DROP_SSH)
    try:
        dropped = time.time()
        os.kill(proc.pid, signal.SIGCONT)
        while _ceil(runner, "eth2") != before:
            time.sleep(0.05)
        back = time.time()
        proc.communicate(timeout=120)
    finally:
        runner.exec("core", ["nft", "delete", "table", "inet", "pantau_bench_drop"], check=False)
    newest = json.loads(_agent(runner, "runs", "list", "--json", "--state-dir", str(state)))[0]
    facts = json.loads(_agent(runner, "runs", "show", str(newest["id"]), "--json", "--state-dir", str(state)))["facts"]
    armed_until = datetime.fromisoformat(facts["devices"][0]["armed_until"]).timestamp()
    _agent(runner, "runs", "recover", "--state-dir", str(state), "-i", str(INVENTORY))
    return back - dropped, back - armed_until


def main(rounds: int = 3, revert_after: int = 20) -> dict[str, object]:
    runner = Runner(load_topology(ROOT / "lab" / "kominfo.clab.yml"))
    runner.down()
    runner.up()
    walls, steps, drops, late = [], [], [], []
    try:
        with tempfile.TemporaryDirectory(prefix="pantau-bw-bench-") as tmp:
            inventory = _inventory(Path(tmp))
            for i in range(rounds):
                state = Path(tmp) / f"state{i}"
                _month(state, inventory)
                wall, step = _map_round(runner, state, inventory)
                walls.append(wall)
                steps.append(step)
                _reset(runner)
                drop, lateness = _dropped(runner, state, revert_after)
                drops.append(drop)
                late.append(lateness)
    finally:
        runner.down()
    return {
        "benchmark": "SOP 13 map put on the shaper in the lab, 4 OPDs (plan --save, approve, apply with iperf3)",
        "rounds": rounds,
        "commands_median_s": statistics.median(walls),
        "apply_steps_median_s": statistics.median(steps),
        "revert_after_s": revert_after,
        "revert_after_drop_median_s": statistics.median(drops),
        "revert_late_median_s": statistics.median(late),
        "measured_at": datetime.now(UTC).isoformat(),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
