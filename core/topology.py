"""What the inventory says about the network's shape: probe targets, the data center's uplinks, gateways,
which OPD an address belongs to, and what counts as a widespread outage. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address, ip_interface

from i18n import Msg
from inventory.errors import UnknownName
from inventory.models import Inventory, Link, Prefix, Purpose, Role


@dataclass(frozen=True)
class Target:
    """An ICMP probe target."""

    name: str
    address: str
    kind: str  # cpe-wan | lan-gateway | server | upstream
    opd: str = ""


def cpe_wan_address(inv: Inventory, link: Link) -> str | None:
    """The address of the OPD router's WAN interface on ``link``."""
    wan = inv.device(link.cpe.device).interface(link.cpe.interface)
    return None if wan is None or wan.address is None else str(ip_interface(wan.address).ip)


def lan_gateway(inv: Inventory, opd: str) -> str | None:
    """The gateway of the OPD's LAN prefix."""
    for prefix in inv.prefixes:
        if prefix.purpose is Purpose.OPD_LAN and prefix.opd == opd and prefix.gateway is not None:
            return str(prefix.gateway)
    return None


def probe_targets(inv: Inventory) -> list[Target]:
    """Per OPD link: its CPE's WAN address and its LAN gateway; per server and DNS server: its data address;
    per uplink of the data center: the upstream's end of it (an outage there is one page, not one per OPD)."""
    gateways: dict[str, list[str]] = {}
    for prefix in inv.prefixes:
        if prefix.purpose is Purpose.OPD_LAN and prefix.opd is not None and prefix.gateway is not None:
            gateways.setdefault(prefix.opd, []).append(str(prefix.gateway))
    out: list[Target] = []
    for link in inv.links:
        wan = cpe_wan_address(inv, link)
        if wan is not None:
            out.append(Target(f"{link.cpe.device}-wan", wan, "cpe-wan", link.opd))
        out += [Target(f"{link.opd}-lan-gateway", g, "lan-gateway", link.opd) for g in gateways.get(link.opd, ())]
    for device in inv.devices:
        if device.role in (Role.SERVER, Role.DNS):
            addr = next((i.address for i in device.interfaces if i.address is not None), None)
            out.append(Target(device.name, str(ip_interface(addr).ip) if addr else str(device.mgmt_address), "server"))
    out += [Target(f"upstream-{device}-{iface}", peer, "upstream") for device, iface, peer in uplinks(inv)]
    return out


def target_devices(inv: Inventory, targets: list[Target]) -> dict[str, str]:
    """Each probe target's address -> the device whose poller probes it (agents sharing a store split the
    devices): an OPD's targets go with its link's data-center device, a server's with the server, an
    uplink's with the router holding it."""
    dc_of = {link.opd: link.dc.device for link in inv.links}
    up_of = {peer: device for device, _iface, peer in uplinks(inv)}
    out = {}
    for t in targets:
        if t.kind in ("cpe-wan", "lan-gateway"):
            out[t.address] = dc_of.get(t.opd, t.name)
        elif t.kind == "upstream":
            out[t.address] = up_of.get(t.address, t.name)
        else:
            out[t.address] = t.name
    return out


def uplinks(inv: Inventory) -> list[tuple[str, str, str]]:
    """(device, interface, peer address) of the data center's links to the upstream: interfaces on a
    point-to-point prefix that belongs to no OPD and is no pool."""
    out = []
    for prefix in inv.prefixes:
        if prefix.purpose is not Purpose.P2P or prefix.opd is not None or prefix.carve is not None:
            continue  # an OPD's link, or the pool new OPDs' links are carved from
        for device in inv.devices:
            for iface in device.interfaces:
                if iface.address is None:
                    continue
                addr = ip_interface(iface.address)
                if addr.ip in prefix.prefix:
                    peers = [h for h in prefix.prefix.hosts() if h != addr.ip] or [addr.ip]
                    out.append((device.name, iface.name, str(peers[0])))
    return out


def gateway_of(inv: Inventory, prefix: Prefix) -> tuple[str, str] | None:
    """(device, interface) holding the prefix's gateway address, from the inventory."""
    if prefix.gateway is None:
        return None
    for device in inv.devices:
        for iface in device.interfaces:
            if iface.address is not None and ip_interface(iface.address).ip == prefix.gateway:
                return device.name, iface.name
    return None


def opd_of(inv: Inventory, what: str) -> str:
    """An OPD slug from a slug or an address (its LAN, WAN, or a static assignment's host name or address).

    Raises:
        UnknownName: nothing of the inventory matches; lists the OPDs with a WAN link.
    """
    slugs = [lk.opd for lk in inv.links]
    if what in slugs:
        return what
    try:
        address = ip_address(what)
    except ValueError:
        address = None
    if address is not None:
        for p in inv.prefixes:
            if p.opd and address in p.prefix:
                return str(p.opd)
        for device in inv.devices:
            if device.opd and any(i.address and ip_interface(i.address).ip == address for i in device.interfaces):
                return str(device.opd)
    for p in inv.prefixes:
        for st in p.static:
            if what in (st.hostname, str(st.address)) and st.opd:
                return str(st.opd)
    raise UnknownName(
        "OPD",
        what,
        slugs,
        message=Msg(
            "no OPD with a WAN link, nor an address of one, '{name}' in the inventory; OPDs with a WAN link: {known}",
            name=what,
            known=", ".join(slugs) or "none",
        ),
    )


def widespread(down: int, total: int) -> bool:
    """Whether ``down`` of ``total`` OPD links being down at once is a widespread outage: at least two, and
    at least half of them. It groups the OPDs triage reports as affected together; it is no proof that the
    core is the cause (only the core not answering is)."""
    return down >= 2 and down >= total / 2
