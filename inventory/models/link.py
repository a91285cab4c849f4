"""WAN links: one per OPD, from a data-center port to the OPD's CPE."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from inventory.models._base import IPAddress, Model, Name, Slug


class Endpoint(Model):
    """One end of a link: a device and its interface."""

    device: Name
    interface: str


class Shaping(Model):
    """Where an OPD's traffic is shaped to SOP 13's bandwidth map: the device (default: the link's
    data-center end) and its queue there, as that device's platform names it (a MikroTik simple queue's
    name, a Cisco policy-map, a Linux HTB class ``DEV/CLASSID``; default: ``opd-<slug>``)."""

    device: Name | None = None
    queue: str | None = None
    #: an iperf3 server at the OPD (on its LAN): after a change pantau sends towards it for a few seconds and
    #: requires the new ceiling, within 5 %; None: the change is verified by reading the device back only
    iperf3: IPAddress | None = None
    iperf3_port: int = Field(5201, ge=1, le=65535)


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
    shaper: Shaping = Shaping()

    @property
    def shaper_device(self) -> str:
        return self.shaper.device or self.dc.device

    @property
    def subscribed_bps(self) -> int:
        return self.subscribed_mbps * 1_000_000
