"""Periodic maintenance checks (Batam SOP 05): pure functions over collected facts, each giving
:class:`core.findings.Result` rows (see that module for what a result means)."""

from __future__ import annotations

import difflib
from ipaddress import ip_network

from core.findings import DC, DeviceFacts, DnsFacts, Result, Status, Thresholds, location_of, reason_id
from core.rates import UPTIME_MODULO
from core.redact import secrets_changed
from inventory.models import Inventory, Purpose


def _r(
    check: str, loc: str, dev: str, subj: str, status: Status, idn: str, en: str, fu: str = "", fu_en: str = ""
) -> Result:
    return Result(check, loc, dev, subj, status, idn, en, fu, fu_en)


def reachability(inv: Inventory, d: DeviceFacts) -> list[Result]:
    dev = inv.device(d.device)
    loc = location_of(inv, dev)
    out = []
    for check, ok, what, error, reason in (
        ("reach.icmp", d.icmp_ok, "ICMP (ping)", None, None),
        ("reach.snmp", d.snmp_ok, "SNMP", d.snmp_error, d.snmp_reason),
        ("reach.ssh", d.ssh_ok, "SSH", d.ssh_error, d.ssh_reason),
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
                    f"{what} tidak menjawab" + (f": {reason_id(reason)}" if error else ""),
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
    advanced = (now.uptime_ticks - before.uptime_ticks) % UPTIME_MODULO  # modulo: a 497-day wrap is not a restart
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


# size: one check per resource (CPU, memory, disk), each a few lines; split they would repeat the skip rules
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


def config_drift(
    inv: Inventory, device: str, now: str | None, before: str | None, withheld: str | None = None
) -> Result:
    dev = inv.device(device)
    loc = location_of(inv, dev)
    if withheld is not None:
        return Result(
            "config.backup",
            loc,
            device,
            "running-config",
            Status.WARN,
            f"konfigurasi tidak disimpan: aturan penyembunyian rahasia platform {withheld} belum ada",
            f"configuration not stored: platform {withheld} has no rules to hide its secrets",
            f"tulis aturan penyembunyian rahasia di modul platform {withheld}; tanpa itu kata sandi ikut tersimpan",
            f"write the redaction rules in platform module {withheld}; without them passwords would be stored",
        )
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
    secrets = secrets_changed(diff.splitlines())
    return Result(
        "config.backup",
        loc,
        device,
        "running-config",
        Status.WARN,
        f"konfigurasi berubah sejak pemeliharaan terakhir ({changed} baris"
        + (f"; {secrets} rahasia berubah, nilainya disembunyikan)" if secrets else ")"),
        f"configuration changed since the last maintenance ({changed} lines"
        + (f"; {secrets} secret(s) changed, values hidden)" if secrets else ")"),
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
        if d.backs_up or d.config is not None:
            out.append(config_drift(inv, name, d.config, configs_before.get(name), d.config_withheld))
    out += links(inv, facts, before, th)
    out += routing(inv, facts)
    out += dns(dns_facts)
    return out
