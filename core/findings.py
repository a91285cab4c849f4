"""Periodic maintenance checks (Batam SOP 05): pure functions over collected facts.

Each check has a stable id and returns pass / warn / fail with a one-line finding (Bahasa Indonesia, the
report's first language; the English is kept beside it), or ``skip`` when the facts it needs could not
be collected (the reachability check that failed is then the finding; a check never passes on
missing data). Locations are OPD slugs, or :data:`DC` for the data center's own devices.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from inventory.models import Device, Inventory, Role

DC = "pusat-data"


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a check result, not a password)
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Thresholds(BaseModel):
    """The limits of the maintenance checks; the ``maintenance`` section of ``pantau.yml`` extends this
    model, so its fields and defaults are written once, here."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error_growth: int = Field(100, ge=0, description="errors+discards per interface between runs before a warning")
    cpu_warn_pct: float = 95.0
    memory_available_warn_pct: float = 10.0
    disk_warn_pct: float = 85.0
    disk_fail_pct: float = 95.0
    clock_skew_warn_s: float = 5.0
    clock_skew_fail_s: float = 60.0


@dataclass
class InterfaceFacts:
    oper_up: bool | None = None
    admin_up: bool | None = None
    errors: int | None = None  # in + out errors + discards
    exists: bool = True


@dataclass
class DeviceFacts:
    """What a maintenance run learned of one device (JSON-able, kept in the store for the next run)."""

    device: str
    taken_at: float  # agent clock, Unix seconds
    icmp_ok: bool | None = None
    snmp_ok: bool | None = None
    snmp_error: str | None = None  # English, as the collector said it
    snmp_reason: str | None = None  # its code (collectors/errors.py), which the reports translate
    uptime_ticks: int | None = None
    interfaces: dict[str, InterfaceFacts] = field(default_factory=dict)
    cpu_load_pct: float | None = None
    processors: int = 0  # the device lists processors (HOST-RESOURCES-MIB), with or without a load yet
    memory_total_kb: int | None = None
    memory_available_kb: int | None = None
    clock_skew_s: float | None = None
    ssh_ok: bool | None = None
    ssh_error: str | None = None
    ssh_reason: str | None = None
    routes: list[str] | None = None  # selected (installed) prefixes
    ospf_full: list[str] | None = None  # interfaces with a Full OSPF neighbor
    disk_used_pct: float | None = None
    config: str | None = None  # normalized running configuration, secrets hidden
    backs_up: bool = False  # the platform has a configuration to back up (a server has none)
    #: why a configuration read was not kept: the platform's secret rules are unknown (``platforms/``)
    config_withheld: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("config")  # kept as a config backup, not twice
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeviceFacts:
        data = dict(data)
        data["interfaces"] = {k: InterfaceFacts(**v) for k, v in data.get("interfaces", {}).items()}
        return cls(**data)


@dataclass(frozen=True)
class DnsFacts:
    zone: str
    serials: dict[str, int | None]  # server -> SOA serial (None: no answer)


@dataclass(frozen=True)
class Result:
    check: str
    location: str
    device: str
    subject: str
    status: Status
    finding: str  # Bahasa Indonesia
    finding_en: str
    follow_up: str = ""  # tindak lanjut, Bahasa Indonesia
    follow_up_en: str = ""
    detail: str = ""  # e.g. the configuration diff


def location_of(inv: Inventory, device: Device) -> str:
    return device.opd if device.role is Role.CPE and device.opd else DC


#: what a collector error's code (collectors/errors.py) means, in Bahasa Indonesia: the Indonesian report
#: says this, never the collector's English text (which the English report and the log keep, in full)
REASONS_ID = {
    "timeout": "tidak ada jawaban; perangkat tidak terjangkau atau kredensial salah",
    "auth": "perangkat menolak kredensial; periksa user dan kunci autentikasi profil",
    "snmp-error": "perangkat menjawab dengan galat SNMP",
    "non-increasing": "agen SNMP perangkat berputar (OID tidak naik)",
    "walk-limit": "tabel SNMP perangkat tidak berujung",
    "no-sysuptime": "jawaban perangkat tanpa sysUpTime",
    "ssh-timeout": "tidak ada jawaban SSH dalam batas waktu",
    "ssh-slow": "perintah tidak selesai dalam batas waktu; perangkat lambat atau prompt tidak dikenali",
    "ssh-auth": "autentikasi SSH gagal; periksa kunci atau kata sandi profil",
    "hostkey-changed": "kunci host SSH berbeda dari known_hosts; verifikasi perangkat sebelum memperbaruinya",
    "hostkey-unknown": "kunci host SSH belum ada di known_hosts; tambahkan setelah diverifikasi",
    "ssh": "koneksi SSH gagal",
    "parse": "keluaran perangkat tidak dapat diurai",
    "dns": "server DNS tidak menjawab atau menjawab dengan galat",
    "probe-error": "probe tidak dapat berjalan (perlu hak akses raw socket)",
    "secret": "rahasia kredensial tidak dapat dibaca; periksa berkas atau variabel rahasianya",
    "defect": "galat internal pantau; rinciannya ada di log agen",
}
OTHER_REASON_ID = "galat lain; rinciannya ada di log agen dan laporan berbahasa Inggris"


def reason_id(reason: str | None) -> str:
    """The Indonesian words for a collector error's code."""
    return REASONS_ID.get(reason or "", OTHER_REASON_ID)
