"""Where each inventory object was written, and the table of inventory sections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from inventory.models import Device, Link, Opd, Prefix, Site, SnmpProfile, SshProfile, TsigProfile, Zone

#: Lists of objects: section → (model, key field, noun used in messages).
LIST_SECTIONS: dict[str, tuple[type[BaseModel], str, str]] = {
    "sites": (Site, "name", "site"),
    "opds": (Opd, "slug", "opd"),
    "devices": (Device, "name", "device"),
    "links": (Link, "name", "link"),
    "prefixes": (Prefix, "name", "prefix"),
    "zones": (Zone, "name", "zone"),
    "snmp": (SnmpProfile, "name", "snmp profile"),
    "ssh": (SshProfile, "name", "ssh profile"),
    "tsig": (TsigProfile, "name", "tsig profile"),
}
CREDENTIAL_SECTIONS = ("snmp", "ssh", "tsig")
TOP_SECTIONS = ("agency", "sites", "opds", "devices", "links", "prefixes", "zones", "credentials")


@dataclass(frozen=True)
class Located:
    """A validated object and where it was written."""

    obj: Any
    file: str
    path: tuple[str | int, ...]
    lines: Mapping[tuple[str | int, ...], int] = field(repr=False)

    def line(self, *loc: str | int) -> int:
        """The line of ``loc`` inside this object, or of its nearest written ancestor."""
        full = self.path + loc
        while full:
            if full in self.lines:
                return self.lines[full]
            full = full[:-1]
        return 1
