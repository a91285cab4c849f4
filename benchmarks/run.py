"""``make bench``: build the bench namespace, run each benchmark inside it, print Markdown tables.

``python -m benchmarks.run peers`` runs only the first table (pantau against its peers, with the gates).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.fixture import FLEET_NETNS, NETNS, bench_netns, exporter, fleet_netns
from collectors.snmp import HC_COLUMNS, STATUS_COLUMNS

GATE = 1.0  # pantau / peer, median against median, each benchmark


def _client(netns: str, kind: str) -> dict[str, object]:
    out = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-m", "benchmarks.client", kind],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark {kind} failed:\n{out.stderr[-3000:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    if os.geteuid() != 0:
        print("benchmarks need root (a network namespace, snmpd, raw ICMP); run make bench as root", file=sys.stderr)
        return 2
    rows = []
    columns = [*HC_COLUMNS.values(), *STATUS_COLUMNS.values()]
    with bench_netns() as work:
        for kind in ("snmp", "icmp"):
            rows.append(_client(NETNS, kind))
        with exporter(NETNS, work, columns):
            rows.insert(1, _client(NETNS, "snmp-exporter"))
    with fleet_netns(50, 20, columns):
        rows.append(_client(FLEET_NETNS, "fleet"))
    print(f"| benchmark | peer | peer median | pantau median | ratio (pantau/peer) | gate ≤ {GATE:.1f}x | notes |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        notes = ""
        if "pantau_cpu_us_per_varbind" in r:
            notes = (
                f"CPU per varbind: pantau {r['pantau_cpu_us_per_varbind']:.1f} µs, "
                f"peer {r['peer_cpu_us_per_varbind']:.1f} µs"
            )
        met = "met" if float(str(r["ratio"])) <= GATE else "NOT met"
        print(
            f"| {r['benchmark']} | {r['peer']} | {r['peer_median_s'] * 1000:.1f} ms | "
            f"{r['pantau_median_s'] * 1000:.1f} ms | {r['ratio']:.2f}x | {met} | {notes} |"
        )
    if sys.argv[1:] == ["peers"]:  # python -m benchmarks.run peers: only the table above
        return 0
    from benchmarks import bandwidth, colocation, ipam, triage  # noqa: PLC0415

    allocs = [ipam.main(20, 50), ipam.main(20, 50, prepared=True)]
    colo = colocation.main(5)
    tri = triage.main(10)
    bw = bandwidth.main(3)
    print()
    print("| benchmark | result | goal |")
    print("|---|---|---|")
    for alloc in allocs:
        print(
            f"| {alloc['benchmark']} | {alloc['throughput_per_s']:.0f} allocations/s, p50 {alloc['p50_ms']:.0f} ms, "
            f"p99 {alloc['p99_ms']:.0f} ms (after each client's first {alloc['p99_warm_ms']:.0f} ms, "
            f"from its third on {alloc['p99_steady_ms']:.0f} ms), "
            f"duplicates {alloc['duplicates']} | p99 ≤ 50 ms, 0 duplicates |"
        )
    print(
        f"| {colo['benchmark']}, median of {colo['rounds']} | "
        f"`pantau colocate` {colo['colocate_command_median_s']:.2f} s "
        f"(its steps {colo['colocate_steps_median_s']:.2f} s), `pantau decommission` "
        f"{colo['decommission_command_median_s']:.2f} s | ≤ 3 s (SOP 14 allows 120 min for steps 7-8) |"
    )
    for case in ("healthy", "link-down"):
        r: dict[str, Any] = tri[case]  # type: ignore[assignment]
        print(
            f"| {tri['benchmark']}, {case}, {tri['rounds']} runs | median {r['median_s']:.2f} s, "
            f"p95 {r['p95_s']:.2f} s, verdicts {', '.join(r['verdicts'])} | ≤ 15 s |"
        )
    print(
        f"| {bw['benchmark']}, median of {bw['rounds']} | {bw['commands_median_s']:.1f} s (the apply's steps "
        f"{bw['apply_steps_median_s']:.1f} s) | ≤ 60 s (SOP 13 allows 240 min to map the bandwidth) |"
    )
    print(
        f"| revert by the device after pantau's session is dropped right after an apply, {bw['revert_after_s']} s "
        f"timer, median of {bw['rounds']} | old limit back {bw['revert_after_drop_median_s']:.1f} s after the drop, "
        f"{bw['revert_late_median_s']:.2f} s after the timer armed | within the timer + 5 s |"
    )
    print()
    sys.stdout.flush()
    # the fleet (about 50 minutes: 2 minutes each for pantau and the exporter up to 3,000 devices, 10 each
    # at 5,000), then the fleet shared out (about 25 minutes: 3,000 devices on one agent and on three,
    # alternated twice)
    fleet = subprocess.run([sys.executable, "-m", "benchmarks.fleet"], check=False).returncode
    print()
    sys.stdout.flush()
    return fleet or subprocess.run([sys.executable, "-m", "benchmarks.cluster"], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
