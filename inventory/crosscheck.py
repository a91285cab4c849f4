"""Checks across inventory objects: uniqueness, references, address plan and zone coverage.

Pure: takes the located, individually valid objects and returns problems; no I/O.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from i18n import Msg
from inventory.errors import Problem
from inventory.located import LIST_SECTIONS, Located
from inventory.models import Device, Link, PlatformTraits, Prefix, Purpose, Zone, ZoneKind
from inventory.models.zone import contains

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


# size: one pass over the inventory with every cross-reference rule beside the others
def cross_check(
    items: dict[str, list[Located]],
    invalid: Mapping[str, set[str]] | None = None,
    platforms: Collection[str] | Mapping[str, PlatformTraits] | None = None,
) -> list[Problem]:
    """Duplicate names, references to what is not defined, and platforms the registry has no module for
    (``platforms``; None: not checked; with their traits, a device's kind and SSH access are checked against
    its platform's). A reference to an object that is defined but invalid (``invalid``:
    section -> names, its own problem already reported) is not reported again."""
    problems: list[Problem] = []
    invalid = invalid or {}
    names: dict[str, dict[str, Located]] = {}
    for section, (_, key, noun) in LIST_SECTIONS.items():
        names[section] = {}
        for item in items[section]:
            value = getattr(item.obj, key)
            first = names[section].get(value)
            if first is not None:
                problems.append(
                    _at(
                        item,
                        key,
                        message=f"{noun} '{value}' is defined twice (first at {first.file}:{first.line()});"
                        " rename or remove one",
                    )
                )
            else:
                names[section][value] = item

    def ref(item: Located, loc: Sequence[str | int], subject: str, section: str, value: str | None) -> None:
        if value is None or value in names[section] or value in invalid.get(section, ()):
            return
        noun = LIST_SECTIONS[section][2]
        close = difflib.get_close_matches(value, list(names[section]), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; define it under '{section}'"
        problems.append(_at(item, *loc, message=f"{subject}: {noun} '{value}' is not defined{hint}"))

    for item in items["opds"]:
        ref(item, ("site",), f"opd '{item.obj.slug}'", "sites", item.obj.site)
    for item in items["devices"]:
        dev: Device = item.obj
        subject = f"device '{dev.name}'"
        ref(item, ("site",), subject, "sites", dev.site)
        ref(item, ("opd",), subject, "opds", dev.opd)
        ref(item, ("snmp",), subject, "snmp", dev.snmp)
        ref(item, ("ssh",), subject, "ssh", dev.ssh)
        if dev.shaping is not None:
            ref(item, ("shaping", "ssh"), subject, "ssh", dev.shaping.ssh)
            if platforms is not None and dev.shaping.platform not in platforms:
                shaped = ", ".join(sorted(platforms))
                problems.append(
                    _at(
                        item,
                        "shaping",
                        "platform",
                        message=f"{subject}: shaping platform '{dev.shaping.platform}' has no module in the "
                        f"platform registry (known: {shaped})",
                    )
                )
        if platforms is not None and dev.platform not in platforms:
            close = difflib.get_close_matches(dev.platform, list(platforms), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(platforms))}"
            problems.append(
                _at(
                    item,
                    "platform",
                    message=f"{subject}: platform '{dev.platform}' has no module in the platform registry ({hint}); "
                    "an agency's own platform is a module in a folder named by platform_dirs in pantau.yml",
                )
            )
        elif isinstance(platforms, Mapping):
            problems.extend(_against_platform(item, dev, platforms[dev.platform]))
        seen: set[str] = set()
        for i, iface in enumerate(dev.interfaces):
            if iface.name in seen:
                problems.append(
                    _at(
                        item,
                        "interfaces",
                        i,
                        "name",
                        message=f"{subject}: interface '{iface.name}' is listed twice; keep one",
                    )
                )
            seen.add(iface.name)
    _unique_values(items["devices"], lambda d: d.mgmt_address, "mgmt_address", "device", "management address", problems)
    _unique_values(  # two OPDs a reader cannot tell apart on the board, in tickets and in the Berita Acara
        items["opds"], lambda o: " ".join(o.name.casefold().split()), "name", "opd", "name", problems,
        name=lambda o: o.slug, show=lambda o: f"'{o.name}'",
    )  # fmt: skip
    _unique_values(  # two links on one port: that port's counters would be reported as both
        items["links"], lambda lk: (lk.dc.device, lk.dc.interface), "dc", "link", "data-center port", problems,
        show=lambda lk: f"{lk.dc.device} {lk.dc.interface}",
    )  # fmt: skip
    _unique_values(  # one circuit ordered twice, or a copy-paste: the provider would be called about the wrong one
        items["links"], lambda lk: (lk.provider.casefold(), lk.circuit_id.casefold()), "circuit_id", "link",
        "circuit", problems, show=lambda lk: f"{lk.circuit_id} ({lk.provider})",
    )  # fmt: skip
    devices: dict[str, Device] = {n: i.obj for n, i in names["devices"].items()}
    for item in items["links"]:
        link: Link = item.obj
        subject = f"link '{link.name}'"
        ref(item, ("opd",), subject, "opds", link.opd)
        for side in ("dc", "cpe"):
            end = getattr(link, side)
            ref(item, (side, "device"), subject, "devices", end.device)
            device = devices.get(end.device)
            if device is not None and device.interface(end.interface) is None:
                known = [i.name for i in device.interfaces]
                close = difflib.get_close_matches(end.interface, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else "; add it to the device's interfaces"
                problems.append(
                    _at(
                        item,
                        side,
                        "interface",
                        message=f"{subject}: device '{end.device}' has no interface '{end.interface}'{hint}",
                    )
                )
        ref(item, ("shaper", "device"), subject, "devices", link.shaper.device)
        cpe = devices.get(link.cpe.device)
        if cpe is not None and cpe.opd is not None and cpe.opd != link.opd:
            problems.append(
                _at(
                    item,
                    "cpe",
                    "device",
                    message=f"{subject}: CPE '{cpe.name}' belongs to opd "
                    f"'{cpe.opd}', not '{link.opd}'; fix the link's opd or the device's",
                )
            )
    for item in items["prefixes"]:
        prefix: Prefix = item.obj
        ref(item, ("opd",), f"prefix '{prefix.name}'", "opds", prefix.opd)
        ref(item, ("within",), f"prefix '{prefix.name}'", "prefixes", prefix.within)
        problems.extend(_check_prefix_addresses(item))
    problems.extend(_check_overlaps(items["prefixes"]))
    for item in items["zones"]:
        zone: Zone = item.obj
        ref(item, ("tsig",), f"zone '{zone.name}'", "tsig", zone.tsig)
        if zone.kind is ZoneKind.REVERSE and zone.network() is None:
            problems.append(
                _at(
                    item,
                    "name",
                    message=f"zone '{zone.name}': not an octet-aligned in-addr.arpa "
                    "or nibble-aligned ip6.arpa name; fix the name or set kind: forward",
                )
            )
    problems.extend(_check_reverse_coverage(items["prefixes"], items["zones"]))
    return problems


def interface_warnings(devices: Iterable[Device], platforms: Mapping[str, PlatformTraits]) -> list[Msg]:
    """Interface names not written as their device's platform writes them (``Gi 0/1`` on Cisco IOS): a
    warning, not an error, since pantau also finds a port by its description (ifAlias)."""
    notes = []
    for dev in devices:
        traits = platforms.get(dev.platform)
        form = traits.interface_form if traits else None
        if form is None:
            continue
        pattern, example = form
        for iface in dev.interfaces:
            if not re.fullmatch(pattern, iface.name):
                notes.append(
                    Msg(
                        "device '{device}': interface '{interface}' is not written as {platform} writes one (e.g. "
                        "{example}); pantau looks it up in ifName, ifDescr and ifAlias as the device reports them, "
                        "so a port named by its description is found, a mistyped one is missing",
                        device=dev.name,
                        interface=iface.name,
                        platform=dev.platform,
                        example=example,
                    )
                )
    return notes


def _against_platform(item: Located, dev: Device, traits: PlatformTraits) -> list[Problem]:
    """A kind the device's platform cannot be, and SSH to a platform pantau reads by SNMP only."""
    problems = []
    subject = f"device '{dev.name}'"
    if dev.kind is not None and dev.kind not in traits.kinds:
        kinds = ", ".join(traits.kinds)
        problems.append(
            _at(item, "kind", message=f"{subject}: platform {dev.platform} is not a {dev.kind} (it can be: {kinds})")
        )
    if dev.ssh is not None and not traits.ssh:
        problems.append(
            _at(
                item,
                "ssh",
                message=f"{subject}: pantau reads platform {dev.platform} by SNMP only; remove 'ssh:' (nothing "
                "would use it)",
            )
        )
    return problems


def _at(item: Located, *loc: str | int, message: str) -> Problem:
    return Problem(item.file, item.line(*loc), message)


def _unique_values(
    items: Iterable[Located],
    value: Any,
    field: str,
    noun: str,
    what: str,
    problems: list[Problem],
    name: Any = lambda obj: obj.name,
    show: Any = None,
) -> None:
    """Report each item whose ``value`` an earlier item has, naming both (``show``: the value as the file
    writes it, when ``value`` normalizes it)."""
    seen: dict[Any, Located] = {}
    for item in items:
        v = value(item.obj)
        if v in seen:
            first = seen[v]
            shown = v if show is None else show(item.obj)
            problems.append(
                _at(
                    item,
                    field,
                    message=f"{noun} '{name(item.obj)}': {what} {shown} is already used by "
                    f"{noun} '{name(first.obj)}' ({first.file}:{first.line()})",
                )
            )
        else:
            seen[v] = item


def _check_prefix_addresses(item: Located) -> list[Problem]:
    prefix: Prefix = item.obj
    net = prefix.prefix
    subject = f"prefix '{prefix.name}'"
    out: list[Problem] = []

    def check(addr: Address, loc: tuple[str | int, ...], what: str) -> None:
        if addr.version != net.version or addr not in net:
            out.append(
                _at(
                    item,
                    *loc,
                    message=f"{subject}: {what} {addr} is outside {net}; use an address inside the prefix",
                )
            )
        elif net.prefixlen < net.max_prefixlen - 1 and addr in (net.network_address, net.broadcast_address):
            out.append(
                _at(
                    item,
                    *loc,
                    message=f"{subject}: {what} {addr} is the network or broadcast address"
                    f" of {net}; use a host address",
                )
            )
        elif prefix.is_reserved(addr):
            out.append(
                _at(
                    item,
                    *loc,
                    message=f"{subject}: {what} {addr} lies in a reserved range; move it or shrink the range",
                )
            )

    if prefix.gateway is not None:
        check(prefix.gateway, ("gateway",), "gateway")
    for i, rng in enumerate(prefix.reserved):
        for end, addr in (("start", rng.start), ("end", rng.end)):
            if addr.version != net.version or addr not in net:
                out.append(_at(item, "reserved", i, end, message=f"{subject}: reserved {end} {addr} is outside {net}"))
    seen: dict[Address, int] = {}
    for i, static in enumerate(prefix.static):
        check(static.address, ("static", i, "address"), f"static address of '{static.hostname}'")
        if static.address == prefix.gateway:
            out.append(
                _at(
                    item,
                    "static",
                    i,
                    "address",
                    message=f"{subject}: static address {static.address} is the gateway; choose another",
                )
            )
        if static.address in seen:
            out.append(
                _at(
                    item,
                    "static",
                    i,
                    "address",
                    message=f"{subject}: static address {static.address} "
                    f"is listed twice (first as item {seen[static.address] + 1})",
                )
            )
        seen.setdefault(static.address, i)
    return out


def _overlapping(prefixes: list[Located]) -> list[tuple[int, int]]:
    """(earlier, later) positions of the prefixes that overlap, in the order of the later one.

    Two CIDR blocks overlap only when one holds the other, so a sweep in address order keeps a stack of
    the blocks that hold the current one (a nested chain): linear in the prefixes plus the overlaps,
    where comparing every pair cost 2.8 s at 1,000 prefixes."""
    nets = [item.obj.prefix for item in prefixes]
    order = sorted(range(len(nets)), key=lambda i: (nets[i].version, int(nets[i].network_address), nets[i].prefixlen))
    holding: list[int] = []
    pairs = []
    for j in order:
        net = nets[j]
        while holding and (
            nets[holding[-1]].version != net.version
            or int(nets[holding[-1]].broadcast_address) < int(net.network_address)
        ):
            holding.pop()
        pairs += [(min(i, j), max(i, j)) for i in holding]
        holding.append(j)
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


def _check_overlaps(prefixes: list[Located]) -> list[Problem]:
    out: list[Problem] = []
    for i, k in _overlapping(prefixes):
        a, b = prefixes[i], prefixes[k]
        pa: Prefix = a.obj
        pb: Prefix = b.obj
        if pb.within == pa.name and pb.prefix.subnet_of(pa.prefix):  # type: ignore[arg-type]
            continue
        if pa.within == pb.name and pa.prefix.subnet_of(pb.prefix):  # type: ignore[arg-type]
            continue
        out.append(
            _at(
                b,
                "prefix",
                message=f"prefix '{pb.name}': {pb.prefix} overlaps prefix '{pa.name}' "
                f"{pa.prefix} ({a.file}:{a.line()}); fix it, or declare 'within: {pa.name}'",
            )
        )
    return out


def _check_reverse_coverage(prefixes: list[Located], zones: list[Located]) -> list[Problem]:
    reverse: list[Network] = [n for z in zones if (n := z.obj.network()) is not None]
    out: list[Problem] = []
    for item in prefixes:
        prefix: Prefix = item.obj
        if prefix.purpose not in (Purpose.SERVER, Purpose.PUBLIC):
            continue
        if not any(contains(zone_net, prefix.prefix) for zone_net in reverse):
            out.append(
                _at(
                    item,
                    "prefix",
                    message=f"prefix '{prefix.name}': no reverse zone covers "
                    f"{prefix.prefix}; add a zone of kind reverse for its PTR records",
                )
            )
    return out
