"""OPDs (Organisasi Perangkat Daerah): the government offices on the WAN."""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, PositiveFloat, model_validator

from inventory.models._base import Model, Name, Slug
from inventory.models.agency import Person


class BandwidthShare(Model):
    """The OPD's place in SOP 13's bandwidth map: guaranteed at least ``floor_mbps``, never more than
    ``cap_mbps``, and ``weight`` in sharing what the floors leave (2 takes twice what 1 does)."""

    floor_mbps: NonNegativeFloat = 0.0
    cap_mbps: PositiveFloat | None = None
    weight: PositiveFloat = Field(1.0, le=100)

    @model_validator(mode="after")
    def _floor_under_cap(self) -> BandwidthShare:
        if self.cap_mbps is not None and self.floor_mbps > self.cap_mbps:
            raise ValueError(f"floor_mbps {self.floor_mbps:g} is above cap_mbps {self.cap_mbps:g}; lower one")
        return self


class Opd(Model):
    """One government office, identified by a DNS-safe slug."""

    slug: Slug
    name: str
    site: Name
    contact_name: str | None = None
    contact_phone: str | None = None
    representative: Person | None = None  # signs the Berita Acara of work at the OPD (Pihak Kedua)
    bandwidth: BandwidthShare = BandwidthShare()
