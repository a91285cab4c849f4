"""DNS zones the agency is authoritative for, and where to send dynamic updates."""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network

from pydantic import field_validator

from inventory.models._base import IPAddress, Model, Name


class ZoneKind(StrEnum):
    FORWARD = "forward"
    REVERSE = "reverse"


class Zone(Model):
    """A zone: its primary server (RFC 2136 target), all its servers, and its TSIG profile."""

    name: str
    kind: ZoneKind
    primary: IPAddress
    servers: tuple[IPAddress, ...] = ()
    tsig: Name | None = None

    @field_validator("name")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.rstrip(".").lower()

    def network(self) -> IPv4Network | IPv6Network | None:
        """The network a reverse zone covers, or None for a forward or unparseable name."""
        return reverse_zone_network(self.name) if self.kind is ZoneKind.REVERSE else None


def reverse_zone_network(name: str) -> IPv4Network | IPv6Network | None:
    """The network of an octet- or nibble-aligned reverse zone name (RFC 1035 §3.5, RFC 3596)."""
    labels = name.rstrip(".").lower().split(".")
    if labels[-2:] == ["in-addr", "arpa"]:
        octets = labels[:-2][::-1]
        if not 1 <= len(octets) <= 4 or not all(o.isdigit() and int(o) < 256 for o in octets):
            return None
        padded = [*octets, *["0"] * (4 - len(octets))]
        return IPv4Network(f"{'.'.join(padded)}/{8 * len(octets)}")
    if labels[-2:] == ["ip6", "arpa"]:
        nibbles = labels[:-2][::-1]
        if not 1 <= len(nibbles) <= 32 or not all(len(n) == 1 and n in "0123456789abcdef" for n in nibbles):
            return None
        hexa = "".join(nibbles).ljust(32, "0")
        text = ":".join(hexa[i : i + 4] for i in range(0, 32, 4))
        return ip_network(f"{text}/{4 * len(nibbles)}")
    return None


def contains(zone_net: IPv4Network | IPv6Network, net: IPv4Network | IPv6Network) -> bool:
    return zone_net.version == net.version and net.subnet_of(zone_net)  # type: ignore[arg-type]
