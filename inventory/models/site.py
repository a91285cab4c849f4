"""Sites: the data center and the OPD offices."""

from __future__ import annotations

from enum import StrEnum

from inventory.models._base import Model, Slug


class SiteKind(StrEnum):
    DATACENTER = "datacenter"
    OFFICE = "office"


class Site(Model):
    """A physical place where devices stand."""

    name: Slug
    kind: SiteKind = SiteKind.OFFICE
    address: str | None = None
