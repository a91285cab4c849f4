"""OPDs (Organisasi Perangkat Daerah): the government offices on the WAN."""

from __future__ import annotations

from inventory.models._base import Model, Name, Slug
from inventory.models.agency import Person


class Opd(Model):
    """One government office, identified by a DNS-safe slug."""

    slug: Slug
    name: str
    site: Name
    contact_name: str | None = None
    contact_phone: str | None = None
    representative: Person | None = None  # signs the Berita Acara of work at the OPD (Pihak Kedua)
