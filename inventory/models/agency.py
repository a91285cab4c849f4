"""The agency that runs the data center: its name, zone and time zone, and what its official documents
carry (the letterhead, the people who sign and their NIP, the numbering of its documents)."""

from __future__ import annotations

import re
import string
from typing import Literal
from zoneinfo import available_timezones

from pydantic import Field, PositiveFloat, field_validator

from inventory.models._base import Model
from inventory.models.sop import SopCatalog

#: the placeholders a document number pattern may use (``{seq}`` takes a format, e.g. ``{seq:03d}``)
NUMBER_FIELDS = ("kode", "seq", "unit", "bulan", "tahun", "lokasi")


class Person(Model):
    """Someone who signs: name, NIP (the civil servant's 18-digit number) and jabatan (position)."""

    name: str
    nip: str | None = None
    jabatan: str

    @field_validator("nip")
    @classmethod
    def _nip_has_18_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.replace(" ", "")
        if not (digits.isdigit() and len(digits) == 18):
            raise ValueError(f"NIP '{value}' must have 18 digits (spaces allowed: '19800101 200501 1 001')")
        return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


class People(Model):
    """The data center's signers: the officer who carried the work out (Pihak Pertama), the Kasi, the
    Kabid and the Kepala Dinas. A document leaves a blank to fill by hand for anyone not listed."""

    officer: Person | None = None
    kasi: Person | None = None
    kabid: Person | None = None
    kadis: Person | None = None


class Numbering(Model):
    """Number patterns of the agency's documents; the sequence is kept per year and per kind in the store."""

    berita_acara: str = "{kode}/BA-PJB/{seq:03d}/{unit}/{tahun}"
    laporan: str = "{kode}/LAP-PJB/{seq:03d}/{unit}/{tahun}"
    peta_bandwidth: str = "{kode}/PETA-BW/{seq:03d}/{unit}/{tahun}"  # SOP 13's bandwidth map
    ba_bandwidth: str = "{kode}/BA-BW/{seq:03d}/{unit}/{tahun}"  # the record of a bandwidth change
    ba_pemasangan: str = "{kode}/BA-PSG/{seq:03d}/{unit}/{tahun}"  # the record of a new OPD's connection

    @field_validator("berita_acara", "laporan", "peta_bandwidth", "ba_bandwidth", "ba_pemasangan")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a number pattern ({exc})") from None
        unknown = [f for f in fields if f not in NUMBER_FIELDS]
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join(unknown)}; use {', '.join(NUMBER_FIELDS)}")
        if "seq" not in fields:
            raise ValueError("the pattern needs {seq}, the document's sequence in its year")
        try:
            value.format(kode="000", seq=1, unit="X", bulan="XII", tahun=2026, lokasi="X")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"'{value}': {exc}") from None
        return value


class BandwidthPolicy(Model):
    """SOP 13's bandwidth map: the internet capacity the OPDs share, and the headroom each is given over its
    measured use (``pantau bandwidth plan``); each OPD's floor, cap and weight are on the OPD."""

    capacity_mbps: PositiveFloat | None = Field(
        None, description="the data center's internet capacity the OPDs share (the uplinks' committed rate)"
    )
    headroom: float = Field(1.2, ge=1.0, le=3.0, description="an OPD asks for its month's p95 times this")


class WanPolicy(Model):
    """How a new OPD is connected (``pantau opd add``): routing over its link (OSPF in an area, or static
    routes both ways), the data-center device its circuits land on, and the SNMP and SSH profiles its
    router is given."""

    routing: Literal["ospf", "static"] = "ospf"
    ospf_area: str = Field("0", pattern=r"^(\d+|\d+\.\d+\.\d+\.\d+)$")
    ospf_process: int = Field(1, ge=1, le=65535, description="the OSPF process number where the platform has one")
    ospf_hello: int | None = Field(None, ge=1, le=65535, description="seconds; None: the platform's default")
    ospf_dead: int | None = Field(None, ge=1, le=65535, description="seconds; with ospf_hello")
    dc_device: str | None = Field(None, description="the device new circuits land on (default: the core)")
    cpe_platform: str = "mikrotik_routeros"
    cpe_snmp: str | None = Field(None, description="the SNMP profile of new OPD routers")
    cpe_ssh: str | None = Field(None, description="the SSH profile of new OPD routers")
    monitoring_prefix: str | None = Field(
        None, description="the prefix pantau polls from: new routers answer SNMP and SSH from it (default: mgmt)"
    )


class Agency(Model):
    """The Diskominfo: its name, DNS zone and time zone for reports, and its letterhead (kop surat)."""

    name: str
    zone: str
    timezone: str = "Asia/Jakarta"
    team: str = "Tim Data Center"
    government: str | None = Field(None, description="e.g. 'Pemerintah Kota Contoh', the letterhead's first line")
    address: str | None = None
    contact: str | None = Field(None, description="telephone, e-mail and web site, on one line")
    logo: str | None = Field(None, description="an image file (PNG, JPEG or SVG), relative to the inventory")
    city: str | None = Field(None, description="where documents are signed: 'Kota Contoh, 30 November 2026'")
    code: str = Field("000.1.3", description="the classification code in document numbers ({kode})")
    unit: str = Field("DISKOMINFO", description="the unit's short name in document numbers ({unit})")
    numbering: Numbering = Numbering()
    people: People = People()
    bandwidth: BandwidthPolicy = BandwidthPolicy()
    wan: WanPolicy = WanPolicy()
    sops: SopCatalog = SopCatalog()

    @field_validator("zone")
    @classmethod
    def _zone_is_a_domain(cls, value: str) -> str:
        labels = value.rstrip(".").split(".")
        if len(labels) < 2 or not all(_is_label(x) for x in labels):
            raise ValueError(f"'{value}' is not a DNS zone name such as 'pemkot.test'")
        return value.rstrip(".").lower()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone '{value}'; use an IANA name such as 'Asia/Jakarta'")
        return value

    @field_validator("logo")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and not re.search(r"\.(png|jpe?g|svg)$", value, re.IGNORECASE):
            raise ValueError(f"logo '{value}' must be a .png, .jpg or .svg file")
        return value


def _is_label(text: str) -> bool:
    return 0 < len(text) <= 63 and text.replace("-", "").isalnum() and text[0] != "-" and text[-1] != "-"
