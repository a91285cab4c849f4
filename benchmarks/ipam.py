"""IPAM under contention: N client processes allocate M addresses each from one prefix in one SQLite store.

``python -m benchmarks.ipam [prepared] [CLIENTS] [PER_CLIENT]`` prints JSON: throughput, p50/p99 latency of one
allocation (claim committed), duplicates among live addresses (must be 0). No network: the live check is
off, the point is the database race. Clients start together: each imports and opens the store, then waits
at a barrier until all are ready (spawning 20 interpreters takes seconds of CPU on 2 cores; a client that
started on a clock instead could claim while others were still importing). A client's first allocation
is a cold one (SQLAlchemy compiles and SQLite prepares the claim's statements), so p99 is given with
and without each client's first allocation. With ``prepared``, each client prepares its claims before
the barrier (as pgbench's clients connect first), the steady state of long-lived clients.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Prefix
from store.allocations import Allocations
from store.engine import open_store
from store.schema import IpAllocation

PREFIX = Prefix.model_validate(
    {
        "name": "bench",
        "prefix": "10.99.0.0/21",
        "purpose": "server",
        "gateway": "10.99.0.1",
        "reserved": [{"start": "10.99.0.2", "end": "10.99.0.9", "reason": "bench"}],
    }
)


_ready: Any = None  # the clients' barrier, given to each pool process when it starts


def _join(barrier: Any) -> None:
    global _ready  # noqa: PLW0603 (a pool initializer's only way to hand a process its barrier)
    _ready = barrier


def client(url: str, worker: int, count: int, prepared: bool = False) -> tuple[list[float], float, float]:
    """One client's allocations: (latencies, when it began, when it ended), times in seconds."""
    store = open_store(url)
    allocations = Allocations(store)
    if prepared:  # like pgbench's clients: connected and their statements prepared before the clock starts
        allocations.prepare(PREFIX)
    _ready.wait()  # all clients begin together, once every one of them is up
    began = time.time()
    latencies = []
    for i in range(count):
        t0 = time.perf_counter()
        allocations.allocate(PREFIX, f"w{worker}-{i}", "bench", None, "bench", None)
        latencies.append(time.perf_counter() - t0)
    return latencies, began, time.time()


def main(clients: int = 20, per_client: int = 50, prepared: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="pantau-ipam-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'pantau.db'}"
        open_store(url)
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(clients, initializer=_join, initargs=(spawn.Barrier(clients),)) as pool:
            runs = pool.starmap(client, [(url, w, per_client, prepared) for w in range(clients)])
        results = [latencies for latencies, _, _ in runs]
        wall = max(end for _, _, end in runs) - min(began for _, began, _ in runs)
        with Session(open_store(url)) as s:
            live = s.scalars(select(IpAllocation.address).where(IpAllocation.live_address.is_not(None))).all()
    latencies = sorted(x for r in results for x in r)
    warm = sorted(x for r in results for x in r[1:])
    steady = sorted(x for r in results for x in r[2:])
    total = clients * per_client
    return {
        "benchmark": f"IPAM, {total} allocations from {clients} concurrent processes, one SQLite store"
        + (", clients prepared before the clock" if prepared else ", cold clients"),
        "allocations": len(live),
        "duplicates": len(live) - len(set(live)),
        "throughput_per_s": total / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "p99_warm_ms": warm[int(0.99 * (len(warm) - 1))] * 1000,
        "p99_steady_ms": steady[int(0.99 * (len(steady) - 1))] * 1000,  # from each client's third on
        "first_allocation_p50_ms": statistics.median(r[0] for r in results) * 1000,
    }


def single(before: int = 500, measured: int = 500) -> dict[str, object]:
    """One client, no contention: the cost of one claim with ``before`` to ``before + measured`` live."""
    with tempfile.TemporaryDirectory(prefix="pantau-ipam-bench-") as tmp:
        allocations = Allocations(open_store(f"sqlite:///{Path(tmp) / 'pantau.db'}"))
        for i in range(before):
            allocations.allocate(PREFIX, f"pre{i}", "bench", None, "bench", None)
        latencies = []
        for i in range(measured):
            t0 = time.perf_counter()
            allocations.allocate(PREFIX, f"one{i}", "bench", None, "bench", None)
            latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return {
        "benchmark": f"IPAM, one claim, single client, {before}-{before + measured} live",
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["single"]:
        print(json.dumps(single()))
    elif sys.argv[1:2] == ["prepared"]:
        print(json.dumps(main(*[int(a) for a in sys.argv[2:4]], prepared=True)))
    else:
        print(json.dumps(main(*[int(a) for a in sys.argv[1:3]])))
