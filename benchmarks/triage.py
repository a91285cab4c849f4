"""Time to verdict of ``pantau triage`` in the lab, as on-call staff run it (the whole command), over
repeated runs: healthy, and with the OPD's link cut. ``python -m benchmarks.triage [ROUNDS]`` (root)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.faults import Faults
from lab.runner import Runner
from lab.topology import load_topology

ROOT = Path(__file__).resolve().parents[1]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


FOUND = (0, 1)  # pantau triage's exit codes for a verdict (no fault, a fault)


def main(rounds: int = 10) -> dict[str, object]:
    runner = Runner(load_topology(ROOT / "lab" / "kominfo.clab.yml"))
    runner.down()
    runner.up()
    out: dict[str, object] = {"benchmark": "pantau triage, whole command, in the lab", "rounds": rounds}
    try:
        with tempfile.TemporaryDirectory(prefix="pantau-triage-bench-") as state:
            argv = [sys.executable, "-m", "agent", "triage", "dinkes", "--json", "--state-dir", state]
            faults = Faults(runner)
            for case in ("healthy", "link-down"):
                if case == "link-down":
                    faults.inject("link-down", opd="dinkes")
                    time.sleep(1.5)
                walls, verdicts = [], set()
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    result = subprocess.run(runner.in_node("nms", argv), check=False, capture_output=True, text=True)
                    walls.append(time.perf_counter() - t0)
                    if result.returncode not in FOUND:  # 0: no fault, 1: a fault found; anything else failed
                        raise RuntimeError(f"pantau triage exited {result.returncode}: {result.stderr.strip()}")
                    verdicts.add(json.loads(result.stdout)["verdict"])
                out[case] = {"median_s": statistics.median(walls), "p95_s": _p95(walls), "verdicts": sorted(verdicts)}
            faults.clear()
    finally:
        runner.down()
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)))
