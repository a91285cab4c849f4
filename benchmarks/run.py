"""``make bench``: build the bench namespace, run each benchmark inside it, print a Markdown table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks.fixture import NETNS, bench_netns


def main() -> int:
    if os.geteuid() != 0:
        print("benchmarks need root (a network namespace, snmpd, raw ICMP); run make bench as root", file=sys.stderr)
        return 2
    rows = []
    with bench_netns():
        for kind in ("snmp", "icmp"):
            out = subprocess.run(
                ["ip", "netns", "exec", NETNS, sys.executable, "-m", "benchmarks.client", kind],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| benchmark | peer | peer median | pantau median | ratio (pantau/peer) | notes |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        notes = ""
        if "pantau_cpu_us_per_varbind" in r:
            notes = (
                f"CPU per varbind: pantau {r['pantau_cpu_us_per_varbind']:.1f} µs, "
                f"peer {r['peer_cpu_us_per_varbind']:.1f} µs"
            )
        print(
            f"| {r['benchmark']} | {r['peer']} | {r['peer_median_s'] * 1000:.1f} ms | "
            f"{r['pantau_median_s'] * 1000:.1f} ms | {r['ratio']:.2f}x | {notes} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
