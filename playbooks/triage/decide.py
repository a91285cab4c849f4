"""Outage triage (SOP 15 steps 2-4): "OPD X says the network is down" → a verdict with its evidence.

:func:`gather` collects, in parallel: the data center's uplink, every OPD link's port state and ICMP
(is it only this OPD?), this link's utilization over a short SNMP window, the CPE over SNMP, the
agency's DNS and the OPD's registered servers, and recent changes from the store. :func:`decide` is
pure: it walks the facts from the widest cause to the narrowest and stops at the first decisive one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

from inventory.models import Inventory, Link, Purpose

LOSS_DEGRADED = 0.05  # share of echo requests lost before a link counts as degraded
SATURATED = 0.9  # utilization of the subscription
RTT_FACTOR = 3.0  # RTT beyond this many times the link's baseline (and 20 ms more) is degraded
JUST_REBOOTED_S = 600
READ_SPACING_S = 0.25  # reads of the OPD's port during the rate window


class Verdict(StrEnum):
    UPSTREAM = "upstream"
    DATACENTER_CORE = "datacenter-core"
    CIRCUIT_DOWN = "circuit-down"
    CONGESTION = "congestion"
    PROVIDER_LINK_DEGRADED = "provider-link-degraded"
    OPD_SIDE = "opd-side"
    DNS_OR_SERVICE = "dns-or-service"
    NO_FAULT_FOUND = "no-fault-found"


@dataclass
class LinkFacts:
    link: str
    opd: str
    port_up: bool | None = None  # data-center port oper status
    wan_loss: float | None = None  # ICMP to the CPE's WAN address
    wan_rtt: float | None = None
    lan_loss: float | None = None  # ICMP to the OPD LAN gateway
    utilization: float | None = None  # max of both directions, of the subscription
    errors_grown: int | None = None  # errors + discards at the data-center port during the SNMP window
    rtt_baseline: float | None = None
    last_change_s: float | None = None  # since the data-center port's oper status last changed (ifLastChange)


@dataclass(frozen=True)
class Period:
    """One 5-minute rollup of the link: the loss timeline of an evidence pack."""

    start: datetime
    loss: float | None
    rtt: float | None


@dataclass
class TriageFacts:
    opd: str
    links: dict[str, LinkFacts] = field(default_factory=dict)  # every OPD link (for "many affected")
    uplink_up: bool | None = None  # None: no uplink in the inventory
    uplink_detail: str = ""
    core_reachable: bool | None = None
    cpe_snmp: bool | None = None
    cpe_uptime_s: float | None = None
    cpe_ssh: bool | None = None
    cpe_ssh_detail: str = ""
    dns_ok: bool | None = None
    dns_detail: str = ""
    servers_down: list[str] = field(default_factory=list)
    recent_changes: list[str] = field(default_factory=list)
    path: list[tuple[int, str | None]] | None = None  # traceroute towards the OPD LAN gateway
    path_target: str = ""
    collected_at: datetime | None = None  # when the probes ran (aware)
    rates_measured: bool = True  # False: stopped before the utilization window (verdict already decisive)
    # from the agent's records in the store
    flaps_24h: int | None = None  # times this OPD's link went down in the last 24 hours
    outage_start: datetime | None = None  # when the link last left "up", if it has not come back
    last_good: datetime | None = None  # end of the last 5-minute period with loss below LOSS_DEGRADED
    timeline: list[Period] = field(default_factory=list)  # the last hour of rollups, oldest first
    month_p95_bps: float | None = None  # 95th percentile of this month's 5-minute rates (SOP 13)
    duration_s: float = 0.0


@dataclass(frozen=True)
class Evidence:
    check: str
    ok: bool | None  # None: informational
    detail: str


@dataclass(frozen=True)
class Diagnosis:
    opd: str
    verdict: Verdict
    summary: str
    next_step: str
    evidence: list[Evidence]
    affected: list[str]
    provider: dict[str, str | None]
    pack: dict[str, Any] = field(default_factory=dict)  # for the provider (SOP 15 step 4): see evidence_pack

    def to_json(self, duration_s: float) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["duration_seconds"] = round(duration_s, 3)
        return data


def uplinks(inv: Inventory) -> list[tuple[str, str, str]]:
    """(device, interface, peer address) of the data center's links to the upstream: interfaces on a
    point-to-point prefix that belongs to no OPD."""
    out = []
    for prefix in inv.prefixes:
        if prefix.purpose is not Purpose.P2P or prefix.opd is not None:
            continue
        for device in inv.devices:
            for iface in device.interfaces:
                if iface.address is None:
                    continue
                addr = ip_interface(iface.address)
                if addr.ip in prefix.prefix:
                    peers = [h for h in prefix.prefix.hosts() if h != addr.ip] or [addr.ip]
                    out.append((device.name, iface.name, str(peers[0])))
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _ago(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds")


def evidence_pack(link: Link, mine: LinkFacts, f: TriageFacts) -> dict[str, Any]:
    """What SOP 15 step 4 hands the provider: the circuit, when the outage started, the last good period,
    the port, and the loss timeline of the last hour. The port's own ifLastChange dates a port-down outage
    more precisely than the agent's records (which see it at the next poll)."""
    start = f.outage_start
    if mine.port_up is False and mine.last_change_s is not None and f.collected_at is not None:
        start = f.collected_at - timedelta(seconds=mine.last_change_s)
    return {
        "provider": link.provider,
        "circuit_id": link.circuit_id,
        "contact": link.provider_contact,
        "link": link.name,
        "outage_start": _iso(start),
        "last_good": _iso(f.last_good),
        "port": {
            "device": link.dc.device,
            "interface": link.dc.interface,
            "oper_up": mine.port_up,
            "last_change_seconds": mine.last_change_s,
        },
        "flaps_24h": f.flaps_24h,
        "loss_now": mine.wan_loss,
        "rtt_now_ms": None if mine.wan_rtt is None else round(mine.wan_rtt * 1000, 2),
        "loss_timeline": [
            {"period_start": _iso(p.start), "loss": p.loss, "rtt_ms": None if p.rtt is None else round(p.rtt * 1000, 2)}
            for p in f.timeline
        ],
    }


def decisive_without_rates(inv: Inventory, f: TriageFacts) -> Diagnosis | None:
    """The verdict, when the facts decide it before the link's utilization is looked at (upstream, the core,
    or this link's port down), so triage can stop without waiting for the SNMP rate window; else None."""
    d = decide(inv, f)
    mine = f.links[_link_of(inv, f.opd).name]
    if d.verdict in (Verdict.UPSTREAM, Verdict.DATACENTER_CORE):
        return d
    if d.verdict is Verdict.CIRCUIT_DOWN and mine.port_up is False:
        return d
    return None


def decide(inv: Inventory, f: TriageFacts) -> Diagnosis:
    """The verdict for ``f.opd``: the widest cause that explains the facts, with SOP 15's next step."""
    link = next(lk for lk in inv.links if lk.opd == f.opd)
    mine = f.links[link.name]
    provider = {"provider": link.provider, "circuit_id": link.circuit_id, "contact": link.provider_contact}
    ev: list[Evidence] = []
    down = sorted(lf.opd for lf in f.links.values() if lf.port_up is False or (lf.wan_loss or 0) >= 1.0)

    def dx(verdict: Verdict, summary: str, next_step: str, affected: list[str] | None = None) -> Diagnosis:
        if not f.rates_measured:
            ev.append(Evidence("utilization", None, "tidak diukur: putusan sudah pasti tanpa jendela SNMP"))
        pack = evidence_pack(link, mine, f)
        return Diagnosis(f.opd, verdict, summary, next_step, ev, affected or [f.opd], provider, pack)

    if f.uplink_up is not None:
        ev.append(Evidence("uplink", f.uplink_up, f.uplink_detail))
        if not f.uplink_up:
            every = sorted(lf.opd for lf in f.links.values())
            return dx(
                Verdict.UPSTREAM,
                f"{len(every)} OPD terdampak; penyebab: jalur upstream pusat data putus ({f.uplink_detail})",
                "Langkah 4 SOP 15: hubungi penyedia upstream; keluhan OPD digabung di bawah gangguan ini",
                every,
            )
    ev.append(
        Evidence(
            "core", f.core_reachable, "perangkat inti menjawab" if f.core_reachable else "perangkat inti tidak menjawab"
        )
    )
    if f.core_reachable is False or (len(down) >= 2 and len(down) >= len(f.links) / 2):
        return dx(
            Verdict.DATACENTER_CORE,
            f"{len(down)} OPD terdampak; penyebab di perangkat inti pusat data",
            "Langkah 3 SOP 15: periksa perangkat inti di pusat data; keluhan OPD digabung di bawah gangguan ini",
            down or [f.opd],
        )
    ev.append(Evidence("other-opds", True, f"OPD lain normal; yang terganggu: {', '.join(down) or 'tidak ada'}"))
    port = "up" if mine.port_up else "down" if mine.port_up is False else "tidak diketahui"
    since = "" if mine.last_change_s is None else f", status berubah {_ago(mine.last_change_s)} lalu"
    ev.append(Evidence("dc-port", mine.port_up, f"port pusat data {link.dc.device}:{link.dc.interface} {port}{since}"))
    if f.flaps_24h is not None:
        ev.append(Evidence("flaps", f.flaps_24h == 0, f"jalur putus {f.flaps_24h} kali dalam 24 jam terakhir"))
    if f.outage_start is not None:
        ev.append(Evidence("outage-start", None, f"gangguan tercatat sejak {f.outage_start:%Y-%m-%d %H:%M:%S %Z}"))
    if mine.errors_grown is not None:
        ev.append(
            Evidence(
                "dc-port-errors",
                mine.errors_grown == 0,
                f"galat/paket dibuang di port selama jendela ukur: {mine.errors_grown}",
            )
        )
    if f.path is not None:
        hops = " → ".join(a or "*" for _, a in f.path) or "tidak ada jawaban"
        reached = bool(f.path) and f.path[-1][1] == f.path_target
        ev.append(
            Evidence("path", reached, f"traceroute ke {f.path_target}: {hops}" + ("" if reached else " (berhenti)"))
        )
    ev.append(
        Evidence(
            "wan-icmp",
            (mine.wan_loss or 0) < LOSS_DEGRADED,
            f"ICMP ke WAN CPE: loss {_pct(mine.wan_loss)}"
            + (f", RTT {mine.wan_rtt * 1000:.1f} ms" if mine.wan_rtt is not None else ""),
        )
    )
    contact = link.provider_contact or "kontak belum dicatat"
    escalate = f"jika ada, eskalasi ke {link.provider} (sirkuit {link.circuit_id}, {contact})"
    if mine.port_up is False:
        return dx(
            Verdict.CIRCUIT_DOWN,
            f"jalur {link.name} putus: port pusat data down",
            f"Langkah 4 SOP 15: tanyakan ke OPD apakah router menyala; {escalate} dengan paket bukti",
        )
    ev.append(
        Evidence(
            "utilization",
            (mine.utilization or 0) < SATURATED,
            f"utilisasi {_pct(mine.utilization)} dari langganan {link.subscribed_mbps} Mbit/s",
        )
    )
    # before the loss rule: a full link drops probes too (a full tbf queue took 10 of 10), yet it is carrying
    if mine.utilization is not None and mine.utilization >= SATURATED:
        p95 = (
            "persentil ke-95 bulan ini belum ada data"
            if f.month_p95_bps is None
            else f"persentil ke-95 bulan ini {f.month_p95_bps / 1e6:.1f} Mbit/s"
            f" ({f.month_p95_bps / (link.subscribed_mbps * 1e6):.0%} dari langganan)"
        )
        return dx(
            Verdict.CONGESTION,
            f"jalur {link.name} penuh: {_pct(mine.utilization)} dari {link.subscribed_mbps} Mbit/s",
            f"SOP 13: tinjau kebutuhan bandwidth OPD ({p95}); cari pemakai terbesar di LAN OPD",
        )
    if mine.wan_loss is not None and mine.wan_loss >= 1.0:
        return dx(
            Verdict.CIRCUIT_DOWN,
            f"jalur {link.name} tidak meneruskan lalu lintas: port up, loss 100 %",
            f"Langkah 4 SOP 15: tanyakan ke OPD apakah router menyala; {escalate} dengan paket bukti",
        )
    slow = (
        mine.wan_rtt is not None
        and mine.rtt_baseline is not None
        and mine.wan_rtt > max(RTT_FACTOR * mine.rtt_baseline, mine.rtt_baseline + 0.020)
    )
    if mine.rtt_baseline is not None:
        ev.append(Evidence("rtt-baseline", not slow, f"RTT dasar jalur {mine.rtt_baseline * 1000:.1f} ms"))
    if (mine.wan_loss or 0) >= LOSS_DEGRADED or slow:
        return dx(
            Verdict.PROVIDER_LINK_DEGRADED,
            f"jalur {link.name} menurun: loss {_pct(mine.wan_loss)}, tidak penuh",
            f"Langkah 4 SOP 15: {escalate.removeprefix('jika ada, ')} dengan paket bukti (loss, RTT, waktu mulai)",
        )
    ev.append(
        Evidence("lan-gateway", (mine.lan_loss or 0) < 1.0, f"ICMP ke gateway LAN OPD: loss {_pct(mine.lan_loss)}")
    )
    ev.append(
        Evidence("cpe-snmp", f.cpe_snmp, "router OPD menjawab SNMP" if f.cpe_snmp else "router OPD tidak menjawab SNMP")
    )
    if f.cpe_ssh is not None:
        ev.append(Evidence("cpe-ssh", f.cpe_ssh, f.cpe_ssh_detail))
    if mine.lan_loss is not None and mine.lan_loss >= 1.0:
        return dx(
            Verdict.OPD_SIDE,
            "router OPD menjawab lewat jalur WAN, tetapi LAN OPD mati",
            "Langkah 3 SOP 15: kirim teknisi ke OPD (switch/kabel LAN, listrik)",
        )
    if f.cpe_uptime_s is not None:
        ev.append(
            Evidence("cpe-uptime", f.cpe_uptime_s >= JUST_REBOOTED_S, f"router OPD menyala {f.cpe_uptime_s:.0f} detik")
        )
        if f.cpe_uptime_s < JUST_REBOOTED_S:
            return dx(
                Verdict.OPD_SIDE,
                f"router OPD baru menyala ulang ({f.cpe_uptime_s:.0f} detik): listrik?",
                "Langkah 3 SOP 15: tanyakan listrik/UPS di OPD; kirim teknisi bila berulang",
            )
    ev.append(Evidence("dns", f.dns_ok, f.dns_detail))
    ev.append(
        Evidence(
            "servers",
            not f.servers_down,
            "server OPD: " + (", ".join(f.servers_down) + " tidak menjawab" if f.servers_down else "semua menjawab"),
        )
    )
    if f.dns_ok is False or f.servers_down:
        what = f.dns_detail if f.dns_ok is False else f"server {', '.join(f.servers_down)} tidak menjawab"
        return dx(
            Verdict.DNS_OR_SERVICE,
            f"jaringan normal; layanan bermasalah: {what}",
            "Langkah 3 SOP 15: periksa layanan DNS/server di pusat data",
        )
    for change in f.recent_changes:
        ev.append(Evidence("recent-change", None, change))
    return dx(
        Verdict.NO_FAULT_FOUND,
        "tidak ditemukan gangguan: semua pemeriksaan lulus",
        "Langkah 8 SOP 15: laporkan ke OPD bahwa jaringan normal; minta detail (aplikasi, waktu, pengguna)",
    )


# ---- collection (I/O) ---------------------------------------------------------------------------
async def gather(
    inv: Inventory,
    inventory_dir: Path,
    opd: str,
    store: Any = None,
    window_s: float = 5.0,
    timeout: float = 2.0,
    tz: str = "Asia/Jakarta",
) -> TriageFacts:
    """Collect the facts for triaging ``opd``: every probe in parallel, then, unless that already decides
    the verdict, a second SNMP poll ``window_s`` after the first for the link's utilization."""
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    from collectors.cli import ssh_banner  # noqa: PLC0415
    from collectors.dns import DnsQueryError, query  # noqa: PLC0415
    from collectors.errors import CollectorError  # noqa: PLC0415
    from collectors.icmp import IcmpProber  # noqa: PLC0415
    from collectors.snmp import SnmpCollector  # noqa: PLC0415

    start = time.monotonic()
    facts = TriageFacts(opd)
    link = _link_of(inv, opd)
    targets: dict[str, tuple[str, str]] = {}  # address -> (link, "wan"|"lan")
    for lk in inv.links:
        facts.links[lk.name] = LinkFacts(lk.name, lk.opd)
        cpe = inv.device(lk.cpe.device)
        wan = cpe.interface(lk.cpe.interface)
        if wan is not None and wan.address is not None:
            targets[str(ip_interface(wan.address).ip)] = (lk.name, "wan")
        for p in inv.prefixes:
            if p.purpose is Purpose.OPD_LAN and p.opd == lk.opd and p.gateway is not None:
                targets[str(p.gateway)] = (lk.name, "lan")
    ups = uplinks(inv)
    peers = {peer: (dev, iface) for dev, iface, peer in ups}
    servers = _servers_of(store, opd)
    prober = IcmpProber(count=30, interval=0.01, timeout=1.0)
    snmp = SnmpCollector(inventory_dir, timeout=timeout, retries=1)

    async def icmp() -> dict[str, Any]:
        return await prober.probe([*targets, *peers, *servers.values()])

    dc_devices = sorted({lk.dc.device for lk in inv.links} | {dev for dev, _, _ in ups})

    async def dc_poll() -> dict[str, Any]:
        async def one(name: str) -> Any:
            device = inv.device(name)
            if device.snmp is None:
                return None
            try:
                return await snmp.poll(device, inv.snmp_profile(device.snmp))
            except CollectorError:
                return None

        return dict(zip(dc_devices, await asyncio.gather(*(one(n) for n in dc_devices)), strict=True))

    async def port_change() -> float | None:
        device = inv.device(link.dc.device)
        if device.snmp is None:
            return None
        try:
            changed = await snmp.last_change(device, inv.snmp_profile(device.snmp), [link.dc.interface])
        except CollectorError:
            return None
        return changed.get(link.dc.interface)

    async def cpe_ssh() -> tuple[bool | None, str]:
        device = inv.device(link.cpe.device)
        if device.ssh is None:
            return None, ""
        port = inv.ssh_profile(device.ssh).port
        banner = await ssh_banner(str(device.mgmt_address), port, timeout)
        if banner is None:
            return False, f"router OPD tidak menjawab SSH ({device.mgmt_address}:{port})"
        return True, f"router OPD menjawab SSH: {banner}"

    async def cpe_poll() -> Any:
        device = inv.device(link.cpe.device)
        if device.snmp is None:
            return None
        profile = inv.snmp_profile(device.snmp)
        try:
            sample = await snmp.poll(device, profile, interfaces=[link.cpe.interface])
            system = await snmp.system(device, profile)
        except CollectorError:
            return False
        # the host's uptime where the device reports it (a restarted SNMP agent is no power cut)
        return system.host_uptime_ticks if system.host_uptime_ticks is not None else sample.uptime_ticks

    async def dns() -> tuple[bool | None, str]:
        zone = next((z for z in inv.zones if z.name == inv.agency.zone), None)
        if zone is None:
            return None, "zona agensi tidak ada di inventaris"
        try:
            answer = await asyncio.to_thread(query, str(zone.primary), zone.name, "SOA", 2.0)
        except DnsQueryError as exc:
            return False, f"DNS {zone.primary} tidak menjawab untuk {zone.name}: {exc}"
        return bool(
            answer
        ), f"DNS {zone.primary} menjawab SOA {zone.name}" if answer else f"DNS {zone.primary}: SOA {zone.name} kosong"

    lan_gateway = next(
        (str(p.gateway) for p in inv.prefixes if p.purpose is Purpose.OPD_LAN and p.opd == opd and p.gateway), None
    )

    async def path() -> Any:
        if lan_gateway is None:
            return None
        from collectors.errors import ProbeError  # noqa: PLC0415
        from collectors.path import trace  # noqa: PLC0415

        try:
            return await asyncio.to_thread(trace, lan_gateway, 8, 1.0)
        except ProbeError:
            return None

    tasks: list[asyncio.Task[Any]] = []
    try:
        window_from = time.monotonic()
        # what decides upstream / core / port down first; the rest (the CPE, DNS) is dropped if that decides
        pings_t = asyncio.create_task(icmp())
        firsts_t = asyncio.create_task(dc_poll())
        change_t = asyncio.create_task(port_change())
        path_t: asyncio.Task[Any] = asyncio.create_task(path())
        cpe_t: asyncio.Task[Any] = asyncio.create_task(cpe_poll())
        ssh_t: asyncio.Task[tuple[bool | None, str]] = asyncio.create_task(cpe_ssh())
        dns_t: asyncio.Task[tuple[bool | None, str]] = asyncio.create_task(dns())
        more: list[asyncio.Task[Any]] = [cpe_t, ssh_t, dns_t]
        tasks += [pings_t, firsts_t, change_t, path_t, *more]
        pings, firsts, last_change = await pings_t, await firsts_t, await change_t
        facts.collected_at = datetime.now(ZoneInfo(tz))
        _fill_ports(inv, facts, firsts, None)
        facts.links[link.name].last_change_s = last_change
        _fill_probes(facts, targets, pings)
        _fill_uplink(facts, ups, firsts, pings)
        facts.servers_down = [n for n, addr in servers.items() if not (pings.get(addr) and pings[addr].received)]
        if store is not None:
            _fill_history(store, facts, link, facts.collected_at)
            facts.recent_changes = _recent_changes(store, inv, opd)
        # stop digging at the first decisive failure (SOP 15: the repair comes first): the CPE of a link
        # that is down cannot answer, and waiting for its SNMP timeout would only delay the verdict
        decisive = decisive_without_rates(inv, facts) is not None
        if decisive:
            for task in more:
                task.cancel()
        else:
            cpe_sample = await cpe_t
            facts.cpe_ssh, facts.cpe_ssh_detail = await ssh_t
            facts.dns_ok, facts.dns_detail = await dns_t
            if cpe_sample is False:
                facts.cpe_snmp = False
            elif cpe_sample is not None:
                facts.cpe_snmp, facts.cpe_uptime_s = True, cpe_sample / 100
        hops = await path_t  # the path is evidence for the provider too: wait for it (about a second)
        if hops is not None:
            facts.path, facts.path_target = [(h.ttl, h.address) for h in hops], lan_gateway or ""
        seconds = None
        if not decisive:  # the link's utilization over the window (from before the probes)
            reads = [firsts.get(link.dc.device)]
            device = inv.device(link.dc.device)
            while (left := window_s - (time.monotonic() - window_from)) > 0 and device.snmp is not None:
                # read this port often: the rate is taken between two reads that saw the device's counter
                # cache refresh (core.rates.refreshed_span), not between two reads of unknown age
                await asyncio.sleep(min(READ_SPACING_S, left))
                try:
                    reads.append(await snmp.poll(device, inv.snmp_profile(device.snmp), [link.dc.interface]))
                except CollectorError:
                    break
            seconds = await dc_poll()
            _fill_ports(inv, facts, firsts, seconds)
            _fill_uplink(facts, ups, seconds, pings)
            _fill_rate(facts.links[link.name], link, [r for r in reads if r is not None])
        facts.rates_measured = seconds is not None
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        prober.close()
        snmp.close()
    facts.duration_s = time.monotonic() - start
    return facts


def _fill_probes(facts: TriageFacts, targets: dict[str, tuple[str, str]], pings: dict[str, Any]) -> None:
    for address, (name, side) in targets.items():
        r = pings.get(address)
        if r is None:
            continue
        lf = facts.links[name]
        if side == "wan":
            lf.wan_loss, lf.wan_rtt = r.loss_ratio, r.rtt_avg
        else:
            lf.lan_loss = r.loss_ratio


def _fill_ports(inv: Inventory, facts: TriageFacts, firsts: dict[str, Any], seconds: dict[str, Any] | None) -> None:
    """Port states from the latest poll; with two polls, error growth and utilization over the window."""

    latest = seconds if seconds is not None else firsts
    facts.core_reachable = any(v is not None for v in latest.values()) if latest else None
    for lk in inv.links:
        b_sample = latest.get(lk.dc.device)
        b = b_sample.interfaces.get(lk.dc.interface) if b_sample is not None else None
        if b is None:
            continue
        lf = facts.links[lk.name]
        lf.port_up = b.oper_up
        a_sample = firsts.get(lk.dc.device) if seconds is not None else None
        a = a_sample.interfaces.get(lk.dc.interface) if a_sample is not None else None
        if a is None or a_sample is None or b_sample is None:
            continue
        counters = [
            (x, y)
            for x, y in (
                (a.in_errors, b.in_errors),
                (a.out_errors, b.out_errors),
                (a.in_discards, b.in_discards),
                (a.out_discards, b.out_discards),
            )
            if x is not None and y is not None
        ]
        if len(counters) == 4:
            lf.errors_grown = sum(max(0, y - x) for x, y in counters)
        lf.utilization = _utilization(a_sample, a, b_sample, b, lk.subscribed_bps)


def _fill_rate(lf: LinkFacts, link: Link, reads: list[Any]) -> None:
    """This link's utilization from the port reads of the window, between the first and the last read that
    saw the device refresh its counters."""
    from core.rates import refreshed_span  # noqa: PLC0415

    ports = [(r, r.interfaces.get(link.dc.interface)) for r in reads]
    ports = [(r, i) for r, i in ports if i is not None]
    if len(ports) < 2:
        return
    a_at, b_at = refreshed_span([(i.in_octets, i.out_octets) for _, i in ports])
    (a_sample, a), (b_sample, b) = ports[a_at], ports[b_at]
    measured = _utilization(a_sample, a, b_sample, b, link.subscribed_bps)
    if measured is not None:
        lf.utilization = measured


def _utilization(a_sample: Any, a: Any, b_sample: Any, b: Any, subscribed_bps: float) -> float | None:
    """The higher of both directions' rates between two reads of one port, of the subscription."""
    from core.rates import Reading, counter_rate  # noqa: PLC0415

    rates = []
    for before, after in ((a.in_octets, b.in_octets), (a.out_octets, b.out_octets)):
        if before is None or after is None:
            continue
        rate = counter_rate(
            Reading(before, a_sample.timestamp, a_sample.uptime_ticks, a.counter_bits),
            Reading(after, b_sample.timestamp, b_sample.uptime_ticks, b.counter_bits),
            b.speed_bps,
        )
        if rate.bps is not None:
            rates.append(rate.bps / subscribed_bps)
    return max(rates) if rates else None


def _fill_uplink(
    facts: TriageFacts, ups: list[tuple[str, str, str]], samples: dict[str, Any], pings: dict[str, Any]
) -> None:
    for dev, iface, peer in ups:
        sample = samples.get(dev)
        port = sample.interfaces.get(iface) if sample is not None else None
        r = pings.get(peer)
        alive = r is not None and r.received > 0
        facts.uplink_up = bool(port is not None and port.oper_up and alive)
        facts.uplink_detail = (
            f"{dev}:{iface} {'up' if port is not None and port.oper_up else 'down'}, "
            f"ICMP ke {peer} {'menjawab' if alive else 'tidak menjawab'}"
        )


def _link_of(inv: Inventory, opd: str) -> Link:
    found = next((lk for lk in inv.links if lk.opd == opd), None)
    if found is None:
        from playbooks.errors import PlaybookError  # noqa: PLC0415

        raise PlaybookError(
            f"OPD '{opd}' has no WAN link in the inventory; OPDs: {', '.join(lk.opd for lk in inv.links)}"
        )
    return found


def _servers_of(store: Any, opd: str) -> dict[str, str]:
    if store is None:
        return {}
    from sqlalchemy import select  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from store.schema import ProbeTargetRow  # noqa: PLC0415

    with Session(store) as s:
        return {r.name: r.address for r in s.scalars(select(ProbeTargetRow).where(ProbeTargetRow.opd == opd))}


def _fill_history(store: Any, facts: TriageFacts, link: Link, now: datetime) -> None:
    """From the agent's records in the store: the RTT baseline; flaps in 24 h and the outage start (link
    events); the last hour of rollups and the last good period; this month's 95th percentile rate."""
    from datetime import UTC  # noqa: PLC0415

    from sqlalchemy import select  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from core.rollup import percentile95  # noqa: PLC0415
    from store.schema import LinkEvent, LinkRollup  # noqa: PLC0415

    def aware(at: datetime) -> datetime:  # SQLite hands back naive UTC
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(now.tzinfo)

    utc = now.astimezone(UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    event, rollup = LinkEvent, LinkRollup
    with Session(store) as s:
        watched = s.scalars(
            select(rollup.id).where(rollup.link == link.name, rollup.period_start >= utc - timedelta(days=1)).limit(1)
        ).first()
        events = s.scalars(
            select(event).where(event.link == link.name, event.at >= utc - timedelta(days=1)).order_by(event.id)
        ).all()
        # no rollup and no event in a day: the agent was not watching, so "0 flaps" would be a guess
        facts.flaps_24h = sum(e.to_state == "down" for e in events) if watched or events else None
        last = s.scalars(select(event).where(event.link == link.name).order_by(event.id.desc()).limit(1)).first()
        if last is not None and last.to_state != "up":
            left = s.scalars(
                select(event)
                .where(event.link == link.name, event.from_state == "up")
                .order_by(event.id.desc())
                .limit(1)
            ).first()
            facts.outage_start = aware((left or last).at)
        facts.timeline = [
            Period(aware(r.period_start), r.loss_ratio, r.rtt_avg_seconds)
            for r in s.scalars(
                select(rollup)
                .where(rollup.link == link.name, rollup.period_start >= utc - timedelta(hours=1))
                .order_by(rollup.period_start)
            )
        ]
        good = s.scalars(
            select(rollup)
            .where(rollup.link == link.name, rollup.loss_ratio < LOSS_DEGRADED)
            .order_by(rollup.period_start.desc())
            .limit(1)
        ).first()
        if good is not None:
            facts.last_good = aware(good.period_start) + timedelta(seconds=good.period_seconds)
        rates = s.execute(
            select(rollup.in_bps_avg, rollup.out_bps_avg).where(rollup.link == link.name, rollup.period_start >= month)
        ).all()
    facts.month_p95_bps = percentile95(
        [max(v for v in r if v is not None) for r in rates if any(v is not None for v in r)]
    )
    facts.links[link.name].rtt_baseline = _baseline(store, link.name)


def _baseline(store: Any, link: str) -> float | None:
    """The link's usual RTT: the median of its 5-minute rollups over the last 7 days."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415
    from statistics import median  # noqa: PLC0415

    from sqlalchemy import select  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from store.schema import LinkRollup  # noqa: PLC0415

    since = datetime.now(UTC) - timedelta(days=7)
    with Session(store) as s:
        values = [
            v
            for v in s.scalars(
                select(LinkRollup.rtt_avg_seconds).where(LinkRollup.link == link, LinkRollup.period_start >= since)
            )
            if v is not None
        ]
    return median(values) if len(values) >= 3 else None


def _recent_changes(store: Any, inv: Inventory, opd: str) -> list[str]:
    """DNS changes and playbook runs of the last 7 days that touch this OPD, newest first."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from sqlalchemy import select  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from store.schema import DnsChange, PlaybookRun  # noqa: PLC0415

    since = datetime.now(UTC) - timedelta(days=7)
    out = []
    with Session(store) as s:
        for run in s.scalars(
            select(PlaybookRun).where(PlaybookRun.started_at >= since).order_by(PlaybookRun.id.desc())
        ):
            if f'"opd": "{opd}"' in run.params or opd in run.facts:
                out.append(f"{run.started_at:%Y-%m-%d %H:%M} {run.playbook} (run {run.id}, {run.state})")
        for change in s.scalars(
            select(DnsChange)
            .where(DnsChange.at >= since, DnsChange.name.contains(f".{opd}."))
            .order_by(DnsChange.id.desc())
        ):
            out.append(f"{change.at:%Y-%m-%d %H:%M} DNS {change.action} {change.name} {change.rtype} {change.value}")
    return out[:10]
