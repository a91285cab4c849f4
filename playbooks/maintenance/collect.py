"""Collection for periodic maintenance (I/O): ICMP, SNMP and SSH facts of every device, in parallel, and
the SOA serials of every zone on every listed server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from collectors.cli import disk_used_pct, installed_routes, normalize_config, ospf_full, parse
from collectors.dns import DnsQueryError, query, soa_serial
from collectors.errors import CollectorError
from collectors.probes import Probes
from collectors.snmp_values import parse_date_and_time
from core.findings import DeviceFacts, DnsFacts, InterfaceFacts
from core.redact import redact
from inventory.errors import InventoryError
from inventory.models import Device, Inventory

log = logging.getLogger(__name__)
MAX_SSH_AT_ONCE = 32
SSH_FACTS = ["running_config", "routes", "ospf_neighbors", "disk"]


async def _device_facts(
    inv: Inventory,
    probes: Probes,
    device: Device,
    icmp_ok: bool,
    timeout: float,
    redaction_key: bytes,
    pool: ThreadPoolExecutor | None = None,
) -> DeviceFacts:
    """One device's facts; whatever fails is this device's *not checked* with the reason, never the run's."""
    facts = DeviceFacts(device.name, taken_at=0.0, icmp_ok=icmp_ok)
    if device.snmp is not None:
        collector = probes.snmp(timeout=timeout, retries=1)
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
        except (CollectorError, InventoryError) as exc:  # InventoryError: the profile's secret cannot be read
            facts.snmp_ok, facts.snmp_error, facts.snmp_reason = False, str(exc).split(": ", 1)[-1], _reason(exc)
        except Exception as exc:  # a defect one device's answer triggered: its checks are not done, the run goes on
            log.exception("SNMP facts of %s failed", device.name, extra={"device": device.name})
            facts.snmp_ok, facts.snmp_error, facts.snmp_reason = False, f"{type(exc).__name__}: {exc}", "defect"
        finally:
            collector.close()
    platform = probes.platforms.get(device.platform)
    facts.backs_up = platform.command("running_config") is not None
    if device.ssh is not None:
        try:
            cli = probes.cli(timeout=max(timeout * 3, 5.0))
            ssh = inv.ssh_profile(device.ssh)
            out = await asyncio.get_running_loop().run_in_executor(pool, cli.run, device, platform, ssh, SSH_FACTS)
            facts.ssh_ok = True
            if "running_config" in out:
                if platform.redaction is None:  # its secrets cannot be told from the rest: keep none of it
                    facts.config_withheld = platform.name
                else:  # secrets out before the configuration is kept, diffed or shown anywhere
                    text = normalize_config(platform, out["running_config"])
                    facts.config = redact(platform.redaction, text, redaction_key)
            if "routes" in out:
                facts.routes = installed_routes(platform, parse(platform, "routes", out["routes"]))
            if "ospf_neighbors" in out:
                facts.ospf_full = ospf_full(parse(platform, "ospf_neighbors", out["ospf_neighbors"]))
            if "disk" in out:
                facts.disk_used_pct = disk_used_pct(parse(platform, "disk", out["disk"]))
        except (CollectorError, InventoryError) as exc:
            facts.ssh_ok, facts.ssh_error, facts.ssh_reason = False, str(exc).split(": ", 1)[-1], _reason(exc)
        except Exception as exc:
            log.exception("SSH facts of %s failed", device.name, extra={"device": device.name})
            facts.ssh_ok, facts.ssh_error, facts.ssh_reason = False, f"{type(exc).__name__}: {exc}", "defect"
    facts.taken_at = datetime.now(UTC).timestamp()
    return facts


def _reason(exc: CollectorError | InventoryError) -> str:
    """The error's code, which the reports translate: a collector's own, or ``secret`` for a credential
    the inventory could not read."""
    return exc.reason if isinstance(exc, CollectorError) else "secret"


async def collect(
    inv: Inventory,
    probes: Probes,
    devices: list[Device],
    timeout: float,
    redaction_key: bytes,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, DeviceFacts], list[DnsFacts]]:
    """Facts of ``devices`` (in parallel) and the SOA serials of every zone on every listed server; the
    configurations with their secrets hidden (:mod:`core.redact`, under ``redaction_key``)."""
    prober = probes.icmp(count=3, interval=0.05, timeout=1.0)
    try:
        pings = await prober.probe([str(d.mgmt_address) for d in devices])
    finally:
        prober.close()

    # a thread per device (up to MAX_SSH_AT_ONCE): with the default executor's few threads (6 on 2 cores), a
    # run with more slow devices than threads waited for their timeouts one batch after another
    pool = ThreadPoolExecutor(max_workers=max(1, min(MAX_SSH_AT_ONCE, len(devices))), thread_name_prefix="ssh")

    async def one(device: Device) -> DeviceFacts:
        result = pings.get(str(device.mgmt_address))
        up = bool(result and result.received)
        facts = await _device_facts(inv, probes, device, up, timeout, redaction_key, pool)
        if progress is not None:
            progress(device.name)
        return facts

    try:
        gathered = await asyncio.gather(*(one(d) for d in devices))
    finally:
        pool.shutdown(wait=False)
    dns: list[DnsFacts] = []
    for zone in inv.zones:
        serials: dict[str, int | None] = {}
        for server in zone.servers or (zone.primary,):
            try:
                answer = await asyncio.to_thread(query, str(server), zone.name, "SOA", timeout)
                serials[str(server)] = soa_serial(answer)
            except DnsQueryError:
                serials[str(server)] = None
        dns.append(DnsFacts(zone.name, serials))
    return {f.device: f for f in gathered}, dns
