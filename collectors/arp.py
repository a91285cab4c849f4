"""ARP probe (RFC 5227 §2.1.1): does anybody on a segment this host is attached to use an IPv4 address?

Only possible from a host with an interface on the address's segment (ARP does not cross routers): there
it also sees hosts that ignore ICMP, and it needs no gateway. The probe's sender address is 0.0.0.0, so
it changes no neighbour's ARP cache. scapy sends and matches; it is imported only when a probe runs.
"""

from __future__ import annotations

import json
import subprocess
from ipaddress import IPv4Address, ip_interface

from collectors.errors import ProbeError
from i18n import Msg


def on_link_interface(address: IPv4Address) -> str | None:
    """The interface of this host whose IPv4 subnet holds ``address`` (the host is on its segment), or None."""
    try:
        out = subprocess.run(["ip", "-j", "-4", "addr", "show"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for link in json.loads(out or "[]"):
        if link.get("ifname") == "lo":
            continue
        for info in link.get("addr_info", []):
            if address in ip_interface(f"{info['local']}/{info['prefixlen']}").network:
                return str(link["ifname"])
    return None


def probe(address: IPv4Address, iface: str, count: int = 2, timeout: float = 0.5) -> str | None:
    """Send ``count`` ARP probes for ``address`` out of ``iface``; the MAC of a host that answers, or None.

    Raises:
        ProbeError: no permission for raw sockets.
    """
    try:
        from scapy.config import conf  # noqa: PLC0415 (scapy takes ~1 s to import: only when an ARP probe is sent)
        from scapy.layers.l2 import ARP, Ether  # noqa: PLC0415 (with scapy, above)
        from scapy.sendrecv import srp  # noqa: PLC0415 (with scapy, above)

        conf.verb = 0
        # sender 0.0.0.0: a probe, not an announcement (RFC 5227 2.1.1)
        ask = Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc="0.0.0.0", hwdst="00:00:00:00:00:00", pdst=str(address))  # noqa: S104
        answered, _ = srp([ask] * count, iface=iface, timeout=timeout, inter=0.05, verbose=0)
    except PermissionError:
        raise ProbeError(Msg("an ARP probe needs raw sockets (root or CAP_NET_RAW)")) from None
    for _, reply in answered:
        if reply.haslayer(ARP) and reply[ARP].op == 2 and reply[ARP].psrc == str(address):
            return str(reply[ARP].hwsrc)
    return None
