"""A new OPD's connection, as data: from the request and the subnets carved for it, the inventory records
that describe it (site, OPD, router, link, prefixes, the data center's port) and the values the
configuration templates of both ends are rendered with. Pure: the subnets are chosen and claimed by the
caller; nothing here reads a secret (the templates get placeholders)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

from core.errors import RuleError
from i18n import Msg
from inventory.models import Inventory, Purpose, Role

Network = IPv4Network | IPv6Network


@dataclass(frozen=True)
class NewOpd:
    """What staff give ``pantau opd add``."""

    slug: str
    name: str
    site: str
    address: str | None  # the office's street address, for a new site
    provider: str
    circuit_id: str
    mbit: int
    platform: str  # the OPD router's
    dc_device: str
    dc_interface: str
    cpe_wan: str
    cpe_lan: str
    contact_name: str | None = None
    contact_phone: str | None = None


@dataclass(frozen=True)
class Subnets:
    p2p: Network
    lan: Network
    loopback: Network


def _ends(subnet: Network) -> tuple[str, str]:
    base = int(subnet.network_address)
    first = base if subnet.num_addresses == 2 else base + 1
    return str(subnet.network_address + (first - base)), str(subnet.network_address + (first - base + 1))


def check_new(inventory: Inventory, new: NewOpd) -> None:
    """Refuse a request that clashes with the inventory: an OPD, device, link or site of that name, or a
    data-center port already in use.

    Raises:
        RuleError: names the clash and what to do.
    """
    if any(o.slug == new.slug for o in inventory.opds):
        raise RuleError(Msg("OPD {opd} is already in the inventory; choose another slug", opd=new.slug))
    for name in (cpe_name(new.slug), link_name(new.slug)):
        if any(d.name == name for d in inventory.devices) or any(lk.name == name for lk in inventory.links):
            raise RuleError(Msg("{name} is already in the inventory; remove it or choose another slug", name=name))
    dc = inventory.device(new.dc_device)
    used = [lk.name for lk in inventory.links if lk.dc.device == dc.name and lk.dc.interface == new.dc_interface]
    iface = dc.interface(new.dc_interface)
    if iface is not None and iface.address is not None and not used:
        used.append(iface.description or str(iface.address))  # a port the inventory gives another use
    if used:
        raise RuleError(
            Msg(
                "{device} {interface} is already in use ({by}); give the port the new circuit lands on",
                device=dc.name,
                interface=new.dc_interface,
                by=", ".join(used),
            )
        )


def cpe_name(slug: str) -> str:
    return f"opd-{slug}"


def link_name(slug: str) -> str:
    return f"{slug}-wan"


def pool_names(inventory: Inventory) -> dict[str, str]:
    """The pool each subnet of a new OPD is carved from: role -> prefix name."""
    out: dict[str, str] = {}
    for role, purpose in (("p2p", Purpose.P2P), ("lan", Purpose.OPD_LAN), ("loopback", Purpose.MGMT)):
        pool = next((p for p in inventory.prefixes if p.purpose is purpose and p.carve is not None), None)
        if pool is None:
            raise RuleError(
                Msg(
                    "the IP plan has no pool for {purpose}: add a prefix with purpose {purpose} and 'carve: LENGTH' "
                    "to prefixes.yml",
                    purpose=purpose,
                )
            )
        out[role] = pool.name
    return out


def records(inventory: Inventory, new: NewOpd, subnets: Subnets) -> dict[str, Any]:
    """The inventory entries of the new OPD, by section, as YAML-ready data; ``core-interface`` is the
    interface added to the data-center device."""
    dc_address, cpe_address = _ends(subnets.p2p)
    lan_gateway = _ends(subnets.lan)[0]
    loopback = str(subnets.loopback.network_address)
    wan = inventory.agency.wan
    pools = pool_names(inventory)
    link = link_name(new.slug)
    out: dict[str, Any] = {
        "opds": {"slug": new.slug, "name": new.name, "site": new.site},
        "devices": {
            "name": cpe_name(new.slug),
            "role": Role.CPE.value,
            "platform": new.platform,
            "site": new.site,
            "opd": new.slug,
            "mgmt_address": loopback,
            **({"snmp": wan.cpe_snmp} if wan.cpe_snmp else {}),
            **({"ssh": wan.cpe_ssh} if wan.cpe_ssh else {}),
            "interfaces": [
                {"name": new.cpe_wan, "address": f"{cpe_address}/{subnets.p2p.prefixlen}", "description": link},
                {
                    "name": new.cpe_lan,
                    "address": f"{lan_gateway}/{subnets.lan.prefixlen}",
                    "description": f"{new.slug}-lan",
                },
            ],
        },
        "links": {
            "name": link,
            "opd": new.slug,
            "dc": {"device": new.dc_device, "interface": new.dc_interface},
            "cpe": {"device": cpe_name(new.slug), "interface": new.cpe_wan},
            "provider": new.provider,
            "circuit_id": new.circuit_id,
            "subscribed_mbps": new.mbit,
        },
        "prefixes": [
            {
                "name": f"{new.slug}-p2p",
                "prefix": str(subnets.p2p),
                "purpose": "p2p",
                "opd": new.slug,
                "within": pools["p2p"],
            },
            {
                "name": f"{new.slug}-lan",
                "prefix": str(subnets.lan),
                "purpose": "opd-lan",
                "gateway": lan_gateway,
                "opd": new.slug,
                "within": pools["lan"],
            },
        ],
        "core-interface": {
            "name": new.dc_interface,
            "address": f"{dc_address}/{subnets.p2p.prefixlen}",
            "description": link,
        },
    }
    if new.contact_name:
        out["opds"]["contact_name"] = new.contact_name
    if new.contact_phone:
        out["opds"]["contact_phone"] = new.contact_phone
    if not any(s.name == new.site for s in inventory.sites):
        out["sites"] = {"name": new.site, **({"address": new.address} if new.address else {})}
    return out


def _placeholder(profile: str, field: str) -> str:
    return f"SECRET:{profile}.{field}"


def context(inventory: Inventory, new: NewOpd, subnets: Subnets) -> dict[str, Any]:
    """The values both ends' templates are rendered with (secrets as placeholders)."""
    dc_address, cpe_address = _ends(subnets.p2p)
    wan = inventory.agency.wan
    monitoring = monitoring_network(inventory)
    snmp: dict[str, Any] = {"version": "v2c", "community": "public", "user": "pantau"}
    if wan.cpe_snmp:
        profile = inventory.snmp_profile(wan.cpe_snmp)
        snmp = {
            "version": profile.version.value,
            "user": profile.user or "pantau",
            "community": _placeholder(profile.name, "community"),
            "auth_protocol": profile.auth_protocol.value,
            "auth_key": _placeholder(profile.name, "auth_key"),
            "priv_protocol": profile.priv_protocol.value,
            "priv_key": _placeholder(profile.name, "priv_key"),
        }
    area = wan.ospf_area
    area_id = area if "." in area else str(ip_network(int(area)).network_address)
    return {
        "opd": {"slug": new.slug, "name": new.name, "site": new.site},
        "link": {
            "name": link_name(new.slug),
            "provider": new.provider,
            "circuit_id": new.circuit_id,
            "subscribed_mbps": new.mbit,
        },
        "dc": {"device": new.dc_device, "interface": new.dc_interface, "address": dc_address},
        "cpe": {
            "device": cpe_name(new.slug),
            "wan": new.cpe_wan,
            "lan": new.cpe_lan,
            "address": cpe_address,
            "loopback": str(subnets.loopback.network_address),
        },
        "p2p": _net(subnets.p2p),
        "lan": {**_net(subnets.lan), "gateway": _ends(subnets.lan)[0]},
        "routing": {
            "mode": wan.routing,
            "area": area,
            "area_id": area_id,
            "area_name": "backbone" if area_id == "0.0.0.0" else f"area-{area_id}",  # noqa: S104 (an OSPF area)
            "process": wan.ospf_process,
            "hello": wan.ospf_hello,
            "dead": wan.ospf_dead,
        },
        "monitoring": _net(monitoring),
        "snmp": snmp,
    }


def monitoring_network(inventory: Inventory) -> Network:
    """Where pantau polls and logs in from, as the OPD router's SNMP and SSH access lists name it:
    ``agency.wan.monitoring_prefix``, else the first management prefix that is no pool.

    Raises:
        RuleError: the inventory names none (the router would answer anyone, or no one).
    """
    wan = inventory.agency.wan
    for p in inventory.prefixes:
        if (
            (p.name == wan.monitoring_prefix)
            if wan.monitoring_prefix
            else (p.purpose is Purpose.MGMT and p.carve is None)
        ):
            return p.prefix
    raise RuleError(
        Msg(
            "agency.wan.monitoring_prefix: the inventory has no prefix {name} to let the OPD router's SNMP and SSH "
            "answer; name the prefix pantau polls from",
            name=wan.monitoring_prefix or "of purpose mgmt",
        )
    )


def _net(net: Network) -> dict[str, Any]:
    return {
        "network": str(net),
        "network_address": str(net.network_address),
        "prefixlen": net.prefixlen,
        "netmask": str(net.netmask),
        "wildcard": str(net.hostmask),
    }
