"""Withdrawal of a server from the data center (the withdrawal the Batam documents name), as a playbook:

find → stop monitoring → delete subdomain, PTR, A → release the address → verify
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from i18n import Msg
from playbooks.colocate import SOP7, SOP8, ServerDeps, fqdn, log_change, record_of, step
from playbooks.effectors import monitoring
from playbooks.engine import Playbook, RunContext
from playbooks.errors import DnsError, PlaybookError
from store import dns_log


@dataclass(frozen=True)
class DecommissionRequest:
    """What staff ask for with ``pantau decommission``."""

    hostname: str


def _find(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str:
    svc = ctx.deps
    hostname = ctx.request.hostname
    live = svc.allocations.live(hostname)
    if not live:
        raise PlaybookError(Msg("{host} has no live allocation; see pantau ipam show", host=hostname))
    name = fqdn(ctx)
    records: list[dict[str, Any]] = []
    for alloc in live:
        records.append(svc.dns.address_record(name, alloc.address).__dict__)
        records.append(svc.dns.pointer_record(alloc.address, name).__dict__)
    # subdomains that point at this server and were not deleted since
    records += [svc.dns.alias_record(alias, name).__dict__ for alias in dns_log.aliases_of(ctx.store, name)]
    ctx.remember("allocations", [a.id for a in live])
    ctx.remember("addresses", [a.address for a in live])
    ctx.remember("records", records)
    ctx.remember("opd", live[0].opd)
    return f"{name}: {', '.join(a.address for a in live)}; {len(records)} DNS record(s)"


def _stop_monitoring(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str:
    result = monitoring.unregister(ctx.store, fqdn(ctx))
    ctx.remember("unregistered", result == "unregistered")
    return result


def _restart_monitoring(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str | None:
    if not ctx.facts.get("unregistered"):
        return None
    return monitoring.register(
        ctx.store, fqdn(ctx), ctx.facts["addresses"][0], ctx.facts.get("opd"), ctx.by, ctx.run_id
    )


def _delete_records(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str:
    """Delete the server's records, each only after what it holds (with its TTL) is kept in the run's facts:
    a crash at any point leaves facts that restore exactly what was deleted."""
    dns = ctx.deps.dns
    results = []
    deleted: list[dict[str, Any]] = list(ctx.facts.get("deleted", []))
    for data in reversed(ctx.facts["records"]):  # aliases first, then PTR, then A
        record = record_of(data)
        held = [r for r in dns.existing(record) if r.value == record.value]
        if not held:
            results.append(f"{record}: already absent")
            continue
        deleted.append(held[0].__dict__)  # before the delete, with the TTL it had
        ctx.remember("deleted", deleted)
        ctx.breakpoint(f"deleting-{record.rtype}")
        result = dns.delete(record)
        ctx.breakpoint(f"deleted-{record.rtype}")
        if result == "deleted":
            log_change(ctx, record, "delete")
        results.append(f"{record}: {result}")
    return "; ".join(results)


def _restore_records(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str | None:
    dns = ctx.deps.dns
    restored = []
    for data in reversed(ctx.facts.get("deleted", [])):
        record = record_of(data)
        if dns.add(record) == "added":
            log_change(ctx, record, "add")
        restored.append(str(record))
    return f"restored {'; '.join(restored)}" if restored else None


def _release(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str:
    allocations = ctx.deps.allocations
    ctx.remember("releasing", True)  # before: a crash amid the releases still makes the undo put them back
    released = [i for i in ctx.facts["allocations"] if allocations.release(i, ctx.by)]
    ctx.remember("released", released)
    return f"dilepas: {', '.join(ctx.facts['addresses'])}"


def _unrelease(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str | None:
    """Make the released allocations live again.

    Raises:
        PlaybookError: an address was taken by another allocation since; the run stays ``broken``.
    """
    if not ctx.facts.get("releasing"):
        return None
    allocations = ctx.deps.allocations
    ids = ctx.facts["allocations"]
    lost = [address for i, address in zip(ids, ctx.facts["addresses"], strict=True) if not allocations.relive(i)]
    if lost:
        raise PlaybookError(
            Msg(
                "cannot give {addresses} back to {hostname}: taken by another allocation since (pantau ipam history "
                "ADDRESS shows by whom); colocate the server again to give it a new address",
                addresses=", ".join(lost),
                hostname=ctx.request.hostname,
            )
        )
    return f"allocation(s) {ids} live again"


def _verify_gone(ctx: RunContext[DecommissionRequest, ServerDeps]) -> str:
    dns = ctx.deps.dns
    for data in ctx.facts["records"]:
        record = record_of(data)
        if record.value in dns.current(record):
            raise DnsError(
                Msg("zone {zone}: the primary still answers {record} after the delete", zone=record.zone, record=record)
            )
    return "tidak ada lagi di server utama (gone from the primary)"


DECOMMISSION = Playbook(
    "decommission",
    "Penarikan server dari Pusat Data (withdrawal)",
    DecommissionRequest,
    (
        step("find", "Cari alokasi dan catatan DNS server", SOP7, "daftar yang akan dicabut", _find),
        step("monitoring", "Hentikan monitoring", SOP8, "monitoring dihentikan", _stop_monitoring, _restart_monitoring),
        step("dns", "Hapus catatan DNS (CNAME, PTR, A)", SOP7, "DNS dihapus", _delete_records, _restore_records),
        step("release", "Lepas alamat IP", SOP7, "IP kembali bebas", _release, _unrelease),
        step("verify", "Verifikasi di server utama", SOP7, "DNS tidak menjawab lagi", _verify_gone),
    ),
)
