"""The conflict check of an address before IPAM hands it out (SOP 14 step 7): the agency's DNS zones (a PTR
record, an A record pointing at it), then the network: ICMP, the gateway's ARP table over SNMP, and an ARP
probe (RFC 5227) when this host is on the segment."""

from __future__ import annotations

import asyncio
import importlib
import logging
from ipaddress import IPv4Address

from collectors.arp import on_link_interface, probe
from collectors.dns import DnsQueryError
from collectors.errors import CollectorError, ProbeError
from collectors.probes import Probes
from core.topology import gateway_of
from i18n import Msg
from inventory.ipam import Address, IpamError
from inventory.models import Inventory, Prefix
from playbooks.effectors.dns import DnsUpdater
from store.allocations import LiveCheck, Sighting

log = logging.getLogger(__name__)


def network_live_check(inv: Inventory, probes: Probes, snmp_timeout: float = 1.0) -> LiveCheck:
    """ICMP echo to the candidate, then the gateway's ARP entry for it over SNMP (after that echo made the
    gateway resolve it); when this host is on the candidate's segment, also an ARP probe (RFC 5227), which
    sees hosts that ignore ICMP. In use = it answered ICMP or the ARP probe, or the gateway resolved its MAC
    just now."""

    def check(prefix: Prefix, address: Address) -> Sighting | None:
        return asyncio.run(_check(inv, probes, prefix, address, snmp_timeout))

    return check


def dns_first(dns: DnsUpdater, then: LiveCheck | None) -> LiveCheck:
    """A check that asks the agency's zones first: an address with a PTR record, or that an A record points
    at, is in use whoever wrote it (an agency adopting pantau has hundreds of such records, many for hosts
    that do not answer ICMP); otherwise ``then`` decides (the network's check), or nobody is there."""

    def check(prefix: Prefix, address: Address) -> Sighting | None:
        try:
            held = dns.records_at(str(address))
        except DnsQueryError as exc:
            raise IpamError(
                Msg("cannot check {address} in DNS before handing it out: {exc}", address=address, exc=exc)
            ) from exc
        if held:
            return Sighting(f"dns {held[0]}"[:63], None)
        return then(prefix, address) if then is not None else None

    return check


def _arp_probe(address: Address) -> tuple[str, str] | None:
    """(interface, MAC) of a host answering an ARP probe for ``address``, when this host is on its segment."""
    if not isinstance(address, IPv4Address):
        return None  # IPv6 has no ARP; its duplicate address detection is the kernel's
    iface = on_link_interface(address)
    if iface is None:
        return None
    try:
        mac = probe(address, iface)
    except ProbeError as exc:
        log.warning("no ARP probe of %s on %s: %s; ICMP and the gateway decide", address, iface, exc)
        return None
    return None if mac is None else (iface, mac)


async def _check(inv: Inventory, probes: Probes, prefix: Prefix, address: Address, timeout: float) -> Sighting | None:
    # three echoes, a second for the last answer: a free address costs that second, a busy host that answers
    # late (the gateway resolving it first, a loaded server) is still seen
    prober = probes.icmp(count=3, interval=0.1, timeout=1.0)
    try:
        # pysnmp takes ~0.4 s to import: do it while the echo requests wait for their timeout
        result, arp, _ = await asyncio.gather(
            prober.probe([str(address)]),
            asyncio.to_thread(_arp_probe, address),
            asyncio.to_thread(importlib.import_module, "collectors.snmp"),  # see the import below
        )
    finally:
        prober.close()
    if arp is not None:
        return Sighting(f"arp-probe on {arp[0]}", arp[1])
    answered = result[str(address)].received > 0
    gateway = gateway_of(inv, prefix)
    mac: str | None = None
    resolved = False
    if gateway is not None:
        device = inv.device(gateway[0])
        if device.snmp is not None:
            collector = probes.snmp(timeout=timeout, retries=1)  # pysnmp: loaded in a thread above
            try:
                neighbor = await collector.neighbor(device, inv.snmp_profile(device.snmp), gateway[1], address)
            except CollectorError:
                neighbor = None  # the gateway's view is extra evidence; ICMP alone still decides
            finally:
                collector.close()
            if neighbor is not None:
                mac = neighbor.mac
                resolved = neighbor.state in ("reachable", "delay", "probe")
    if answered:
        return Sighting("icmp", mac)
    if resolved:
        return Sighting(f"arp on {gateway[0] if gateway else '?'}", mac)
    return None
