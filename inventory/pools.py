"""Pools of the IP plan (prefixes with ``carve:``): which subnet a new OPD gets. Pure: the caller gives
what the store holds live; committing a choice is the store's (a unique constraint on the live prefix).

A subnet of a pool is taken when it overlaps a prefix of the plan (other than the pool and the prefixes
around it), an address the inventory names (a device's management address or an interface's, a static
assignment), a reserved range or the pool's gateway, or a prefix live in the store. Every subnet of one
pool has the pool's one length, aligned: two claims of overlapping subnets are claims of the same text,
which the store's unique constraint refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network, summarize_address_range

from i18n import Msg
from inventory.ipam import IpamError
from inventory.models import Inventory, Prefix

Network = IPv4Network | IPv6Network


def _host(address: object) -> Network | None:
    try:
        return ip_network(f"{address}/{32 if ':' not in str(address) else 128}")
    except ValueError:
        return None


def taken_in(inventory: Inventory, pool: Prefix) -> list[Network]:
    """What the inventory already uses inside ``pool``: prefixes overlapping it (not those around it),
    addresses it names, reserved ranges and the gateway (as host networks)."""
    net = pool.prefix
    out: list[Network] = []
    for prefix in inventory.prefixes:
        other = prefix.prefix
        if prefix.name == pool.name or other.version != net.version:
            continue
        if other.overlaps(net) and not net.subnet_of(other):  # type: ignore[arg-type]
            out.append(other)
    addresses: list[object] = [pool.gateway] if pool.gateway is not None else []
    for device in inventory.devices:
        addresses.append(device.mgmt_address)
        addresses.extend(i.address.ip for i in device.interfaces if i.address is not None)
    addresses.extend(s.address for s in pool.static)
    for address in addresses:
        host = _host(address)
        if host is not None and host.version == net.version and host.subnet_of(net):  # type: ignore[arg-type]
            out.append(host)
    for reserved in pool.reserved:
        out.extend(_summarized(reserved.start, reserved.end))
    if pool.carve == net.max_prefixlen and net.version == 4 and net.prefixlen <= 30:
        out.extend((_host(net.network_address), _host(net.broadcast_address)))  # type: ignore[arg-type]
    return out


def _summarized(start: IPv4Address | IPv6Address, end: IPv4Address | IPv6Address) -> Iterator[Network]:
    yield from summarize_address_range(start, end)


def carve(pool: Prefix, taken: Iterable[Network]) -> Network:
    """The first subnet of ``pool`` (of its ``carve`` length) that overlaps nothing ``taken``.

    Raises:
        IpamError: ``pool`` is not a pool, or every subnet of it is taken.
    """
    if pool.carve is None:
        raise IpamError(Msg("prefix {name} is not a pool: it has no 'carve:' length", name=pool.name))
    blocked = sorted(
        (t for t in taken if t.version == pool.prefix.version), key=lambda t: (int(t.network_address), t.prefixlen)
    )
    step = 1 << (pool.prefix.max_prefixlen - pool.carve)
    first, last = int(pool.prefix.network_address), int(pool.prefix.broadcast_address)
    value, index = first, 0
    while value <= last:
        end = value + step - 1
        while index < len(blocked) and int(blocked[index].broadcast_address) < value:
            index += 1  # blocks wholly below this subnet: never again in the way
        clash = None
        for k in range(index, len(blocked)):  # sorted by start: the first starting past this subnet ends the look
            if int(blocked[k].network_address) > end:
                break
            if int(blocked[k].broadcast_address) >= value:
                clash = blocked[k]
                break
        if clash is None:
            return ip_network((value, pool.carve))
        # past the clash, aligned to the next subnet
        value = max(value + step, ((int(clash.broadcast_address) + 1 - first + step - 1) // step) * step + first)
    raise IpamError(
        Msg(
            "pool {name} ({prefix}) has no free /{length} left; widen it or add another pool of {purpose}",
            name=pool.name,
            prefix=pool.prefix,
            length=pool.carve,
            purpose=pool.purpose,
        )
    )
