"""Steady state of ``pantau run`` against the whole lab: CPU % of one core and RSS over a period.

``python -m benchmarks.steady [SECONDS]`` (default 300) brings the lab up, runs the agent on the NMS
node with its default intervals (SNMP 30 s, ICMP 15 s), samples /proc every 5 s, and takes the lab down.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.runner import Runner
from lab.topology import load_topology

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    runner = Runner(load_topology(ROOT / "lab" / "kominfo.clab.yml"))
    runner.up()
    state = Path(tempfile.mkdtemp(prefix="pbench-steady-"))
    argv = [sys.executable, "-m", "agent", "run", "--state-dir", str(state), "--listen", "127.0.0.1:9469"]
    with (state / "agent.log").open("wb") as log:
        proc = subprocess.Popen(runner.in_node("nms", argv), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            time.sleep(10)  # start-up (imports, store migration, first round) is not steady state
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            rss = []
            while time.monotonic() - t0 < seconds:
                time.sleep(5)
                rss.append(rss_mib(proc.pid))
            cpu = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0) * 100
        finally:
            proc.terminate()
            proc.wait(15)
            runner.down()
    shutil.rmtree(state, ignore_errors=True)
    print(
        f"| steady state, pantau run against the lab ({seconds:.0f} s; 8 devices, 4 links, 11 probe targets) "
        f"| CPU {cpu:.2f} % of one core | RSS max {max(rss):.1f} MiB, median {sorted(rss)[len(rss) // 2]:.1f} MiB |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
