"""IPAM choice: which address of a prefix may be handed out. Pure: the caller gives what is taken.

An address is unusable when it is the network or broadcast address (IPv4 prefixes up to /30; /31 and
/32 use every address, RFC 3021), the IPv6 subnet-router anycast address, the gateway, inside a
reserved range, a static assignment of the inventory, live in the store, or seen in use by someone
IPAM does not know (a conflict). Prefixes may nest (``within:``): an address is live in at most one of
a prefix and the prefixes inside or around it, and claims in any of them serialize on the outermost one
(:func:`outermost`). Committing a choice is the store's job (a unique constraint on the live address),
not this module's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from i18n import Msg
from inventory.errors import InventoryError
from inventory.models import Inventory, Prefix, Purpose

Address = IPv4Address | IPv6Address


class IpamError(InventoryError):
    """A request IPAM cannot satisfy; the message says which prefix or address and why."""


class NoFreeAddress(IpamError):
    pass


@dataclass(frozen=True)
class Usage:
    """Counts of a prefix's assignable addresses (network/broadcast/anycast excluded)."""

    prefix: str
    network: str
    size: int
    reserved: int  # gateway, reserved ranges and statics
    used: int  # live allocations
    conflict: int  # in use by someone IPAM does not know
    free: int


def _first_last(net: IPv4Network | IPv6Network) -> tuple[int, int]:
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.version == 4 and net.prefixlen <= 30:
        return first + 1, last - 1
    if net.version == 6 and net.prefixlen <= 126:
        return first + 1, last  # the subnet-router anycast address (RFC 4291 §2.6.1)
    return first, last


def bounds(prefix: Prefix) -> tuple[int, int]:
    """The first and last assignable address of ``prefix``, as integers."""
    return _first_last(prefix.prefix)


def _build(net: IPv4Network | IPv6Network, value: int) -> Address:
    return IPv4Address(value) if net.version == 4 else IPv6Address(value)


def why_unusable(
    prefix: Prefix, address: Address, used: Mapping[Address, str], conflicts: Mapping[Address, str]
) -> Msg | None:
    """Why ``address`` cannot be handed out from ``prefix`` (None if it can).

    ``used`` maps live allocations to their hostname; ``conflicts`` maps addresses seen in use to what saw them.
    """
    net = prefix.prefix
    if address.version != net.version or address not in net:
        return Msg("{address} is not inside prefix {name} ({net})", address=address, name=prefix.name, net=net)
    first, last = _first_last(net)
    if int(address) < first:
        return Msg("{address} is the network address of {net}", address=address, net=net)
    if int(address) > last:
        return Msg("{address} is the broadcast address of {net}", address=address, net=net)
    if prefix.gateway is not None and address == prefix.gateway:
        return Msg("{address} is the gateway of {name}", address=address, name=prefix.name)
    for r in prefix.reserved:
        if address in r:
            return Msg(
                "{address} is reserved ({start}-{end}: {reason})",
                address=address,
                start=r.start,
                end=r.end,
                reason=r.reason,
            )
    for s in prefix.static:
        if s.address == address:
            return Msg(
                "{address} is assigned statically to {hostname} in the inventory", address=address, hostname=s.hostname
            )
    if address in used:
        return Msg("{address} is allocated to {hostname}", address=address, hostname=used[address])
    if address in conflicts:
        return Msg(
            "{address} is in use by a host IPAM does not know ({seen})", address=address, seen=conflicts[address]
        )
    return None


def candidates(prefix: Prefix, used: Set[Address], conflicts: Set[Address]) -> Iterator[Address]:
    """Free addresses of ``prefix`` in ascending order (lazily: a /64 is not enumerated)."""
    return free_addresses(prefix, {int(a) for a in used} | {int(a) for a in conflicts})


def free_addresses(prefix: Prefix, taken: Set[int], start: int | None = None) -> Iterator[Address]:
    """Free addresses of ``prefix`` in ascending order (from ``start``'s value on, if given), ``taken`` given
    as the integer values of its live allocations and conflicts (the form a store reads fastest: no address
    objects to build and hash)."""
    net = prefix.prefix
    first, last = _first_last(net)
    single = {int(s.address) for s in prefix.static} | set(taken)
    if prefix.gateway is not None:
        single.add(int(prefix.gateway))
    ranges = sorted((int(r.start), int(r.end)) for r in prefix.reserved if r.start.version == net.version)
    value, i, n = max(first, start) if start is not None else first, 0, len(ranges)
    # walk upwards, jumping over reserved ranges; each blocked single address costs one set lookup, so
    # the lowest free address is found without sorting what is taken (and a /64 is never enumerated)
    while value <= last:
        while i < n and ranges[i][1] < value:
            i += 1
        if i < n and ranges[i][0] <= value:
            value = ranges[i][1] + 1
        elif value in single:
            value += 1
        else:
            yield _build(net, value)
            value += 1


def blocked_below(prefix: Prefix, value: int, conflicts: Set[int]) -> int:
    """How many assignable addresses of ``prefix`` below ``value`` are not for allocation: the gateway,
    reserved ranges, statics and ``conflicts`` (integer values), each counted once. With the number of
    live allocations below ``value`` it tells whether every address below it is taken."""
    net = prefix.prefix
    first, last = _first_last(net)
    top = min(value - 1, last)
    merged = _merged([(int(r.start), int(r.end)) for r in prefix.reserved], first, top)
    singles = {int(s.address) for s in prefix.static} | set(conflicts)
    if prefix.gateway is not None:
        singles.add(int(prefix.gateway))
    in_ranges = sum(e - s + 1 for s, e in merged)
    return in_ranges + sum(1 for v in singles if first <= v <= top and not any(s <= v <= e for s, e in merged))


def all_taken_below(prefix: Prefix, value: int, live_below: int, conflicts: Set[int]) -> bool:
    """Whether no address of ``prefix`` below ``value`` is free, given how many live allocations lie below
    it (a count the store answers from an index) and the conflicts. Exact when allocations keep off the
    addresses the inventory blocks, as claims do; after an inventory change that blocks a live address the
    count is off, this says False, and the caller looks from the first address (slower, never wrong)."""
    first, _ = _first_last(prefix.prefix)
    return live_below + blocked_below(prefix, value, conflicts) == value - first


def _merged(ranges: list[tuple[int, int]], first: int, last: int) -> list[tuple[int, int]]:
    """``ranges`` clipped to ``first``..``last``, overlapping and adjacent ones joined, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(s, first), min(e, last)) for s, e in ranges):
        if start > end:
            continue
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def choose(prefix: Prefix, used: Set[Address], conflicts: Set[Address]) -> Address:
    """The lowest free address of ``prefix``.

    Raises:
        NoFreeAddress: every assignable address is reserved, used or in conflict.
    """
    found = next(candidates(prefix, used, conflicts), None)
    if found is None:
        u = usage(prefix, used, conflicts)
        raise NoFreeAddress(
            Msg(
                "prefix {name} ({prefix}) has no free address; {reserved} reserved, {used} used, {conflict} in "
                "conflict; release an address or add a prefix for purpose '{purpose}'",
                name=prefix.name,
                prefix=prefix.prefix,
                reserved=u.reserved,
                used=u.used,
                conflict=u.conflict,
                purpose=prefix.purpose,
            )
        )
    return found


def check_requested(
    prefix: Prefix, address: Address, used: Mapping[Address, str], conflicts: Mapping[Address, str]
) -> None:
    """Raise :class:`IpamError` if a specifically requested address cannot be handed out."""
    reason = why_unusable(prefix, address, used, conflicts)
    if reason is not None:
        raise IpamError(Msg("cannot allocate {address}: {reason}", address=address, reason=reason))


def usage(prefix: Prefix, used: Set[Address], conflicts: Set[Address]) -> Usage:
    """How many addresses of ``prefix`` are reserved, used, in conflict and free (arithmetic, any size)."""
    net = prefix.prefix
    first, last = _first_last(net)
    size = max(0, last - first + 1)
    merged = _merged([(int(r.start), int(r.end)) for r in prefix.reserved], first, last)

    def in_ranges(v: int) -> bool:
        return any(s <= v <= e for s, e in merged)

    extra = {int(s.address) for s in prefix.static} | ({int(prefix.gateway)} if prefix.gateway is not None else set())
    reserved = sum(e - s + 1 for s, e in merged) + sum(1 for v in extra if first <= v <= last and not in_ranges(v))
    n_used = sum(1 for a in used if first <= int(a) <= last and not in_ranges(int(a)) and int(a) not in extra)
    n_conf = sum(
        1
        for a in conflicts
        if first <= int(a) <= last and not in_ranges(int(a)) and int(a) not in extra and a not in used
    )
    return Usage(prefix.name, str(net), size, reserved, n_used, n_conf, size - reserved - n_used - n_conf)


def prefix_for(inventory: Inventory, purpose: Purpose, name: str | None = None) -> Prefix:
    """The prefix to allocate from: ``name`` if given (it must have ``purpose``), else the first of ``purpose``."""
    if name is not None:
        found = next((p for p in inventory.prefixes if p.name == name), None)
        if found is None:
            names = ", ".join(p.name for p in inventory.prefixes if p.purpose is purpose)
            raise IpamError(
                Msg(
                    "no prefix '{name}' in the inventory; prefixes for {purpose}: {known}",
                    name=name,
                    purpose=purpose,
                    known=names or "none",
                )
            )
        if found.purpose is not purpose:
            raise IpamError(
                Msg("prefix '{name}' is for {used}, not {purpose}", name=name, used=found.purpose, purpose=purpose)
            )
        return found
    for p in inventory.prefixes:
        if p.purpose is purpose:
            return p
    raise IpamError(
        Msg("the inventory has no prefix with purpose '{purpose}'; add one to prefixes.yml", purpose=purpose)
    )


def outermost(prefixes: Sequence[Prefix], prefix: Prefix) -> Prefix:
    """The outermost prefix among ``prefixes`` that holds ``prefix`` (``prefix`` itself when none does):
    claims in a nest of prefixes serialize on it, so a parent and its children never hand out one address
    at the same moment."""
    net = prefix.prefix
    around = [p for p in prefixes if p.prefix.version == net.version and net.subnet_of(p.prefix)]  # type: ignore[arg-type]
    return min([prefix, *around], key=lambda p: p.prefix.prefixlen)


def prefix_of(inventory: Inventory, address: Address) -> Prefix:
    """The most specific prefix of the plan that holds ``address``."""
    holding = [p for p in inventory.prefixes if p.prefix.version == address.version and address in p.prefix]
    if not holding:
        raise IpamError(Msg("{address} is in no prefix of the IP plan", address=address))
    return max(holding, key=lambda p: p.prefix.prefixlen)


def parse_address(text: str) -> Address:
    try:
        return ip_address(text)
    except ValueError:
        raise IpamError(Msg("'{text}' is not an IP address", text=text)) from None
