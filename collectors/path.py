"""Traceroute with scapy (ICMP echo with rising TTL, all hops sent at once): where a path stops.

scapy costs about a second to import, so it is imported here only, when a path is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.errors import ProbeError
from i18n import Msg


@dataclass(frozen=True)
class Hop:
    ttl: int
    address: str | None  # None: no answer at this distance
    reached: bool = False


def trace(target: str, max_ttl: int = 8, timeout: float = 1.0) -> list[Hop]:
    """The hops towards ``target`` up to the first that is the target itself (or ``max_ttl``).

    Raises:
        ProbeError: no permission for raw sockets.
    """
    try:
        from scapy.config import conf  # noqa: PLC0415 (scapy takes ~1 s to import: only when a path is traced)
        from scapy.layers.inet import ICMP, IP  # noqa: PLC0415 (with scapy, above)
        from scapy.sendrecv import sr  # noqa: PLC0415 (with scapy, above)

        conf.verb = 0
        answered, _ = sr(IP(dst=target, ttl=(1, max_ttl)) / ICMP(id=0x7061, seq=1), timeout=timeout, verbose=0)
    except PermissionError:
        raise ProbeError(Msg("traceroute needs raw sockets (root or CAP_NET_RAW)")) from None
    by_ttl = {int(sent.ttl): str(got.src) for sent, got in answered}
    hops = []
    for ttl in range(1, max_ttl + 1):
        address = by_ttl.get(ttl)
        hops.append(Hop(ttl, address, address == target))
        if address == target:
            break
    while hops and hops[-1].address is None and len(hops) > 1 and hops[-2].address is None:
        hops.pop()  # one silent hop says where it stops; more say nothing new
    return hops
