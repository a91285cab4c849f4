"""The whole inventory, and the shape of one inventory file (for the editor schema)."""

from __future__ import annotations

from pydantic import Field

from inventory.models._base import Model
from inventory.models.agency import Agency
from inventory.models.credential import Credentials, SnmpProfile, SshProfile, TsigProfile
from inventory.models.device import Device
from inventory.models.link import Link
from inventory.models.opd import Opd
from inventory.models.prefix import Prefix
from inventory.models.site import Site
from inventory.models.zone import Zone


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
        return next(o for o in self.opds if o.slug == slug)

    def device(self, name: str) -> Device:
        return next(d for d in self.devices if d.name == name)

    def links_of(self, slug: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.opd == slug)

    def snmp_profile(self, name: str) -> SnmpProfile:
        return next(p for p in self.credentials.snmp if p.name == name)

    def ssh_profile(self, name: str) -> SshProfile:
        return next(p for p in self.credentials.ssh if p.name == name)

    def tsig_profile(self, name: str) -> TsigProfile:
        return next(p for p in self.credentials.tsig if p.name == name)
