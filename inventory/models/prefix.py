"""IP prefixes of the agency's plan, with gateway, reserved ranges and static assignments."""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address

from pydantic import Field, model_validator

from inventory.models._base import IPAddress, IPNetwork, Model, Name


class Purpose(StrEnum):
    SERVER = "server"
    PUBLIC = "public"
    MGMT = "mgmt"
    OPD_LAN = "opd-lan"
    P2P = "p2p"


class Reserved(Model):
    """An inclusive range of addresses that IPAM never hands out."""

    start: IPAddress
    end: IPAddress
    reason: str

    @model_validator(mode="after")
    def _ordered(self) -> Reserved:
        if self.start.version != self.end.version or int(self.start) > int(self.end):
            raise ValueError(f"reserved range {self.start}-{self.end} is empty; put the lower address first")
        return self

    def __contains__(self, address: object) -> bool:
        return (
            isinstance(address, IPv4Address | IPv6Address)
            and address.version == self.start.version
            and int(self.start) <= int(address) <= int(self.end)
        )


class Static(Model):
    """An address assigned by hand (the 'list of server IP usage')."""

    address: IPAddress
    hostname: str
    opd: str | None = None


class Prefix(Model):
    """A prefix of the IP plan."""

    name: Name
    prefix: IPNetwork
    purpose: Purpose
    gateway: IPAddress | None = None
    vlan: int | None = Field(default=None, ge=1, le=4094)
    opd: str | None = None
    within: Name | None = None
    reserved: tuple[Reserved, ...] = ()
    static: tuple[Static, ...] = ()
    #: a pool: ``pantau opd add`` carves subnets of this prefix length from it for a new OPD (30 or 31 for
    #: point-to-point links, 24 for LANs, 32 for router loopbacks); None: not a pool
    carve: int | None = Field(default=None, ge=1, le=128)

    @model_validator(mode="after")
    def _carve_fits(self) -> Prefix:
        if self.carve is not None and not self.prefix.prefixlen <= self.carve <= self.prefix.max_prefixlen:
            raise ValueError(
                f"carve {self.carve} does not fit {self.prefix}: give a length from {self.prefix.prefixlen} "
                f"to {self.prefix.max_prefixlen}"
            )
        return self

    def is_reserved(self, address: IPv4Address | IPv6Address) -> bool:
        return any(address in r for r in self.reserved)
