"""Adopting a running network: the addresses the agency's DNS zones already name, taken into IPAM as
assignments (``pantau ipam import-dns``), so that pantau starts from what the agency has instead of
handing those addresses out again.

Every A/AAAA record of the forward zones and every PTR record of the reverse zones whose address lies in a
prefix IPAM hands out from (purpose ``server`` or ``public``) is one candidate: imported when the address is
free in IPAM, left alone when IPAM already has it under that name (so a second import changes nothing),
reported when IPAM has it under another name, or when the IP plan assigns it by hand or reserves it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import dns.exception
import dns.name
import dns.reversename

from inventory.ipam import Address, IpamError, parse_address, why_unusable
from inventory.models import Inventory, Prefix, Purpose
from playbooks.effectors.dns import DnsUpdater, Record
from store import conflicts
from store.allocations import Allocations
from store.engine import Store

#: the prefixes IPAM hands addresses out from (the others hold the network's own: links, management)
HANDED_OUT = (Purpose.SERVER, Purpose.PUBLIC)


class Action(StrEnum):
    IMPORT = "import"  # free in IPAM: taken in as an assignment to the record's name
    PRESENT = "present"  # IPAM has it under this name already
    OTHER_NAME = "other-name"  # IPAM has it under another name: someone should look
    PLAN = "plan"  # the IP plan assigns it by hand, reserves it, or it is the gateway: left to the plan
    IMPORTED = "imported"  # what IMPORT became once applied


@dataclass(frozen=True)
class Candidate:
    address: str
    prefix: str
    name: str  # the host the records name (the A record's owner, the PTR's target), as IPAM keeps it
    records: tuple[str, ...]  # as the zone has them
    action: Action
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "prefix": self.prefix,
            "name": self.name,
            "records": list(self.records),
            "action": str(self.action),
            "note": self.note,
        }


def _named(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Address -> its records, from A/AAAA (the owner names the host) and PTR (the target does)."""
    by_address: dict[str, list[Record]] = {}
    for r in records:
        address = r.value if r.rtype in ("A", "AAAA") else _pointed(r.name)
        if address is not None:
            by_address.setdefault(address, []).append(r)
    return by_address


def _pointed(ptr_name: str) -> str | None:
    """The address a PTR record's owner name stands for (``11.20.10.10.in-addr.arpa`` -> ``10.10.20.11``);
    None for a name that is not a whole address (a zone's delegation, say)."""
    try:
        return str(ipaddress.ip_address(dns.reversename.to_address(dns.name.from_text(ptr_name + "."))))
    except (ValueError, dns.exception.DNSException):
        return None


def _host(inv: Inventory, fqdn: str) -> str:
    """The hostname IPAM keeps for a name: its first label in the agency's zone (as ``pantau colocate
    --hostname`` gives it, so that ``pantau decommission`` finds an imported host too), else the whole name."""
    zone = "." + inv.agency.zone
    head = fqdn.removesuffix(zone)
    return head if fqdn.endswith(zone) and "." not in head else fqdn


def plan(inv: Inventory, dns: DnsUpdater, allocations: Allocations) -> list[Candidate]:
    """What an import would do, address by address (nothing is written)."""
    prefixes = [p for p in inv.prefixes if p.purpose in HANDED_OUT]
    live: dict[str, dict[Address, str]] = {}  # prefix -> its live addresses, read once
    out: list[Candidate] = []
    for address, records in sorted(_named(dns.zone_records()).items(), key=lambda kv: parse_address(kv[0])):
        addr = parse_address(address)
        holding = [p for p in prefixes if p.prefix.version == addr.version and addr in p.prefix]
        if not holding:
            continue
        prefix: Prefix = max(holding, key=lambda p: p.prefix.prefixlen)
        names = sorted({_host(inv, r.name if r.rtype != "PTR" else r.value) for r in records})
        name = next((_host(inv, r.name) for r in records if r.rtype != "PTR"), names[0])
        shown = tuple(str(r) for r in records)
        if prefix.name not in live:
            live[prefix.name] = allocations.used(prefix)
        used = live[prefix.name]
        if addr in used:
            held = used[addr]
            action = Action.PRESENT if held in names else Action.OTHER_NAME
            out.append(Candidate(address, prefix.name, name, shown, action, "" if held in names else held))
            continue
        reason = why_unusable(prefix, addr, used, {})
        if reason is not None:
            out.append(Candidate(address, prefix.name, name, shown, Action.PLAN, str(reason)))
            continue
        out.append(Candidate(address, prefix.name, name, shown, Action.IMPORT))
    return out


def apply(
    inv: Inventory, store: Store, allocations: Allocations, candidates: list[Candidate], by: str
) -> list[Candidate]:
    """Take each ``import`` candidate into IPAM as an assignment to its name (a conflict recorded for the
    address is cleared: the zone says who holds it, and now IPAM does too); the candidates as they ended.

    Raises:
        IpamError: an address cannot be taken (someone allocated it meanwhile); those before it are kept.
    """
    prefixes = {p.name: p for p in inv.prefixes}
    done = []
    for c in candidates:
        if c.action is not Action.IMPORT:
            done.append(c)
            continue
        cleared = conflicts.clear(store, c.address, by)  # a requested address in conflict is refused
        try:
            allocations.allocate(prefixes[c.prefix], c.name, None, None, by, None, requested=parse_address(c.address))
        except IpamError as exc:
            if cleared:  # not taken in after all: IPAM must go on skipping it
                conflicts.record(store, c.prefix, c.address, f"dns {c.records[0]}"[:63], None, None)
            done.append(Candidate(c.address, c.prefix, c.name, c.records, Action.OTHER_NAME, str(exc)))
            continue
        done.append(Candidate(c.address, c.prefix, c.name, c.records, Action.IMPORTED))
    return done
