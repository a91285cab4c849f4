"""Benchmark clients; run inside the bench namespace (``ip netns exec pbench-dev``) by ``run.py``.

Each benchmark alternates A (the peer) and B (pantau) round by round, so both see the same machine
state, and prints medians as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.fixture import COMMUNITY, EXPORTER_LISTEN, fleet_address
from collectors.icmp import IcmpProber
from collectors.samples import DeviceSample
from collectors.snmp import HC_COLUMNS, STATUS_COLUMNS, SnmpCollector
from inventory.models import Device, Interface, Role, SnmpProfile, SnmpVersion


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _one_device(interfaces: int) -> tuple[Device, SnmpProfile]:
    """The bench namespace's snmpd (127.0.0.1) as a device listing its ``interfaces`` veth ends."""
    names = [f"b{i}{side}" for i in range(interfaces // 2) for side in "ab"]
    device = Device(name="bench", role=Role.CORE, platform="linux", site="bench", mgmt_address="127.0.0.1",
                    snmp="bench", interfaces=tuple(Interface(name=n) for n in names))  # fmt: skip
    os.environ["PBENCH_COMMUNITY"] = COMMUNITY
    return device, SnmpProfile(name="bench", version=SnmpVersion.V2C, community="env:PBENCH_COMMUNITY")


def snmp(rounds: int, interfaces: int) -> dict[str, object]:
    device, profile = _one_device(interfaces)
    columns = [*HC_COLUMNS.values(), *STATUS_COLUMNS.values()]
    loop = asyncio.new_event_loop()
    collector = loop.run_until_complete(_make(Path("."), loop))
    sample = loop.run_until_complete(collector.poll(device, profile))  # warm: ifName walk, ifIndex cache
    assert len(sample.interfaces) == interfaces, len(sample.interfaces)
    varbinds = interfaces * len(columns)
    a_wall, b_wall, a_cpu, b_cpu = [], [], [], []
    persist = tempfile.TemporaryDirectory(prefix="pbench-snmp-")  # net-snmp's client writes there; removed after
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), children_cpu()
        for column in columns:
            out = subprocess.run(
                ["snmpbulkwalk", "-v2c", "-c", COMMUNITY, "-Cr50", "-On", "-Oq", "127.0.0.1", column],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "SNMP_PERSISTENT_DIR": persist.name},
            )
            assert out.stdout.count("\n") >= interfaces
        a_wall.append(time.perf_counter() - t0)
        a_cpu.append(children_cpu() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        sample = loop.run_until_complete(collector.poll(device, profile))
        b_wall.append(time.perf_counter() - t0)
        b_cpu.append(time.process_time() - c0)
        assert len(sample.interfaces) == interfaces
    complete = [
        i
        for i in sample.interfaces.values()
        if i.in_octets is not None and i.oper_up is not None and i.out_errors is not None and i.speed_bps is not None
    ]
    assert len(complete) == interfaces, len(complete)
    collector.close()
    persist.cleanup()
    loop.close()
    a, b = statistics.median(a_wall), statistics.median(b_wall)
    return {
        "benchmark": f"SNMP poll, 1 device x {interfaces} interfaces x {len(columns)} columns",
        "peer": "snmpbulkwalk -Cr50 (net-snmp), one walk per column",
        "rounds": rounds,
        "peer_median_s": a,
        "pantau_median_s": b,
        "ratio": b / a,
        "pantau_cpu_us_per_varbind": statistics.median(b_cpu) / varbinds * 1e6,
        "peer_cpu_us_per_varbind": statistics.median(a_cpu) / varbinds * 1e6,
    }


def snmp_exporter(rounds: int, interfaces: int) -> dict[str, object]:
    """The fair peer of :func:`snmp`: prometheus-snmp-exporter scraping the same 1,000-interface target for
    the same columns (one warm process each side; the scrape is one HTTP request from this process)."""
    device, profile = _one_device(interfaces)
    url = f"http://{EXPORTER_LISTEN}/snmp?module=pantau_bench&target=127.0.0.1"
    columns = len(HC_COLUMNS) + len(STATUS_COLUMNS)

    def scrape() -> int:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return sum(1 for line in answer.read().decode().splitlines() if line.startswith("c_"))

    loop = asyncio.new_event_loop()
    collector = loop.run_until_complete(_make(Path("."), loop))
    loop.run_until_complete(collector.poll(device, profile))  # warm: ifName walk, ifIndex cache
    scraped = scrape()  # warm the exporter too
    assert scraped >= interfaces * columns, scraped
    a_wall, b_wall = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        scrape()
        a_wall.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sample = loop.run_until_complete(collector.poll(device, profile))
        b_wall.append(time.perf_counter() - t0)
        assert len(sample.interfaces) == interfaces
    collector.close()
    loop.close()
    a, b = statistics.median(a_wall), statistics.median(b_wall)
    return {
        "benchmark": f"SNMP poll, 1 device x {interfaces} interfaces x {columns} columns",
        "peer": "prometheus-snmp-exporter 0.21 (Debian), one scrape of that target, same columns",
        "rounds": rounds,
        "peer_median_s": a,
        "pantau_median_s": b,
        "ratio": b / a,
    }


async def _make(inventory: Path, loop: asyncio.AbstractEventLoop) -> SnmpCollector:
    return SnmpCollector(inventory, timeout=2.0, retries=1)


def icmp(rounds: int, targets: int, count: int) -> dict[str, object]:
    addrs = [f"10.251.{i // 250}.{i % 250 + 1}" for i in range(targets)]
    interval = 0.01
    loop = asyncio.new_event_loop()

    async def make() -> IcmpProber:
        return IcmpProber(count=count, interval=interval, timeout=1.0)

    prober = loop.run_until_complete(make())
    a_wall, b_wall = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(
            ["fping", "-q", "-i", "0", "-p", str(int(interval * 1000)), "-c", str(count), *addrs],
            capture_output=True,
            check=True,
        )
        a_wall.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        results = loop.run_until_complete(prober.probe(addrs))
        b_wall.append(time.perf_counter() - t0)
        assert all(r.received == count for r in results.values())
    prober.close()
    loop.close()
    a, b = statistics.median(a_wall), statistics.median(b_wall)
    return {
        "benchmark": f"ICMP, {targets} targets x {count} probes, {interval * 1000:.0f} ms apart",
        "peer": f"fping -i0 -p {int(interval * 1000)} -c {count}",
        "rounds": rounds,
        "peer_median_s": a,
        "pantau_median_s": b,
        "ratio": b / a,
    }


def fleet(rounds: int, devices: int, interfaces: int) -> dict[str, object]:
    names = [f"f{i}{side}" for i in range(interfaces // 2) for side in "ab"]
    fleet_devices = [
        Device(
            name=f"d{d}",
            role=Role.CPE,
            platform="linux",
            site="bench",
            mgmt_address=fleet_address(d),
            snmp="bench",
            interfaces=tuple(Interface(name=n) for n in names),
        )
        for d in range(devices)
    ]
    profile = SnmpProfile(name="bench", version=SnmpVersion.V2C, community="env:PBENCH_COMMUNITY")
    os.environ["PBENCH_COMMUNITY"] = COMMUNITY
    loop = asyncio.new_event_loop()
    collector = loop.run_until_complete(_make(Path("."), loop))

    async def poll_all() -> list[DeviceSample]:
        return list(await asyncio.gather(*(collector.poll(d, profile) for d in fleet_devices)))

    loop.run_until_complete(poll_all())  # warm: ifIndex caches
    urls = [f"http://{EXPORTER_LISTEN}/snmp?module=pantau_bench&target={fleet_address(d)}" for d in range(devices)]
    curl = ["curl", "-sf", "--parallel", "--parallel-immediate", "--parallel-max", str(devices)]
    for url in urls:
        curl += ["-o", "/dev/null", url]
    subprocess.run(curl, check=True)  # warm the exporter too
    a_wall, b_wall = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(curl, check=True)
        a_wall.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        samples = loop.run_until_complete(poll_all())
        b_wall.append(time.perf_counter() - t0)
        assert all(len(s.interfaces) == interfaces for s in samples)
    collector.close()
    loop.close()
    a, b = statistics.median(a_wall), statistics.median(b_wall)
    columns = len(HC_COLUMNS) + len(STATUS_COLUMNS)
    return {
        "benchmark": f"SNMP poll, {devices} devices x {interfaces} interfaces x {columns} columns, concurrently",
        "peer": "prometheus-snmp-exporter 0.21 (Debian), all targets scraped in parallel, same columns",
        "rounds": rounds,
        "peer_median_s": a,
        "pantau_median_s": b,
        "ratio": b / a,
    }


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "snmp":
        result = snmp(15, 1000)
    elif kind == "snmp-exporter":
        result = snmp_exporter(15, 1000)
    elif kind == "fleet":
        result = fleet(15, 50, 20)
    else:
        result = icmp(15, 250, 3)
    print(json.dumps(result))
