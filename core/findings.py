"""Periodic maintenance checks (Batam SOP 05): pure functions over collected facts.

Each check has a stable id and returns pass / warn / fail with a one-line finding (Bahasa Indonesia, the
report's first language; the English is kept beside it), or ``skip`` when the facts it needs could not
be collected (the reachability check that failed is then the finding; a check never passes on
missing data). Locations are OPD slugs, or :data:`DC` for the data center's own devices.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from ipaddress import ip_network
from typing import Any

from inventory.models import Device, Inventory, Purpose, Role

DC = "pusat-data"
TICKS_32 = 2**32  # sysUpTime is a 32-bit count of 1/100 s: it wraps after 497 days


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a check result, not a password)
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Thresholds:
    error_growth: int = 100  # errors + discards per interface between runs
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
    snmp_error: str | None = None
    uptime_ticks: int | None = None
    interfaces: dict[str, InterfaceFacts] = field(default_factory=dict)
    cpu_load_pct: float | None = None
    processors: int = 0  # the device lists processors (HOST-RESOURCES-MIB), with or without a load yet
    memory_total_kb: int | None = None
    memory_available_kb: int | None = None
    clock_skew_s: float | None = None
    ssh_ok: bool | None = None
    ssh_error: str | None = None
    routes: list[str] | None = None  # selected (installed) prefixes
    ospf_full: list[str] | None = None  # interfaces with a Full OSPF neighbor
    disk_used_pct: float | None = None
    config: str | None = None  # normalized running configuration

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


def _r(
    check: str, loc: str, dev: str, subj: str, status: Status, idn: str, en: str, fu: str = "", fu_en: str = ""
) -> Result:
    return Result(check, loc, dev, subj, status, idn, en, fu, fu_en)


def reachability(inv: Inventory, d: DeviceFacts) -> list[Result]:
    dev = inv.device(d.device)
    loc = location_of(inv, dev)
    out = []
    for check, ok, what, error in (
        ("reach.icmp", d.icmp_ok, "ICMP (ping)", None),
        ("reach.snmp", d.snmp_ok, "SNMP", d.snmp_error),
        ("reach.ssh", d.ssh_ok, "SSH", d.ssh_error),
    ):
        if ok is None:
            continue  # not applicable to this device (no profile)
        if ok:
            out.append(_r(check, loc, dev.name, what, Status.PASS, f"{what} menjawab", f"{what} answers"))
        else:
            out.append(
                _r(
                    check,
                    loc,
                    dev.name,
                    what,
                    Status.FAIL,
                    f"{what} tidak menjawab" + (f": {error}" if error else ""),
                    f"{what} does not answer" + (f": {error}" if error else ""),
                    "periksa perangkat, jalur, dan kredensial",
                    "check the device, the path and the credentials",
                )
            )
    return out


def uptime(inv: Inventory, now: DeviceFacts, before: DeviceFacts | None) -> Result:
    """Restarted since the last run: sysUpTime advanced less than the wall clock did (mod 2^32 ticks)."""
    dev = inv.device(now.device)
    loc = location_of(inv, dev)
    if now.uptime_ticks is None:
        return _r("uptime.restart", loc, dev.name, "sysUpTime", Status.SKIP, "tidak dapat dibaca", "not readable")
    if before is None or before.uptime_ticks is None:
        return _r("uptime.restart", loc, dev.name, "sysUpTime", Status.PASS, "data dasar dicatat", "baseline recorded")
    elapsed_ticks = (now.taken_at - before.taken_at) * 100
    advanced = (now.uptime_ticks - before.uptime_ticks) % TICKS_32  # modulo: a 497-day wrap is not a restart
    tolerance = max(6000, elapsed_ticks / 100)  # 60 s, or 1 % for device clock drift over long gaps
    if abs(advanced - elapsed_ticks) > tolerance:  # after a restart uptime counts from 0: it cannot keep pace
        up = now.uptime_ticks / 100
        return _r(
            "uptime.restart",
            loc,
            dev.name,
            "sysUpTime",
            Status.WARN,
            f"perangkat dinyalakan ulang sejak pemeliharaan terakhir (menyala {up:.0f} detik)",
            f"restarted since the last maintenance (up {up:.0f} s)",
            "cari penyebab restart (listrik, crash) di log perangkat",
            "find the cause of the restart (power, crash) in the device log",
        )
    return _r("uptime.restart", loc, dev.name, "sysUpTime", Status.PASS, "tidak ada restart", "no restart")


def links(
    inv: Inventory, facts: dict[str, DeviceFacts], before: dict[str, DeviceFacts], th: Thresholds
) -> list[Result]:
    """Both ends of every inventory link: oper matches admin; errors and discards grown beyond a threshold."""
    out = []
    for link in inv.links:
        for end in (link.dc, link.cpe):
            d = facts.get(end.device)
            subject = f"{end.device}:{end.interface} ({link.name})"
            if d is None or not d.snmp_ok:
                out.append(
                    _r("link.status", link.opd, end.device, subject, Status.SKIP, "SNMP tidak tersedia", "no SNMP")
                )
                continue
            i = d.interfaces.get(end.interface)
            if i is None or not i.exists or i.oper_up is None or i.admin_up is None:
                out.append(
                    _r(
                        "link.status",
                        link.opd,
                        end.device,
                        subject,
                        Status.FAIL,
                        "antarmuka tidak ditemukan",
                        "interface not found",
                        "samakan inventaris dengan perangkat",
                        "align the inventory with the device",
                    )
                )
                continue
            if i.admin_up and not i.oper_up:
                out.append(
                    _r(
                        "link.status",
                        link.opd,
                        end.device,
                        subject,
                        Status.FAIL,
                        "antarmuka aktif (admin up) tetapi tidak tersambung (oper down)",
                        "interface is admin up but oper down",
                        "periksa kabel/port dan hubungi Penyedia Layanan bila perlu",
                        "check cable/port and call the service provider if needed",
                    )
                )
            elif not i.admin_up:
                out.append(
                    _r(
                        "link.status",
                        link.opd,
                        end.device,
                        subject,
                        Status.WARN,
                        "antarmuka dimatikan (admin down)",
                        "interface is administratively down",
                        "pastikan ini disengaja",
                        "make sure this is intended",
                    )
                )
            else:
                out.append(_r("link.status", link.opd, end.device, subject, Status.PASS, "up/up", "up/up"))
            prev = before.get(end.device)
            pi = prev.interfaces.get(end.interface) if prev else None
            if i.errors is None or pi is None or pi.errors is None or i.errors < pi.errors:
                continue  # no baseline, or counters reset (restart): nothing to compare
            grown = i.errors - pi.errors
            status = Status.WARN if grown > th.error_growth else Status.PASS
            out.append(
                _r(
                    "link.errors",
                    link.opd,
                    end.device,
                    subject,
                    status,
                    f"galat dan paket dibuang bertambah {grown} sejak pemeliharaan terakhir",
                    f"errors and discards grew by {grown} since the last maintenance",
                    "periksa kualitas jalur (kabel, SFP, radio)" if status is Status.WARN else "",
                    "check the line quality (cable, optics, radio)" if status is Status.WARN else "",
                )
            )
    return out


def health(inv: Inventory, d: DeviceFacts, th: Thresholds) -> list[Result]:
    dev = inv.device(d.device)
    loc = location_of(inv, dev)
    out = []
    if d.cpu_load_pct is not None:
        bad = d.cpu_load_pct >= th.cpu_warn_pct
        out.append(
            _r(
                "health.cpu",
                loc,
                dev.name,
                "CPU",
                Status.WARN if bad else Status.PASS,
                f"beban CPU {d.cpu_load_pct:.0f} %",
                f"CPU load {d.cpu_load_pct:.0f} %",
                "cari proses yang membebani" if bad else "",
                "find the busy process" if bad else "",
            )
        )
    elif d.processors:
        out.append(
            _r(
                "health.cpu",
                loc,
                dev.name,
                "CPU",
                Status.SKIP,
                "beban CPU belum tersedia: agen SNMP baru menyala (perlu satu menit riwayat)",
                "CPU load not available yet: the SNMP agent started less than a minute ago",
            )
        )
    if d.memory_total_kb and d.memory_available_kb is not None:
        free = 100 * d.memory_available_kb / d.memory_total_kb
        bad = free < th.memory_available_warn_pct
        out.append(
            _r(
                "health.memory",
                loc,
                dev.name,
                "memori",
                Status.WARN if bad else Status.PASS,
                f"memori tersedia {free:.0f} %",
                f"memory available {free:.0f} %",
                "periksa pemakaian memori" if bad else "",
                "check memory use" if bad else "",
            )
        )
    if d.disk_used_pct is not None:
        status = (
            Status.FAIL
            if d.disk_used_pct >= th.disk_fail_pct
            else Status.WARN
            if d.disk_used_pct >= th.disk_warn_pct
            else Status.PASS
        )
        out.append(
            _r(
                "health.disk",
                loc,
                dev.name,
                "disk /",
                status,
                f"disk / terpakai {d.disk_used_pct:.0f} %",
                f"disk / {d.disk_used_pct:.0f} % used",
                "kosongkan atau tambah kapasitas disk" if status is not Status.PASS else "",
                "free or add disk space" if status is not Status.PASS else "",
            )
        )
    if d.clock_skew_s is not None:
        skew = abs(d.clock_skew_s)
        status = (
            Status.FAIL
            if skew >= th.clock_skew_fail_s
            else Status.WARN
            if skew >= th.clock_skew_warn_s
            else Status.PASS
        )
        out.append(
            _r(
                "clock.skew",
                loc,
                dev.name,
                "jam",
                status,
                f"selisih jam {d.clock_skew_s:+.1f} detik",
                f"clock offset {d.clock_skew_s:+.1f} s",
                "periksa sinkronisasi NTP" if status is not Status.PASS else "",
                "check NTP synchronization" if status is not Status.PASS else "",
            )
        )
    return out


def routing(inv: Inventory, facts: dict[str, DeviceFacts]) -> list[Result]:
    """The routes an OPD needs: the data center reaches the OPD's LAN, the OPD reaches the server prefixes;
    the OSPF adjacency on every link is Full at both ends."""
    out = []
    servers = [p for p in inv.prefixes if p.purpose in (Purpose.SERVER, Purpose.PUBLIC)]
    for link in inv.links:
        lans = [p for p in inv.prefixes if p.purpose is Purpose.OPD_LAN and p.opd == link.opd]
        for device_name, needed in ((link.dc.device, lans), (link.cpe.device, servers)):
            d = facts.get(device_name)
            if d is None or d.routes is None:
                out.append(
                    _r(
                        "routing.routes",
                        link.opd,
                        device_name,
                        "routing table",
                        Status.SKIP,
                        "tidak dapat dibaca",
                        "not readable",
                    )
                )
                continue
            have = [ip_network(r) for r in d.routes]
            for prefix in needed:
                ok = any(prefix.prefix.subnet_of(r) for r in have if r.version == prefix.prefix.version)  # type: ignore[arg-type]
                out.append(
                    _r(
                        "routing.routes",
                        link.opd,
                        device_name,
                        str(prefix.prefix),
                        Status.PASS if ok else Status.FAIL,
                        f"rute ke {prefix.prefix} ({prefix.name}) ada"
                        if ok
                        else f"rute ke {prefix.prefix} ({prefix.name}) hilang",
                        f"route to {prefix.prefix} present" if ok else f"route to {prefix.prefix} missing",
                        "" if ok else "periksa OSPF dan jalur WAN",
                        "" if ok else "check OSPF and the WAN link",
                    )
                )
        for end in (link.dc, link.cpe):
            d = facts.get(end.device)
            subject = f"{end.device}:{end.interface}"
            if d is None or d.ospf_full is None:
                out.append(
                    _r("routing.ospf", link.opd, end.device, subject, Status.SKIP, "tidak dapat dibaca", "not readable")
                )
                continue
            ok = end.interface in d.ospf_full
            out.append(
                _r(
                    "routing.ospf",
                    link.opd,
                    end.device,
                    subject,
                    Status.PASS if ok else Status.FAIL,
                    "tetangga OSPF Full" if ok else "tetangga OSPF tidak ada/tidak Full",
                    "OSPF neighbor Full" if ok else "OSPF neighbor missing or not Full",
                    "" if ok else "periksa jalur WAN dan konfigurasi OSPF",
                    "" if ok else "check the WAN link and OSPF",
                )
            )
    return out


def config_drift(inv: Inventory, device: str, now: str | None, before: str | None) -> Result:
    dev = inv.device(device)
    loc = location_of(inv, dev)
    if now is None:
        return _r("config.backup", loc, device, "running-config", Status.SKIP, "tidak dapat diambil", "not fetched")
    if before is None:
        return _r(
            "config.backup",
            loc,
            device,
            "running-config",
            Status.PASS,
            "cadangan pertama disimpan",
            "first backup stored",
        )
    if now == before:
        return _r(
            "config.backup",
            loc,
            device,
            "running-config",
            Status.PASS,
            "dicadangkan; tidak berubah",
            "backed up; unchanged",
        )
    diff = "".join(difflib.unified_diff(before.splitlines(True), now.splitlines(True), "backup", "running", n=1))
    changed = sum(1 for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    return Result(
        "config.backup",
        loc,
        device,
        "running-config",
        Status.WARN,
        f"konfigurasi berubah sejak pemeliharaan terakhir ({changed} baris)",
        f"configuration changed since the last maintenance ({changed} lines)",
        "pastikan perubahan tercatat dan disetujui",
        "make sure the change was recorded and approved",
        diff,
    )


def dns(dns_facts: list[DnsFacts]) -> list[Result]:
    out = []
    for z in dns_facts:
        answered = {s: v for s, v in z.serials.items() if v is not None}
        silent = [s for s, v in z.serials.items() if v is None]
        if silent:
            out.append(
                _r(
                    "dns.soa",
                    DC,
                    ",".join(silent),
                    z.zone,
                    Status.FAIL,
                    f"SOA {z.zone} tidak dijawab oleh {', '.join(silent)}",
                    f"no SOA for {z.zone} from {', '.join(silent)}",
                    "periksa layanan DNS",
                    "check the DNS service",
                )
            )
        elif len(set(answered.values())) > 1:
            shown = ", ".join(f"{s}={v}" for s, v in answered.items())
            out.append(
                _r(
                    "dns.soa",
                    DC,
                    ",".join(answered),
                    z.zone,
                    Status.WARN,
                    f"serial SOA {z.zone} berbeda: {shown}",
                    f"SOA serials of {z.zone} differ: {shown}",
                    "periksa transfer zona",
                    "check zone transfers",
                )
            )
        else:
            serial = next(iter(answered.values()))
            out.append(
                _r(
                    "dns.soa",
                    DC,
                    ",".join(answered),
                    z.zone,
                    Status.PASS,
                    f"SOA {z.zone} serial {serial} sama di semua server",
                    f"SOA {z.zone} serial {serial} on every server",
                )
            )
    return out


def evaluate(
    inv: Inventory,
    facts: dict[str, DeviceFacts],
    before: dict[str, DeviceFacts],
    configs_before: dict[str, str],
    dns_facts: list[DnsFacts],
    th: Thresholds,
) -> list[Result]:
    """Every check over one run's facts, compared with the previous run's."""
    out: list[Result] = []
    for name, d in facts.items():
        out += reachability(inv, d)
        out.append(uptime(inv, d, before.get(name)))
        out += health(inv, d, th)
        if str(inv.device(name).platform) != "linux" or d.config is not None:
            out.append(config_drift(inv, name, d.config, configs_before.get(name)))
    out += links(inv, facts, before, th)
    out += routing(inv, facts)
    out += dns(dns_facts)
    return out


def parse_date_and_time(octets: bytes) -> datetime | None:
    """SNMPv2-TC DateAndTime (8 or 11 octets) as an aware datetime; None if malformed."""
    if len(octets) not in (8, 11):
        return None
    year = octets[0] * 256 + octets[1]
    try:
        tz: tzinfo = UTC
        if len(octets) == 11:
            sign = -1 if chr(octets[8]) == "-" else 1
            tz = timezone(sign * timedelta(hours=octets[9], minutes=octets[10]))
        return datetime(year, octets[2], octets[3], octets[4], octets[5], octets[6], octets[7] * 100_000, tz)
    except ValueError:
        return None
