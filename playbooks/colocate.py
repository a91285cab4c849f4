"""Colocation of a server (SOP 14 steps 7-8, SOP 20 step 7's public IP, the hosting SOP's subdomain), as a
playbook for the engine:

validate → allocate (with a live conflict check) → DNS forward → DNS reverse → (subdomain)
→ verify by querying the primary → register monitoring
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from i18n import Msg
from inventory.ipam import IpamError, parse_address, prefix_for
from inventory.models import Inventory, Prefix, Purpose
from playbooks.effectors import monitoring
from playbooks.effectors.dns import DnsUpdater, Record
from playbooks.engine import Playbook, Req, RunContext, Step
from playbooks.errors import DnsError, PlaybookError, require_opd
from store import dns_log
from store.allocations import Allocations, LiveCheck

LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")  # matched whole (fullmatch)
MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
SOP7 = "SOP 14 langkah 7"
SOP8 = "SOP 14 langkah 8"
HOUR = timedelta(minutes=60)


@dataclass(frozen=True)
class ColocationRequest:
    """What staff ask for with ``pantau colocate``."""

    opd: str
    hostname: str
    mac: str | None = None
    public: bool = False
    ip: str | None = None
    subdomain: str | None = None
    prefix: str | None = None
    replace: bool = False

    @property
    def purpose(self) -> Purpose:
        return Purpose.PUBLIC if self.public else Purpose.SERVER


class ServerDeps(Protocol):
    """What the colocation and withdrawal steps act through."""

    @property
    def inventory(self) -> Inventory: ...

    @property
    def dns(self) -> DnsUpdater: ...

    @property
    def allocations(self) -> Allocations: ...

    @property
    def live_check(self) -> LiveCheck | None: ...


@dataclass(frozen=True)
class Services:
    """The real :class:`ServerDeps`, as the composition root wires them."""

    inventory: Inventory
    dns: DnsUpdater
    allocations: Allocations
    live_check: LiveCheck | None


def fqdn(ctx: RunContext[Any, ServerDeps]) -> str:
    """The server's name in the agency zone."""
    return f"{ctx.request.hostname}.{ctx.deps.inventory.agency.zone}"


def log_change(ctx: RunContext[Any, ServerDeps], record: Record, action: str) -> None:
    """Record an applied DNS change in the store's change log."""
    change = dns_log.Change(
        dns_log.now(), record.zone, record.name, record.rtype, record.value, record.ttl, action, ctx.by, ctx.run_id
    )
    dns_log.record(ctx.store, change)


def record_of(data: dict[str, Any]) -> Record:
    return Record(**data)


# ---- colocate ------------------------------------------------------------------------------------
def validate_request(inv: Inventory, req: ColocationRequest) -> Prefix:
    """Check a colocation request against the inventory; the prefix it will use. Pure."""
    hostname = req.hostname
    if not LABEL.fullmatch(hostname or ""):
        raise PlaybookError(
            Msg(
                "--hostname '{hostname}': use a DNS label: lowercase letters, digits and '-', 1-63 characters",
                hostname=hostname,
            )
        )
    require_opd(inv, req.opd)
    if req.mac and not MAC.fullmatch(req.mac):
        raise PlaybookError(Msg("--mac '{mac}': write it as six hex pairs, aa:bb:cc:dd:ee:ff", mac=req.mac))
    if req.subdomain and not LABEL.fullmatch(req.subdomain):
        raise PlaybookError(
            Msg("--subdomain '{subdomain}': use a DNS label (lowercase, digits, '-')", subdomain=req.subdomain)
        )
    purpose = req.purpose
    prefix = prefix_for(inv, purpose, req.prefix)
    if req.ip:
        address = parse_address(req.ip)
        if address not in prefix.prefix:
            raise IpamError(
                Msg(
                    "--ip {address} is not in prefix {name} ({prefix}) for {purpose} addresses",
                    address=address,
                    name=prefix.name,
                    prefix=prefix.prefix,
                    purpose=purpose,
                )
            )
    static = {s.hostname for p in inv.prefixes for s in p.static} | {d.name for d in inv.devices}
    if hostname in static:
        raise PlaybookError(
            Msg("--hostname '{hostname}' is a device or static assignment of the inventory already", hostname=hostname)
        )
    return prefix


def _validate(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    prefix = validate_request(ctx.deps.inventory, ctx.request)
    ctx.remember("prefix", prefix.name)
    return f"permintaan lengkap: {fqdn(ctx)} untuk OPD {ctx.request.opd}, prefix {prefix.name} ({prefix.prefix})"


def _allocate(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    svc = ctx.deps
    req = ctx.request
    prefix = prefix_for(svc.inventory, req.purpose, ctx.facts["prefix"])
    requested = parse_address(req.ip) if req.ip else None
    got = svc.allocations.allocate(
        prefix,
        req.hostname,
        req.opd,
        req.mac,
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


def _unallocate(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    released = ctx.deps.allocations.release_run(ctx.run_id, ctx.by)
    return f"released {', '.join(released)}" if released else "nothing to release"


def _add(ctx: RunContext[ColocationRequest, ServerDeps], key: str, record: Record) -> str:
    dns = ctx.deps.dns
    # before the update: what the name holds now (the undo leaves exactly that, whatever became of the
    # update's answer) and the record itself (a crash right after the update is still undone)
    before = [r.__dict__ for r in dns.existing(record)]
    ctx.remember_all({key + "_before": before, key: record.__dict__})
    ctx.breakpoint("sending")
    try:
        result = dns.add(record, replace=ctx.request.replace)
    except DnsError as exc:
        if not exc.maybe_applied:
            ctx.remember(key, None)  # the server certainly did not take it: nothing to undo
        raise
    ctx.breakpoint("sent")
    ctx.remember(key + "_result", result)
    if result != "already present":
        log_change(ctx, record, "replace" if result == "replaced" else "add")
    return f"{record}: {result}"


def _undo_add(ctx: RunContext[ColocationRequest, ServerDeps], key: str) -> str | None:
    """Remove the record this run added, only while it is the name's only record of its type, and put back
    what a ``--replace`` removed; a record the name held before the run is never removed."""
    if not ctx.facts.get(key) or ctx.facts.get(key + "_result") == "already present":
        return None  # never sent, or it was there before this run: not ours to remove
    record = record_of(ctx.facts[key])
    before = [record_of(r) for r in ctx.facts.get(key + "_before", [])]
    if ctx.request.replace:
        if [r.value for r in before] == [record.value]:
            return None  # the name held exactly this before the run: nothing to undo
        restore = before  # what the replace removed (this record too, if it was one of several)
    elif any(r.value == record.value for r in before):
        return None  # there before this run (its update's answer was lost): not ours to remove
    else:
        restore = []
    result = ctx.deps.dns.delete(record, restore)
    if result != "deleted":
        return f"{record}: {result}"
    log_change(ctx, record, "delete")
    for old in restore:
        log_change(ctx, old, "add")
    return f"{record}: deleted" + (f"; restored {', '.join(map(str, restore))}" if restore else "")


def _dns_forward(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    return _add(ctx, "forward", ctx.deps.dns.address_record(fqdn(ctx), ctx.facts["address"]))


def _dns_reverse(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    return _add(ctx, "reverse", ctx.deps.dns.pointer_record(ctx.facts["address"], fqdn(ctx)))


def _subdomain(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    sub = ctx.request.subdomain
    if not sub:
        return "tidak diminta (not requested)"
    zone = ctx.deps.inventory.agency.zone
    return _add(ctx, "subdomain", ctx.deps.dns.alias_record(f"{sub}.{ctx.request.opd}.{zone}", fqdn(ctx)))


def _verify(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    dns = ctx.deps.dns
    seen = []
    for key in ("forward", "reverse", "subdomain"):
        if not ctx.facts.get(key):
            continue
        record = record_of(ctx.facts[key])
        answer = dns.current(record)
        if answer != {record.value}:
            raise DnsError(
                Msg(
                    "zone {zone}: the primary answers {answer} for {name} {rtype}, expected {value}",
                    zone=record.zone,
                    answer=", ".join(sorted(answer)) or "nothing",
                    name=record.name,
                    rtype=record.rtype,
                    value=record.value,
                )
            )
        seen.append(str(record))
    return "dijawab server utama: " + "; ".join(seen)


def _register(ctx: RunContext[ColocationRequest, ServerDeps]) -> str:
    ctx.remember("monitoring", fqdn(ctx))
    result = monitoring.register(ctx.store, fqdn(ctx), ctx.facts["address"], ctx.request.opd, ctx.by, ctx.run_id)
    ctx.remember("monitoring_result", result)
    return f"{fqdn(ctx)} {ctx.facts['address']}: {result}"


def _unregister(ctx: RunContext[ColocationRequest, ServerDeps]) -> str | None:
    if "monitoring" not in ctx.facts or ctx.facts.get("monitoring_result") == "already registered":
        return None
    return monitoring.unregister(ctx.store, ctx.facts["monitoring"])


def step(
    name: str,
    title: str,
    sop: str,
    output: str,
    action: Callable[[RunContext[Req, ServerDeps]], str],
    compensate: Callable[[RunContext[Req, ServerDeps]], str | None] | None = None,
) -> Step[Req, ServerDeps]:
    return Step(name, title, sop, HOUR, output, action, compensate)


COLOCATE = Playbook(
    "colocate",
    "Penempatan server di Pusat Data (colocation)",
    ColocationRequest,
    (
        step("validate", "Periksa kelengkapan permintaan", SOP7, "permintaan valid", _validate),
        step("allocate", "Alokasi alamat IP", SOP7, "IP server", _allocate, _unallocate),
        step("dns-forward", "DNS maju (A/AAAA)", SOP7, "DNS server", _dns_forward, lambda c: _undo_add(c, "forward")),
        step("dns-reverse", "DNS balik (PTR)", SOP7, "DNS server", _dns_reverse, lambda c: _undo_add(c, "reverse")),
        step(
            "subdomain",
            "Subdomain aplikasi (CNAME)",
            SOP7,
            "subdomain",
            _subdomain,
            lambda c: _undo_add(c, "subdomain"),
        ),
        step("verify", "Verifikasi DNS di server utama", SOP7, "IP server dan DNS", _verify),
        step("monitoring", "Daftarkan ke sistem monitoring", SOP8, "server siap", _register, _unregister),
    ),
)
