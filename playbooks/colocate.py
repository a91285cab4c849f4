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
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from i18n import Msg
from inventory.ipam import IpamError, parse_address, prefix_for
from inventory.models import Inventory, Prefix, Purpose
from platforms import Registry
from playbooks.effectors import monitoring
from playbooks.effectors.configure import Configurators
from playbooks.effectors.dns import DnsOutcome, DnsUpdater, Record
from playbooks.effectors.monitoring import Registration
from playbooks.effectors.shaper import Shapers
from playbooks.engine import F, Facts, Playbook, Req, RunContext, Step
from playbooks.errors import DnsError, PlaybookError, require_opd
from playbooks.shaping_measure import LinkRates, Meter
from store import dns_log
from store.allocations import Allocations, LiveCheck
from store.prefix_pools import Pools

LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")  # matched whole (fullmatch)
MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
SOP7 = "colocation.address"  # an address from the server IP list and its DNS (the agency's agency.sops names it)
SOP8 = "colocation.monitoring"  # the server ready, in the monitoring
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


class DnsChange(BaseModel):
    """One record a colocation adds: the record (kept before the update goes out), what its name held then
    (the undo leaves exactly that), and the primary's answer (None: not known, the update may have applied)."""

    record: Record | None = None
    before: list[Record] = Field(default_factory=list)
    result: DnsOutcome | None = None


#: the records a colocation adds, in the order of its steps
DNS_KINDS: tuple[Literal["forward", "reverse", "subdomain"], ...] = ("forward", "reverse", "subdomain")


class ColocationFacts(Facts):
    """What a colocation learned or is about to change. Stored flat, as runs have always kept them: a DNS
    change is ``forward``, ``forward_before`` and ``forward_result`` (and so for reverse and subdomain)."""

    prefix: str | None = None
    address: str | None = None
    allocation_existing: bool | None = None
    forward: DnsChange = Field(default_factory=DnsChange)
    reverse: DnsChange = Field(default_factory=DnsChange)
    subdomain: DnsChange = Field(default_factory=DnsChange)
    monitoring: str | None = None
    monitoring_result: Registration | None = None

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for kind in DNS_KINDS:
            if isinstance(data.get(kind), DnsChange):
                continue
            change = {"record": data.pop(kind, None), "result": data.pop(f"{kind}_result", None)}
            data[kind] = change | {"before": data.pop(f"{kind}_before", [])}
        return data

    @model_serializer(mode="wrap")
    def _flatten(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for kind in DNS_KINDS:
            change = data.pop(kind, None) or {}
            if change.get("record") is None:
                continue  # never sent: nothing of it to keep
            data[kind] = change["record"]
            data[f"{kind}_before"] = change.get("before", [])
            if change.get("result") is not None:
                data[f"{kind}_result"] = change["result"]
        return data


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
    """The real :class:`ServerDeps` (and the shaping change's ``ShapingDeps``), as the composition root
    wires them: one object for every playbook, so that recovery can undo a run of any of them."""

    inventory: Inventory
    dns: DnsUpdater
    allocations: Allocations
    live_check: LiveCheck | None
    shapers: Shapers | None = None
    meter: Meter | None = None
    link_rates: LinkRates | None = None
    # a new OPD's connection (playbooks.opd_connect)
    platforms: Registry | None = None
    configurators: Configurators | None = None
    pools: Pools | None = None
    inventory_dir: Path | None = None
    #: the composition root's inventory loader (checks the platforms): an edit is validated with it
    load_inventory: Callable[[Path], object] | None = None


Colocation = RunContext[ColocationRequest, ServerDeps, ColocationFacts]


def fqdn(ctx: RunContext[Any, ServerDeps, Any]) -> str:
    """The server's name in the agency zone."""
    return f"{ctx.request.hostname}.{ctx.deps.inventory.agency.zone}"


def log_change(ctx: RunContext[Any, ServerDeps, Any], record: Record, action: str) -> None:
    """Record an applied DNS change in the store's change log."""
    change = dns_log.Change(
        dns_log.now(), record.zone, record.name, record.rtype, record.value, record.ttl, action, ctx.by, ctx.run_id
    )
    dns_log.record(ctx.store, change)


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


def _validate(ctx: Colocation) -> str:
    prefix = validate_request(ctx.deps.inventory, ctx.request)
    ctx.facts.prefix = prefix.name
    ctx.keep()
    return f"permintaan lengkap: {fqdn(ctx)} untuk OPD {ctx.request.opd}, prefix {prefix.name} ({prefix.prefix})"


def _allocate(ctx: Colocation) -> str:
    svc = ctx.deps
    req = ctx.request
    prefix = prefix_for(svc.inventory, req.purpose, ctx.facts.prefix)
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
    ctx.facts.address, ctx.facts.allocation_existing = got.address, got.existing
    ctx.keep()
    text = f"{got.address} ({'sudah dialokasikan sebelumnya' if got.existing else 'dialokasikan'})"
    for address, seen in got.skipped:
        text += f"; {address} dilewati: dipakai host tak terdaftar ({seen.how}, MAC {seen.mac or 'tidak diketahui'})"
    return text


def _unallocate(ctx: Colocation) -> str:
    released = ctx.deps.allocations.release_run(ctx.run_id, ctx.by)
    return f"released {', '.join(released)}" if released else "nothing to release"


def _add(ctx: Colocation, change: DnsChange, record: Record) -> str:
    dns = ctx.deps.dns
    # before the update: what the name holds now (the undo leaves exactly that, whatever became of the
    # update's answer) and the record itself (a crash right after the update is still undone)
    change.before, change.record = dns.existing(record), record
    ctx.keep()
    ctx.breakpoint("sending")
    try:
        result = dns.add(record, replace=ctx.request.replace)
    except DnsError as exc:
        if not exc.maybe_applied:
            change.record = None  # the server certainly did not take it: nothing to undo
            ctx.keep()
        raise
    ctx.breakpoint("sent")
    change.result = result
    ctx.keep()
    if result is not DnsOutcome.ALREADY_PRESENT:
        log_change(ctx, record, "replace" if result is DnsOutcome.REPLACED else "add")
    return f"{record}: {result}"


def _undo_add(ctx: Colocation, change: DnsChange) -> str | None:
    """Remove the record this run added, only while it is the name's only record of its type, and put back
    what a ``--replace`` removed; a record the name held before the run is never removed."""
    record, before = change.record, change.before
    if record is None or change.result is DnsOutcome.ALREADY_PRESENT:
        return None  # never sent, or it was there before this run: not ours to remove
    if ctx.request.replace:
        if [r.value for r in before] == [record.value]:
            return None  # the name held exactly this before the run: nothing to undo
        restore = before  # what the replace removed (this record too, if it was one of several)
    elif any(r.value == record.value for r in before):
        return None  # there before this run (its update's answer was lost): not ours to remove
    else:
        restore = []
    result = ctx.deps.dns.delete(record, restore)
    if result is not DnsOutcome.DELETED:
        return f"{record}: {result}"
    log_change(ctx, record, "delete")
    for old in restore:
        log_change(ctx, old, "add")
    return f"{record}: deleted" + (f"; restored {', '.join(map(str, restore))}" if restore else "")


def _address(ctx: Colocation) -> str:
    """The address the allocate step handed out (a step after it runs only when it did)."""
    if ctx.facts.address is None:
        raise PlaybookError(Msg("no address was allocated before this step; see pantau runs show"))
    return ctx.facts.address


def _dns_forward(ctx: Colocation) -> str:
    return _add(ctx, ctx.facts.forward, ctx.deps.dns.address_record(fqdn(ctx), _address(ctx)))


def _dns_reverse(ctx: Colocation) -> str:
    return _add(ctx, ctx.facts.reverse, ctx.deps.dns.pointer_record(_address(ctx), fqdn(ctx)))


def _subdomain(ctx: Colocation) -> str:
    sub = ctx.request.subdomain
    if not sub:
        return "tidak diminta (not requested)"
    zone = ctx.deps.inventory.agency.zone
    return _add(ctx, ctx.facts.subdomain, ctx.deps.dns.alias_record(f"{sub}.{ctx.request.opd}.{zone}", fqdn(ctx)))


def _verify(ctx: Colocation) -> str:
    dns = ctx.deps.dns
    seen = []
    for change in (ctx.facts.forward, ctx.facts.reverse, ctx.facts.subdomain):
        record = change.record
        if record is None:
            continue
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


def _register(ctx: Colocation) -> str:
    ctx.facts.monitoring = fqdn(ctx)
    ctx.keep()
    address = _address(ctx)
    ctx.facts.monitoring_result = monitoring.register(
        ctx.store, fqdn(ctx), address, ctx.request.opd, ctx.by, ctx.run_id
    )
    ctx.keep()
    return f"{fqdn(ctx)} {address}: {ctx.facts.monitoring_result}"


def _unregister(ctx: Colocation) -> str | None:
    if ctx.facts.monitoring is None or ctx.facts.monitoring_result is Registration.ALREADY_REGISTERED:
        return None
    return monitoring.unregister(ctx.store, ctx.facts.monitoring)


def step(
    name: str,
    title: str,
    sop: str,
    output: str,
    action: Callable[[RunContext[Req, ServerDeps, F]], str],
    compensate: Callable[[RunContext[Req, ServerDeps, F]], str | None] | None = None,
) -> Step[Req, ServerDeps, F]:
    return Step(name, title, sop, HOUR, output, action, compensate)


COLOCATE = Playbook(
    "colocate",
    "Penempatan server di Pusat Data (colocation)",
    ColocationRequest,
    ColocationFacts,
    (
        step("validate", "Periksa kelengkapan permintaan", SOP7, "permintaan valid", _validate),
        step("allocate", "Alokasi alamat IP", SOP7, "IP server", _allocate, _unallocate),
        step(
            "dns-forward",
            "DNS maju (A/AAAA)",
            SOP7,
            "DNS server",
            _dns_forward,
            lambda c: _undo_add(c, c.facts.forward),
        ),
        step(
            "dns-reverse", "DNS balik (PTR)", SOP7, "DNS server", _dns_reverse, lambda c: _undo_add(c, c.facts.reverse)
        ),
        step(
            "subdomain",
            "Subdomain aplikasi (CNAME)",
            SOP7,
            "subdomain",
            _subdomain,
            lambda c: _undo_add(c, c.facts.subdomain),
        ),
        step("verify", "Verifikasi DNS di server utama", SOP7, "IP server dan DNS", _verify),
        step("monitoring", "Daftarkan ke sistem monitoring", SOP8, "server siap", _register, _unregister),
    ),
)
