"""The whole inventory, and the shape of one inventory file (for the editor schema)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Protocol, TypeVar

from pydantic import Field

from inventory.errors import UnknownName
from inventory.models._base import Model
from inventory.models.agency import Agency
from inventory.models.credential import Credentials, SnmpProfile, SshProfile, TsigProfile
from inventory.models.device import Device
from inventory.models.link import Link
from inventory.models.opd import Opd
from inventory.models.prefix import Prefix
from inventory.models.site import Site
from inventory.models.zone import Zone


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def _find(kind: str, items: Iterable[_N], name: str) -> _N:
    """The item called ``name``, or an error that names the kind and lists what exists."""
    listed = list(items)
    for item in listed:
        if item.name == name:
            return item
    raise UnknownName(kind, name, [i.name for i in listed])


class InventoryFile(Model):
    """One YAML file of an inventory directory: any of these sections, each at most once per directory
    for ``agency``; lists are concatenated across files."""

    agency: Agency | None = None
    sites: list[Site] = Field(default_factory=list)
    opds: list[Opd] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    prefixes: list[Prefix] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    credentials: Credentials | None = None


class Inventory(Model):
    """The validated inventory: every reference resolves and every cross-check passed."""

    agency: Agency
    sites: tuple[Site, ...] = ()
    opds: tuple[Opd, ...] = ()
    devices: tuple[Device, ...] = ()
    links: tuple[Link, ...] = ()
    prefixes: tuple[Prefix, ...] = ()
    zones: tuple[Zone, ...] = ()
    credentials: Credentials = Credentials()

    def opd(self, slug: str) -> Opd:
        for o in self.opds:
            if o.slug == slug:
                return o
        raise UnknownName("OPD", slug, [o.slug for o in self.opds])

    @functools.cached_property
    def device_index(self) -> tuple[tuple[Device, ...], dict[str, Device]]:
        """The devices by name, with the tuple they index (a copy of the model may carry another's)."""
        return self.devices, {d.name: d for d in self.devices}

    def device(self, name: str) -> Device:
        devices, index = self.device_index
        if devices is not self.devices:
            del self.__dict__["device_index"]
            devices, index = self.device_index
        found = index.get(name)
        return found if found is not None else _find("device", self.devices, name)

    def link_of(self, slug: str) -> Link:
        """The WAN link of the OPD ``slug`` (its first, where it has several)."""
        for link in self.links:
            if link.opd == slug:
                return link
        raise UnknownName("OPD with a WAN link", slug, [link.opd for link in self.links], "OPDs with a WAN link")

    @functools.cached_property
    def links_index(self) -> tuple[tuple[Link, ...], dict[str, tuple[Link, ...]]]:
        """The links by OPD, with the tuple they index (as :attr:`device_index`): asked for every OPD,
        scanning the links was quadratic (3.4 s of an agent's start at 5,000 OPDs)."""
        by_opd: dict[str, list[Link]] = {}
        for link in self.links:
            by_opd.setdefault(link.opd, []).append(link)
        return self.links, {slug: tuple(links) for slug, links in by_opd.items()}

    def links_of(self, slug: str) -> tuple[Link, ...]:
        links, index = self.links_index
        if links is not self.links:
            del self.__dict__["links_index"]
            links, index = self.links_index
        return index.get(slug, ())

    def snmp_profile(self, name: str) -> SnmpProfile:
        return _find("snmp profile", self.credentials.snmp, name)

    def ssh_profile(self, name: str) -> SshProfile:
        return _find("ssh profile", self.credentials.ssh, name)

    def tsig_profile(self, name: str) -> TsigProfile:
        return _find("tsig profile", self.credentials.tsig, name)
