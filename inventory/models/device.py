"""Devices: routers, servers and DNS servers, with the interfaces the inventory cares about."""

from __future__ import annotations

from enum import StrEnum

from inventory.models._base import IPAddress, IPInterface, Model, Name, Slug


class Role(StrEnum):
    CORE = "core"
    DISTRIBUTION = "distribution"
    CPE = "cpe"
    SERVER = "server"
    DNS = "dns"


class Platform(StrEnum):
    FRR = "frr"
    CISCO_IOS = "cisco_ios"
    MIKROTIK_ROUTEROS = "mikrotik_routeros"
    HUAWEI_VRP = "huawei_vrp"
    LINUX = "linux"


class Interface(Model):
    """An interface of a device; ``address`` is its primary address with prefix length."""

    name: str
    address: IPInterface | None = None
    description: str | None = None


class Device(Model):
    """A managed device; credentials are named profiles, never secrets."""

    name: Name
    role: Role
    platform: Platform
    site: Name
    mgmt_address: IPAddress
    opd: Slug | None = None
    snmp: Name | None = None
    ssh: Name | None = None
    interfaces: tuple[Interface, ...] = ()

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)
