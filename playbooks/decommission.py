"""Withdrawal of a server from the data center (the withdrawal the Batam documents name), as a playbook:

find → stop monitoring → delete subdomain, PTR, A → release the address → verify
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from i18n import Msg
from playbooks.colocate import SOP7, SOP8, ServerDeps, fqdn, log_change, step
from playbooks.effectors import monitoring
from playbooks.effectors.dns import DnsOutcome, Record
from playbooks.effectors.monitoring import Registration
from playbooks.engine import Facts, Playbook, RunContext
from playbooks.errors import DnsError, PlaybookError
from store import dns_log


@dataclass(frozen=True)
class DecommissionRequest:
    """What staff ask for with ``pantau decommission``."""

    hostname: str


class WithdrawalFacts(Facts):
    """What a withdrawal found and changed: the server's live allocations and their addresses, its DNS
    records, and how far the changes went (each kept before the change it describes)."""

    allocations: list[int] = Field(default_factory=list)
    addresses: list[str] = Field(default_factory=list)
    # A/AAAA and PTR per address, then the subdomains pointing at the server
    records: list[Record] = Field(default_factory=list)
    opd: str | None = None
    unregistered: bool | None = None
    # each as the primary held it (its TTL), kept before its delete went out
    deleted: list[Record] = Field(default_factory=list)
    releasing: bool | None = None
    released: list[int] = Field(default_factory=list)


Withdrawal = RunContext[DecommissionRequest, ServerDeps, WithdrawalFacts]


def _find(ctx: Withdrawal) -> str:
    svc = ctx.deps
    hostname = ctx.request.hostname
    live = svc.allocations.live(hostname)
    if not live:
        raise PlaybookError(Msg("{host} has no live allocation; see pantau ipam show", host=hostname))
    name = fqdn(ctx)
    records: list[Record] = []
    for alloc in live:
        records.append(svc.dns.address_record(name, alloc.address))
        records.append(svc.dns.pointer_record(alloc.address, name))
    # subdomains that point at this server and were not deleted since
    records += [svc.dns.alias_record(alias, name) for alias in dns_log.aliases_of(ctx.store, name)]
    facts = ctx.facts
    facts.allocations, facts.addresses = [a.id for a in live], [a.address for a in live]
    facts.records, facts.opd = records, live[0].opd
    ctx.keep()
    return f"{name}: {', '.join(a.address for a in live)}; {len(records)} DNS record(s)"


def _stop_monitoring(ctx: Withdrawal) -> str:
    result = monitoring.unregister(ctx.store, fqdn(ctx))
    ctx.facts.unregistered = result is Registration.UNREGISTERED
    ctx.keep()
    return result


def _restart_monitoring(ctx: Withdrawal) -> str | None:
    if not ctx.facts.unregistered:
        return None
    return monitoring.register(ctx.store, fqdn(ctx), ctx.facts.addresses[0], ctx.facts.opd, ctx.by, ctx.run_id)


def _delete_records(ctx: Withdrawal) -> str:
    """Delete the server's records, each only after what it holds (with its TTL) is kept in the run's facts:
    a crash at any point leaves facts that restore exactly what was deleted."""
    dns = ctx.deps.dns
    results = []
    for record in reversed(ctx.facts.records):  # aliases first, then PTR, then A
        held = [r for r in dns.existing(record) if r.value == record.value]
        if not held:
            results.append(f"{record}: {DnsOutcome.ALREADY_ABSENT}")
            continue
        ctx.facts.deleted.append(held[0])  # before the delete, with the TTL it had
        ctx.keep()
        ctx.breakpoint(f"deleting-{record.rtype}")
        result = dns.delete(record)
        ctx.breakpoint(f"deleted-{record.rtype}")
        if result is DnsOutcome.DELETED:
            log_change(ctx, record, "delete")
        results.append(f"{record}: {result}")
    return "; ".join(results)


def _restore_records(ctx: Withdrawal) -> str | None:
    dns = ctx.deps.dns
    restored = []
    for record in reversed(ctx.facts.deleted):
        if dns.add(record) is DnsOutcome.ADDED:
            log_change(ctx, record, "add")
        restored.append(str(record))
    return f"restored {'; '.join(restored)}" if restored else None


def _release(ctx: Withdrawal) -> str:
    allocations = ctx.deps.allocations
    ctx.facts.releasing = True  # before: a crash amid the releases still makes the undo put them back
    ctx.keep()
    ctx.facts.released = [i for i in ctx.facts.allocations if allocations.release(i, ctx.by, ctx.run_id)]
    ctx.keep()
    return f"dilepas: {', '.join(ctx.facts.addresses)}"


def _unrelease(ctx: Withdrawal) -> str | None:
    """Make the released allocations live again.

    Raises:
        PlaybookError: an address was taken by another allocation since; the run stays ``broken``.
    """
    if not ctx.facts.releasing:
        return None
    allocations = ctx.deps.allocations
    ids = ctx.facts.allocations
    lost = [address for i, address in zip(ids, ctx.facts.addresses, strict=True) if not allocations.relive(i)]
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


def _verify_gone(ctx: Withdrawal) -> str:
    dns = ctx.deps.dns
    for record in ctx.facts.records:
        if record.value in dns.current(record):
            raise DnsError(
                Msg("zone {zone}: the primary still answers {record} after the delete", zone=record.zone, record=record)
            )
    return "tidak ada lagi di server utama (gone from the primary)"


DECOMMISSION = Playbook(
    "decommission",
    "Penarikan server dari Pusat Data (withdrawal)",
    DecommissionRequest,
    WithdrawalFacts,
    (
        step("find", "Cari alokasi dan catatan DNS server", SOP7, "daftar yang akan dicabut", _find),
        step("monitoring", "Hentikan monitoring", SOP8, "monitoring dihentikan", _stop_monitoring, _restart_monitoring),
        step("dns", "Hapus catatan DNS (CNAME, PTR, A)", SOP7, "DNS dihapus", _delete_records, _restore_records),
        step("release", "Lepas alamat IP", SOP7, "IP kembali bebas", _release, _unrelease),
        step("verify", "Verifikasi di server utama", SOP7, "DNS tidak menjawab lagi", _verify_gone),
    ),
)
