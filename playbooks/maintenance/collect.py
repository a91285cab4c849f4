"""Collection for periodic maintenance (I/O): ICMP, SNMP and SSH facts of every device, in parallel, and
the SOA serials of every zone on every listed server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from collectors.cli import CliCollector, installed_routes, normalize_config, parse
from collectors.dns import DnsQueryError, query
from collectors.errors import CollectorError
from collectors.icmp import IcmpProber
from collectors.snmp import SnmpCollector
from collectors.snmp_values import parse_date_and_time
from core.findings import DeviceFacts, DnsFacts, InterfaceFacts
from inventory.models import Device, Inventory

SSH_FACTS = ["running_config", "routes", "ospf_neighbors", "disk"]


async def _device_facts(
    inv: Inventory, inventory_dir: Path, known_hosts: Path, device: Device, icmp_ok: bool, timeout: float
) -> DeviceFacts:
    facts = DeviceFacts(device.name, taken_at=0.0, icmp_ok=icmp_ok)
    if device.snmp is not None:
        collector = SnmpCollector(inventory_dir, timeout=timeout, retries=1)
        profile = inv.snmp_profile(device.snmp)
        try:
            sample = await collector.poll(device, profile)
            system = await collector.system(device, profile)
            facts.snmp_ok = True
            facts.uptime_ticks = sample.uptime_ticks
            for iface in device.interfaces:
                got = sample.interfaces.get(iface.name)
                if got is None:
                    facts.interfaces[iface.name] = InterfaceFacts(exists=False)
                    continue
                counts = [got.in_errors, got.out_errors, got.in_discards, got.out_discards]
                facts.interfaces[iface.name] = InterfaceFacts(
                    got.oper_up, got.admin_up, None if None in counts else sum(c or 0 for c in counts)
                )
            facts.cpu_load_pct = system.cpu_load_pct
            facts.processors = system.processors
            facts.memory_total_kb = system.memory_total_kb
            facts.memory_available_kb = system.memory_available_kb
            stamp = parse_date_and_time(system.date) if system.date else None
            if stamp is not None:
                # DateAndTime has 0.1 s resolution; the read took part of a round trip
                facts.clock_skew_s = stamp.timestamp() - system.read_at
        except CollectorError as exc:
            facts.snmp_ok, facts.snmp_error = False, str(exc).split(": ", 1)[-1]
        finally:
            collector.close()
    if device.ssh is not None:
        cli = CliCollector(inventory_dir, known_hosts, timeout=max(timeout * 3, 5.0))
        platform = str(device.platform)
        try:
            out = await asyncio.to_thread(cli.run, device, inv.ssh_profile(device.ssh), SSH_FACTS)
            facts.ssh_ok = True
            if "running_config" in out:
                facts.config = normalize_config(platform, out["running_config"])
            if "routes" in out:
                facts.routes = installed_routes(platform, parse(platform, "routes", out["routes"]))
            if "ospf_neighbors" in out:
                rows = parse(platform, "ospf_neighbors", out["ospf_neighbors"])
                facts.ospf_full = sorted({r["interface"] for r in rows if r["state"] == "Full"})
            if "disk" in out:
                rows = parse(platform, "disk", out["disk"])
                facts.disk_used_pct = float(rows[0]["capacity_pct"]) if rows else None
        except CollectorError as exc:
            facts.ssh_ok, facts.ssh_error = False, str(exc).split(": ", 1)[-1]
    facts.taken_at = datetime.now(UTC).timestamp()
    return facts


async def collect(
    inv: Inventory,
    inventory_dir: Path,
    known_hosts: Path,
    devices: list[Device],
    timeout: float,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, DeviceFacts], list[DnsFacts]]:
    """Facts of ``devices`` (in parallel) and the SOA serials of every zone on every listed server."""
    prober = IcmpProber(count=3, interval=0.05, timeout=1.0)
    try:
        pings = await prober.probe([str(d.mgmt_address) for d in devices])
    finally:
        prober.close()

    async def one(device: Device) -> DeviceFacts:
        result = pings.get(str(device.mgmt_address))
        facts = await _device_facts(inv, inventory_dir, known_hosts, device, bool(result and result.received), timeout)
        if progress is not None:
            progress(device.name)
        return facts

    gathered = await asyncio.gather(*(one(d) for d in devices))
    dns: list[DnsFacts] = []
    for zone in inv.zones:
        serials: dict[str, int | None] = {}
        for server in zone.servers or (zone.primary,):
            try:
                answer = await asyncio.to_thread(query, str(server), zone.name, "SOA", timeout)
                serials[str(server)] = int(next(iter(answer)).split()[2]) if answer else None
            except DnsQueryError:
                serials[str(server)] = None
        dns.append(DnsFacts(zone.name, serials))
    return {f.device: f for f in gathered}, dns
