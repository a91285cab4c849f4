"""Colocation end to end in the lab: ``pantau colocate`` (IP + live check + A + PTR + verify + register) as
staff run it, wall time of the whole command and the run's own step total; then ``decommission``.

``python -m benchmarks.colocation [ROUNDS]`` (root) brings the lab up, measures, and takes it down.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.runner import Runner
from lab.topology import load_topology
from store.engine import open_store

ROOT = Path(__file__).resolve().parents[1]


def main(rounds: int = 5) -> dict[str, object]:
    runner = Runner(load_topology(ROOT / "lab" / "kominfo.clab.yml"))
    runner.down()
    runner.up()
    walls, steps, gone = [], [], []
    try:
        with tempfile.TemporaryDirectory(prefix="pantau-colo-bench-") as state:
            base = [sys.executable, "-m", "agent"]
            where = ["--state-dir", state, "--inventory", str(ROOT / "inventory" / "example"), "--json"]
            open_store(f"sqlite:///{state}/pantau.db").dispose()  # made before the first timed run, as the agent does
            for i in range(rounds):
                t0 = time.perf_counter()
                out = subprocess.run(
                    runner.in_node("nms", [*base, "colocate", "--opd", "dinkes", "--hostname", f"bench{i}", *where]),
                    check=True,
                    capture_output=True,
                    text=True,
                )
                walls.append(time.perf_counter() - t0)
                steps.append(sum(s["seconds"] for s in json.loads(out.stdout)["steps"]))
                t0 = time.perf_counter()
                subprocess.run(
                    runner.in_node("nms", [*base, "decommission", f"bench{i}", *where]), check=True, capture_output=True
                )
                gone.append(time.perf_counter() - t0)
    finally:
        runner.down()
    return {
        "benchmark": "colocation end to end in the lab (IP + live check + A + PTR + verify + register)",
        "rounds": rounds,
        "colocate_command_median_s": statistics.median(walls),
        "colocate_steps_median_s": statistics.median(steps),
        "decommission_command_median_s": statistics.median(gone),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)))
