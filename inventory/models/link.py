"""WAN links: one per OPD, from a data-center port to the OPD's CPE."""

from __future__ import annotations

from pydantic import PositiveInt

from inventory.models._base import Model, Name, Slug


class Endpoint(Model):
    """One end of a link: a device and its interface."""

    device: Name
    interface: str


class Link(Model):
    """An OPD's WAN link, with the bandwidth subscribed from the provider."""

    name: Name
    opd: Slug
    dc: Endpoint
    cpe: Endpoint
    provider: str
    circuit_id: str
    subscribed_mbps: PositiveInt
    provider_contact: str | None = None

    @property
    def subscribed_bps(self) -> int:
        return self.subscribed_mbps * 1_000_000
