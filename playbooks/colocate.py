"""Colocation and withdrawal of a server (SOP 14 steps 7-8, SOP 20 step 7's public IP, the hosting
SOP's subdomain, and the withdrawal the Batam documents name), as playbooks for the engine.

colocate:     validate → allocate (with a live conflict check) → DNS forward → DNS reverse → (subdomain)
              → verify by querying the primary → register monitoring
decommission: find → stop monitoring → delete subdomain, PTR, A → release the address → verify
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, ip_interface
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.ipam import Address, IpamError, parse_address, prefix_for
from inventory.models import Inventory, Prefix, Purpose
from playbooks.effectors import monitoring
from playbooks.effectors.dns import DnsUpdater, Record
from playbooks.engine import Playbook, RunContext, Step
from playbooks.errors import DnsError, PlaybookError
from store.allocations import Allocations, LiveCheck, Sighting
from store.schema import DnsChange

LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
SOP7 = "SOP 14 langkah 7"
SOP8 = "SOP 14 langkah 8"
HOUR = timedelta(minutes=60)


@dataclass
class Services:
    """What the colocation steps act through; the CLI wires the real ones."""

    inventory: Inventory
    inventory_dir: Path
    dns: DnsUpdater
    allocations: Allocations
    live_check: LiveCheck | None


def _svc(ctx: RunContext) -> Services:
    services: Services = ctx.resources["services"]
    return services


def _fqdn(ctx: RunContext) -> str:
    return f"{ctx.params['hostname']}.{_svc(ctx).inventory.agency.zone}"


def _log_change(ctx: RunContext, record: Record, action: str) -> None:
    with Session(ctx.store) as s, s.begin():
        s.add(
            DnsChange(
                at=datetime.now(UTC),
                zone=record.zone,
                name=record.name,
                rtype=record.rtype,
                value=record.value,
                ttl=record.ttl,
                action=action,
                by=ctx.by,
                run_id=ctx.run_id,
            )
        )


def _record(data: dict[str, Any]) -> Record:
    return Record(**data)


# ---- colocate ------------------------------------------------------------------------------------
def validate_request(inv: Inventory, params: dict[str, Any]) -> Prefix:
    """Check a colocation request against the inventory; the prefix it will use. Pure."""
    hostname = params["hostname"]
    if not LABEL.match(hostname or ""):
        raise PlaybookError(
            f"--hostname '{hostname}': use a DNS label: lowercase letters, digits and '-', 1-63 characters"
        )
    slugs = [o.slug for o in inv.opds]
    if params["opd"] not in slugs:
        raise PlaybookError(f"--opd '{params['opd']}' is not an OPD of the inventory; OPDs: {', '.join(slugs)}")
    if params.get("mac") and not MAC.match(params["mac"]):
        raise PlaybookError(f"--mac '{params['mac']}': write it as six hex pairs, aa:bb:cc:dd:ee:ff")
    if params.get("subdomain") and not LABEL.match(params["subdomain"]):
        raise PlaybookError(f"--subdomain '{params['subdomain']}': use a DNS label (lowercase, digits, '-')")
    purpose = Purpose.PUBLIC if params.get("public") else Purpose.SERVER
    prefix = prefix_for(inv, purpose, params.get("prefix"))
    if params.get("ip"):
        address = parse_address(params["ip"])
        if address not in prefix.prefix:
            raise IpamError(f"--ip {address} is not in prefix {prefix.name} ({prefix.prefix}) for {purpose} addresses")
    static = {s.hostname for p in inv.prefixes for s in p.static} | {d.name for d in inv.devices}
    if hostname in static:
        raise PlaybookError(f"--hostname '{hostname}' is a device or static assignment of the inventory already")
    return prefix


def _validate(ctx: RunContext) -> str:
    prefix = validate_request(_svc(ctx).inventory, dict(ctx.params))
    ctx.remember("prefix", prefix.name)
    return f"permintaan lengkap: {_fqdn(ctx)} untuk OPD {ctx.params['opd']}, prefix {prefix.name} ({prefix.prefix})"


def _allocate(ctx: RunContext) -> str:
    svc = _svc(ctx)
    prefix = prefix_for(
        svc.inventory, Purpose.PUBLIC if ctx.params.get("public") else Purpose.SERVER, ctx.facts["prefix"]
    )
    requested = parse_address(ctx.params["ip"]) if ctx.params.get("ip") else None
    got = svc.allocations.allocate(
        prefix,
        ctx.params["hostname"],
        ctx.params["opd"],
        ctx.params.get("mac"),
        ctx.by,
        ctx.run_id,
        requested=requested,
        live_check=svc.live_check,
    )
    ctx.remember("address", got.address)
    ctx.remember("allocation_existing", got.existing)
    text = f"{got.address} ({'sudah dialokasikan sebelumnya' if got.existing else 'dialokasikan'})"
    for address, seen in got.skipped:
        text += f"; {address} dilewati: dipakai host tak terdaftar ({seen.how}, MAC {seen.mac or 'tidak diketahui'})"
    return text


def _unallocate(ctx: RunContext) -> str:
    released = _svc(ctx).allocations.release_run(ctx.run_id, ctx.by)
    return f"released {', '.join(released)}" if released else "nothing to release"


def _add(ctx: RunContext, key: str, record: Record) -> str:
    ctx.remember(key, record.__dict__)  # before the update: a crash right after it is still undone
    try:
        result = _svc(ctx).dns.add(record, replace=bool(ctx.params.get("replace")))
    except DnsError as exc:
        if not exc.maybe_applied:
            ctx.remember(key, None)  # the server certainly did not take it: nothing to undo
        raise
    ctx.remember(key + "_result", result)
    if result != "already present":
        _log_change(ctx, record, "replace" if result == "replaced" else "add")
    return f"{record}: {result}"


def _undo_add(ctx: RunContext, key: str) -> str | None:
    if not ctx.facts.get(key) or ctx.facts.get(key + "_result") == "already present":
        return None  # never sent, or it was there before this run: not ours to remove
    record = _record(ctx.facts[key])
    result = _svc(ctx).dns.delete(record)
    if result == "deleted":
        _log_change(ctx, record, "delete")
    return f"{record}: {result}"


def _dns_forward(ctx: RunContext) -> str:
    return _add(ctx, "forward", _svc(ctx).dns.address_record(_fqdn(ctx), ctx.facts["address"]))


def _dns_reverse(ctx: RunContext) -> str:
    return _add(ctx, "reverse", _svc(ctx).dns.pointer_record(ctx.facts["address"], _fqdn(ctx)))


def _subdomain(ctx: RunContext) -> str:
    sub = ctx.params.get("subdomain")
    if not sub:
        return "tidak diminta (not requested)"
    zone = _svc(ctx).inventory.agency.zone
    return _add(ctx, "subdomain", _svc(ctx).dns.alias_record(f"{sub}.{ctx.params['opd']}.{zone}", _fqdn(ctx)))


def _verify(ctx: RunContext) -> str:
    dns = _svc(ctx).dns
    seen = []
    for key in ("forward", "reverse", "subdomain"):
        if not ctx.facts.get(key):
            continue
        record = _record(ctx.facts[key])
        answer = dns.current(record)
        if answer != {record.value}:
            raise DnsError(
                f"zone {record.zone}: the primary answers {', '.join(sorted(answer)) or 'nothing'} for "
                f"{record.name} {record.rtype}, expected {record.value}"
            )
        seen.append(str(record))
    return "dijawab server utama: " + "; ".join(seen)


def _register(ctx: RunContext) -> str:
    ctx.remember("monitoring", _fqdn(ctx))
    result = monitoring.register(ctx.store, _fqdn(ctx), ctx.facts["address"], ctx.params["opd"], ctx.by, ctx.run_id)
    ctx.remember("monitoring_result", result)
    return f"{_fqdn(ctx)} {ctx.facts['address']}: {result}"


def _unregister(ctx: RunContext) -> str | None:
    if "monitoring" not in ctx.facts or ctx.facts.get("monitoring_result") == "already registered":
        return None
    return monitoring.unregister(ctx.store, ctx.facts["monitoring"])


def _step(
    name: str,
    title: str,
    sop: str,
    output: str,
    action: Callable[[RunContext], str],
    compensate: Callable[[RunContext], str | None] | None = None,
) -> Step:
    return Step(name, title, sop, HOUR, output, action, compensate)


COLOCATE = Playbook(
    "colocate",
    "Penempatan server di Pusat Data (colocation)",
    (
        _step("validate", "Periksa kelengkapan permintaan", SOP7, "permintaan valid", _validate),
        _step("allocate", "Alokasi alamat IP", SOP7, "IP server", _allocate, _unallocate),
        _step("dns-forward", "DNS maju (A/AAAA)", SOP7, "DNS server", _dns_forward, lambda c: _undo_add(c, "forward")),
        _step("dns-reverse", "DNS balik (PTR)", SOP7, "DNS server", _dns_reverse, lambda c: _undo_add(c, "reverse")),
        _step(
            "subdomain",
            "Subdomain aplikasi (CNAME)",
            SOP7,
            "subdomain",
            _subdomain,
            lambda c: _undo_add(c, "subdomain"),
        ),
        _step("verify", "Verifikasi DNS di server utama", SOP7, "IP server dan DNS", _verify),
        _step("monitoring", "Daftarkan ke sistem monitoring", SOP8, "server siap", _register, _unregister),
    ),
)


# ---- decommission --------------------------------------------------------------------------------
def _find(ctx: RunContext) -> str:
    svc = _svc(ctx)
    hostname = ctx.params["hostname"]
    live = svc.allocations.live(hostname)
    if not live:
        raise PlaybookError(f"{hostname} has no live allocation; see pantau ipam show")
    fqdn = _fqdn(ctx)
    records: list[dict[str, Any]] = []
    for alloc in live:
        records.append(svc.dns.address_record(fqdn, alloc.address).__dict__)
        records.append(svc.dns.pointer_record(alloc.address, fqdn).__dict__)
    with Session(ctx.store) as s:  # subdomains that point at this server and were not deleted since
        changes = s.scalars(
            select(DnsChange).where(DnsChange.rtype == "CNAME", DnsChange.value == fqdn).order_by(DnsChange.id)
        ).all()
    aliases: dict[str, DnsChange] = {}
    for change in changes:
        if change.action == "delete":
            aliases.pop(change.name, None)
        else:
            aliases[change.name] = change
    records += [svc.dns.alias_record(c.name, fqdn).__dict__ for c in aliases.values()]
    ctx.remember("allocations", [a.id for a in live])
    ctx.remember("addresses", [a.address for a in live])
    ctx.remember("records", records)
    ctx.remember("opd", live[0].opd)
    return f"{fqdn}: {', '.join(a.address for a in live)}; {len(records)} DNS record(s)"


def _stop_monitoring(ctx: RunContext) -> str:
    result = monitoring.unregister(ctx.store, _fqdn(ctx))
    ctx.remember("unregistered", result == "unregistered")
    return result


def _restart_monitoring(ctx: RunContext) -> str | None:
    if not ctx.facts.get("unregistered"):
        return None
    return monitoring.register(
        ctx.store, _fqdn(ctx), ctx.facts["addresses"][0], ctx.facts.get("opd"), ctx.by, ctx.run_id
    )


def _delete_records(ctx: RunContext) -> str:
    dns = _svc(ctx).dns
    results = []
    deleted: list[dict[str, Any]] = []
    for data in reversed(ctx.facts["records"]):  # aliases first, then PTR, then A
        record = _record(data)
        result = dns.delete(record)
        if result == "deleted":
            deleted.append(data)
            ctx.remember("deleted", deleted)
            _log_change(ctx, record, "delete")
        results.append(f"{record}: {result}")
    return "; ".join(results)


def _restore_records(ctx: RunContext) -> str | None:
    dns = _svc(ctx).dns
    restored = []
    for data in reversed(ctx.facts.get("deleted", [])):
        record = _record(data)
        if dns.add(record) == "added":
            _log_change(ctx, record, "add")
        restored.append(str(record))
    return f"restored {'; '.join(restored)}" if restored else None


def _release(ctx: RunContext) -> str:
    allocations = _svc(ctx).allocations
    released = [i for i in ctx.facts["allocations"] if allocations.release(i, ctx.by)]
    ctx.remember("released", released)
    return f"dilepas: {', '.join(ctx.facts['addresses'])}"


def _unrelease(ctx: RunContext) -> str | None:
    allocations = _svc(ctx).allocations
    back = [i for i in ctx.facts.get("released", []) if allocations.relive(i)]
    return f"allocation(s) {back} live again" if back else None


def _verify_gone(ctx: RunContext) -> str:
    dns = _svc(ctx).dns
    for data in ctx.facts["records"]:
        record = _record(data)
        if record.value in dns.current(record):
            raise DnsError(f"zone {record.zone}: the primary still answers {record} after the delete")
    return "tidak ada lagi di server utama (gone from the primary)"


DECOMMISSION = Playbook(
    "decommission",
    "Penarikan server dari Pusat Data (withdrawal)",
    (
        _step("find", "Cari alokasi dan catatan DNS server", SOP7, "daftar yang akan dicabut", _find),
        _step(
            "monitoring", "Hentikan monitoring", SOP8, "monitoring dihentikan", _stop_monitoring, _restart_monitoring
        ),
        _step("dns", "Hapus catatan DNS (CNAME, PTR, A)", SOP7, "DNS dihapus", _delete_records, _restore_records),
        _step("release", "Lepas alamat IP", SOP7, "IP kembali bebas", _release, _unrelease),
        _step("verify", "Verifikasi di server utama", SOP7, "DNS tidak menjawab lagi", _verify_gone),
    ),
)

PLAYBOOKS = {p.name: p for p in (COLOCATE, DECOMMISSION)}


# ---- live conflict check -------------------------------------------------------------------------
def gateway_of(inv: Inventory, prefix: Prefix) -> tuple[str, str] | None:
    """(device, interface) holding the prefix's gateway address, from the inventory."""
    if prefix.gateway is None:
        return None
    for device in inv.devices:
        for iface in device.interfaces:
            if iface.address is not None and ip_interface(iface.address).ip == prefix.gateway:
                return device.name, iface.name
    return None


def network_live_check(inv: Inventory, inventory_dir: Path, snmp_timeout: float = 1.0) -> LiveCheck:
    """ICMP echo to the candidate, then the gateway's ARP entry for it over SNMP (after that echo made the
    gateway resolve it); when this host is on the candidate's segment, also an ARP probe (RFC 5227), which
    sees hosts that ignore ICMP. In use = it answered ICMP or the ARP probe, or the gateway resolved its MAC
    just now."""

    def check(prefix: Prefix, address: Address) -> Sighting | None:
        return asyncio.run(_check(inv, inventory_dir, prefix, address, snmp_timeout))

    return check


def _arp_probe(address: Address) -> tuple[str, str] | None:
    """(interface, MAC) of a host answering an ARP probe for ``address``, when this host is on its segment."""
    from collectors.arp import on_link_interface, probe  # noqa: PLC0415
    from collectors.errors import ProbeError  # noqa: PLC0415

    if not isinstance(address, IPv4Address):
        return None  # IPv6 has no ARP; its duplicate address detection is the kernel's
    iface = on_link_interface(address)
    if iface is None:
        return None
    try:
        mac = probe(address, iface)
    except ProbeError as exc:
        logging.getLogger(__name__).warning(
            "no ARP probe of %s on %s: %s; ICMP and the gateway decide", address, iface, exc
        )
        return None
    return None if mac is None else (iface, mac)


async def _check(
    inv: Inventory, inventory_dir: Path, prefix: Prefix, address: Address, timeout: float
) -> Sighting | None:
    from collectors.errors import CollectorError  # noqa: PLC0415
    from collectors.icmp import IcmpProber  # noqa: PLC0415

    prober = IcmpProber(count=2, interval=0.05, timeout=0.5)
    try:
        # pysnmp takes ~0.4 s to import: do it while the echo requests wait for their 0.5 s timeout
        result, arp, _ = await asyncio.gather(
            prober.probe([str(address)]),
            asyncio.to_thread(_arp_probe, address),
            asyncio.to_thread(importlib.import_module, "collectors.snmp"),
        )
    finally:
        prober.close()
    from collectors.snmp import SnmpCollector  # noqa: PLC0415

    if arp is not None:
        return Sighting(f"arp-probe on {arp[0]}", arp[1])
    answered = result[str(address)].received > 0
    gateway = gateway_of(inv, prefix)
    mac: str | None = None
    resolved = False
    if gateway is not None:
        device = inv.device(gateway[0])
        if device.snmp is not None:
            collector = SnmpCollector(inventory_dir, timeout=timeout, retries=1)
            try:
                neighbor = await collector.neighbor(device, inv.snmp_profile(device.snmp), gateway[1], address)
            except CollectorError:
                neighbor = None  # the gateway's view is extra evidence; ICMP alone still decides
            finally:
                collector.close()
            if neighbor is not None:
                mac = neighbor.mac
                resolved = neighbor.state in ("reachable", "delay", "probe")
    if answered:
        return Sighting("icmp", mac)
    if resolved:
        return Sighting(f"arp on {gateway[0] if gateway else '?'}", mac)
    return None
