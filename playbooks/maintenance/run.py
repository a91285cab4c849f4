"""Periodic network maintenance (Batam SOP 05): collect facts from every device of the chosen locations
(devices in parallel), run the checks against the previous run, keep configuration backups, store
the results and render a Berita Acara per location plus a summary.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from collectors.errors import CollectorError
from core.findings import (
    DC,
    DeviceFacts,
    DnsFacts,
    InterfaceFacts,
    Result,
    Status,
    Thresholds,
    evaluate,
    location_of,
    parse_date_and_time,
)
from inventory.models import Device, Inventory
from playbooks.errors import PlaybookError
from store.schema import ConfigBackup, DeviceFactsRow, MaintenanceResult, MaintenanceRun

log = logging.getLogger(__name__)
SSH_FACTS = ["running_config", "routes", "ospf_neighbors", "disk"]


@dataclass(frozen=True)
class Outcome:
    run_id: int
    results: list[Result]
    locations: list[str]


def locations(inv: Inventory) -> list[str]:
    return [o.slug for o in inv.opds if inv.links_of(o.slug)] + [DC]


def devices_of(inv: Inventory, chosen: list[str]) -> list[Device]:
    """The devices whose checks land in ``chosen`` locations: an OPD's CPE, and the data-center devices
    when the data center or any OPD is chosen (an OPD's link and routes are checked at the core too)."""
    out = []
    for device in inv.devices:
        loc = location_of(inv, device)
        if loc in chosen or (loc == DC and any(c != DC for c in chosen) and device.name in _link_devices(inv)):
            out.append(device)
    return out


def _link_devices(inv: Inventory) -> set[str]:
    return {link.dc.device for link in inv.links}


# ---- collection (I/O) ---------------------------------------------------------------------------
async def _device_facts(
    inv: Inventory, inventory_dir: Path, known_hosts: Path, device: Device, icmp_ok: bool, timeout: float
) -> DeviceFacts:
    from collectors.cli import CliCollector, installed_routes, normalize_config, parse  # noqa: PLC0415
    from collectors.snmp import SnmpCollector  # noqa: PLC0415

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
    from collectors.dns import DnsQueryError, query  # noqa: PLC0415
    from collectors.icmp import IcmpProber  # noqa: PLC0415

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


# ---- the run (store) -----------------------------------------------------------------------------
def previous_facts(store: Engine, devices: list[str]) -> dict[str, DeviceFacts]:
    out: dict[str, DeviceFacts] = {}
    with Session(store) as s:
        for name in devices:
            row = s.scalars(
                select(DeviceFactsRow).where(DeviceFactsRow.device == name).order_by(DeviceFactsRow.id.desc())
            ).first()
            if row is not None:
                out[name] = DeviceFacts.from_json(json.loads(row.facts))
    return out


def previous_configs(store: Engine, devices: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    with Session(store) as s:
        for name in devices:
            row = s.scalars(
                select(ConfigBackup).where(ConfigBackup.device == name).order_by(ConfigBackup.id.desc())
            ).first()
            if row is not None:
                out[name] = row.text
    return out


def run_maintenance(
    store: Engine,
    inv: Inventory,
    inventory_dir: Path,
    known_hosts: Path | None,
    chosen: list[str] | None,
    by: str,
    trigger: str = "manual",
    plan: str | None = None,
    thresholds: Thresholds | None = None,
    timeout: float = 2.0,
    progress: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Outcome:
    """Collect, check, and store one maintenance run over ``chosen`` locations (default: all)."""
    every = locations(inv)
    chosen = chosen or every
    unknown = [c for c in chosen if c not in every]
    if unknown:
        raise PlaybookError(f"unknown location(s) {', '.join(unknown)}; locations: {', '.join(every)}")
    if known_hosts is None:
        raise PlaybookError("maintenance needs SSH: set known_hosts in pantau.yml (host keys are always checked)")
    devices = devices_of(inv, chosen)
    names = [d.name for d in devices]
    before, configs_before = previous_facts(store, names), previous_configs(store, names)
    with Session(store) as s, s.begin():
        run = MaintenanceRun(started_at=datetime.now(UTC), trigger=trigger, scope=json.dumps(chosen), plan=plan, by=by)
        s.add(run)
        s.flush()
        run_id = run.id
    if on_start is not None:
        on_start(len(devices))
    try:
        facts, dns = asyncio.run(collect(inv, inventory_dir, known_hosts, devices, timeout, progress))
    except BaseException:
        with Session(store) as s, s.begin():  # nothing was checked: leave no half run behind
            gone = s.get(MaintenanceRun, run_id)
            if gone is not None:
                s.delete(gone)
        raise
    results = [
        r for r in evaluate(inv, facts, before, configs_before, dns, thresholds or Thresholds()) if r.location in chosen
    ]
    with Session(store) as s, s.begin():
        for f in facts.values():
            s.add(DeviceFactsRow(run_id=run_id, device=f.device, facts=json.dumps(f.to_json())))
            if f.config is not None and configs_before.get(f.device) != f.config:
                digest = hashlib.sha256(f.config.encode()).hexdigest()
                s.add(
                    ConfigBackup(
                        device=f.device, taken_at=datetime.now(UTC), sha256=digest, text=f.config, run_id=run_id
                    )
                )
        for r in results:
            s.add(
                MaintenanceResult(
                    run_id=run_id,
                    location=r.location,
                    device=r.device,
                    check=r.check,
                    subject=r.subject,
                    status=r.status.value,
                    finding=r.finding,
                    finding_en=r.finding_en,
                    follow_up=r.follow_up,
                    follow_up_en=r.follow_up_en,
                    detail=r.detail,
                )
            )
        row = s.get(MaintenanceRun, run_id)
        assert row is not None
        row.ended_at = datetime.now(UTC)
    return Outcome(run_id, results, chosen)


def stored_results(store: Engine, run_id: int) -> tuple[MaintenanceRun, list[Result]]:
    with Session(store) as s:
        run = s.get(MaintenanceRun, run_id)
        if run is None:
            raise PlaybookError(f"no maintenance run {run_id}; see pantau maintenance list")
        rows = s.scalars(
            select(MaintenanceResult).where(MaintenanceResult.run_id == run_id).order_by(MaintenanceResult.id)
        ).all()
        results = [
            Result(
                r.check,
                r.location,
                r.device,
                r.subject,
                Status(r.status),
                r.finding,
                r.finding_en,
                r.follow_up,
                r.follow_up_en,
                r.detail,
            )
            for r in rows
        ]
        s.expunge(run)
    return run, results
