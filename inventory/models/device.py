"""Devices: routers, servers and DNS servers, with the interfaces the inventory cares about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo, WithJsonSchema, field_validator

from inventory.models._base import IPAddress, IPInterface, Model, Name, Slug


class Role(StrEnum):
    """Where a device stands in the agency's network."""

    CORE = "core"
    DISTRIBUTION = "distribution"
    CPE = "cpe"
    SERVER = "server"
    DNS = "dns"


class DeviceKind(StrEnum):
    """What a device is, whatever its place: a FortiGate at the core is a firewall, a Linux box may route."""

    ROUTER = "router"
    SWITCH = "switch"
    FIREWALL = "firewall"
    SERVER = "server"


@dataclass(frozen=True)
class PlatformTraits:
    """What the inventory checks of a platform (the registry gives it; the inventory imports no platform):
    the kinds of device it can be, the one a device is when the inventory does not say first, and whether
    pantau reaches it over SSH at all (a Windows host is read by SNMP only)."""

    kinds: tuple[DeviceKind, ...] = (DeviceKind.ROUTER,)
    ssh: bool = True
    #: a regex of an interface name as the platform's CLI writes it, and an example; None: names are free
    interface_form: tuple[str, str] | None = None


def default_kind(role: Role, kinds: tuple[DeviceKind, ...] = ()) -> DeviceKind:
    """A device's kind when the inventory names none: a server (or DNS server) by role is a server where its
    platform can be one; otherwise its platform's first kind (a FortiGate at the core is a firewall, a
    Ruijie there a switch); a router or a server by role alone where the platform is not known."""
    if role in (Role.SERVER, Role.DNS) and (not kinds or DeviceKind.SERVER in kinds):
        return DeviceKind.SERVER
    return kinds[0] if kinds else DeviceKind.ROUTER


_PLATFORM = r"^[a-z][a-z0-9_]{0,62}$"


def _platform(value: str) -> str:
    if not re.fullmatch(_PLATFORM, value):
        raise ValueError(
            f"'{value}' is not a platform name; use the name of a platform module: lower-case letters, digits "
            "and '_' (e.g. 'cisco_ios')"
        )
    return value


#: The name of a platform module of the registry (``platforms/``); which ones exist is checked at load time.
Platform = Annotated[str, AfterValidator(_platform), WithJsonSchema({"type": "string", "pattern": _PLATFORM})]


class Interface(Model):
    """An interface of a device; ``address`` is its primary address with prefix length."""

    name: str
    address: IPInterface | None = None
    description: str | None = None


class ShapingAccess(Model):
    """How pantau changes a device's shaping when that is not through the device's own platform and SSH
    profile: a Linux router whose routing is FRR's (vtysh) and whose shaping is ``tc`` (platform ``linux``)
    by a user allowed exactly that."""

    platform: Platform
    ssh: Name


class ChangeAccess(Model):
    """How pantau logs in to change a device's configuration when not with its own SSH profile: an FRR
    router whose login shell is vtysh cannot arm a revert by itself, so changes go through a POSIX shell
    login that may run vtysh."""

    ssh: Name


class Device(Model):
    """A managed device; credentials are named profiles, never secrets."""

    name: Name
    role: Role
    platform: Platform
    #: what the device is; None in the file: its role's kind, or its platform's where that cannot be
    #: (filled in when the inventory is loaded)
    kind: DeviceKind | None = None
    site: Name
    mgmt_address: IPAddress
    opd: Slug | None = None
    snmp: Name | None = None
    ssh: Name | None = None
    interfaces: tuple[Interface, ...] = ()
    shaping: ShapingAccess | None = None
    changes: ChangeAccess | None = None

    @field_validator("interfaces", mode="after")
    @classmethod
    def _share_equal_interfaces(cls, value: tuple[Interface, ...], info: ValidationInfo) -> tuple[Interface, ...]:
        """Equal interfaces of different devices (a fleet of one switch model lists the same ports) are one
        object in the loaded inventory: 5,000 devices of 20 ports held 100,000 models, about 50 MiB."""
        shared = info.context.get("shared") if isinstance(info.context, dict) else None
        if shared is None:
            return value
        return tuple(shared.setdefault(i, i) for i in value)

    @property
    def changes_ssh(self) -> str | None:
        return self.changes.ssh if self.changes else self.ssh

    @property
    def shaping_platform(self) -> str:
        return self.shaping.platform if self.shaping else self.platform

    @property
    def shaping_ssh(self) -> str | None:
        return self.shaping.ssh if self.shaping else self.ssh

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)
