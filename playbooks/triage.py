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
from enum import StrEnum
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

from inventory.models import Inventory, Link, Purpose

LOSS_DEGRADED = 0.05  # share of echo requests lost before a link counts as degraded
SATURATED = 0.9  # utilization of the subscription
RTT_FACTOR = 3.0  # RTT beyond this many times the link's baseline (and 20 ms more) is degraded
JUST_REBOOTED_S = 600


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


@dataclass
class TriageFacts:
    opd: str
    links: dict[str, LinkFacts] = field(default_factory=dict)  # every OPD link (for "many affected")
    uplink_up: bool | None = None  # None: no uplink in the inventory
    uplink_detail: str = ""
    core_reachable: bool | None = None
    cpe_snmp: bool | None = None
    cpe_uptime_s: float | None = None
    dns_ok: bool | None = None
    dns_detail: str = ""
    servers_down: list[str] = field(default_factory=list)
    recent_changes: list[str] = field(default_factory=list)
    path: list[tuple[int, str | None]] | None = None  # traceroute towards the OPD LAN gateway
    path_target: str = ""
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


def decide(inv: Inventory, f: TriageFacts) -> Diagnosis:
    """The verdict for ``f.opd``: the widest cause that explains the facts, with SOP 15's next step."""
    link = next(lk for lk in inv.links if lk.opd == f.opd)
    mine = f.links[link.name]
    provider = {"provider": link.provider, "circuit_id": link.circuit_id, "contact": link.provider_contact}
    ev: list[Evidence] = []
    down = sorted(lf.opd for lf in f.links.values() if lf.port_up is False or (lf.wan_loss or 0) >= 1.0)

    def dx(verdict: Verdict, summary: str, next_step: str, affected: list[str] | None = None) -> Diagnosis:
        return Diagnosis(f.opd, verdict, summary, next_step, ev, affected or [f.opd], provider)

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
    ev.append(Evidence("dc-port", mine.port_up, f"port pusat data {link.dc.device}:{link.dc.interface} {port}"))
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
        return dx(
            Verdict.CONGESTION,
            f"jalur {link.name} penuh: {_pct(mine.utilization)} dari {link.subscribed_mbps} Mbit/s",
            "SOP 13: tinjau kebutuhan bandwidth OPD (persentil ke-95 bulan ini); cari pemakai terbesar di LAN OPD",
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
    inv: Inventory, inventory_dir: Path, opd: str, store: Any = None, window_s: float = 5.0, timeout: float = 2.0
) -> TriageFacts:
    """Collect the facts for triaging ``opd`` (probes in parallel; the SNMP rate window is ``window_s``)."""
    from agent.rates import Reading, counter_rate  # noqa: PLC0415
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

    async def dc_ports() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in {lk.dc.device for lk in inv.links} | {dev for dev, _, _ in ups}:
            device = inv.device(name)
            if device.snmp is None:
                continue
            profile = inv.snmp_profile(device.snmp)
            try:
                first = await snmp.poll(device, profile)
                await asyncio.sleep(window_s)
                out[name] = (first, await snmp.poll(device, profile))
            except CollectorError:
                out[name] = None
        return out

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

    try:
        pings, ports, cpe_sample, (dns_ok, dns_detail), hops = await asyncio.gather(
            icmp(), dc_ports(), cpe_poll(), dns(), path()
        )
    finally:
        prober.close()
        snmp.close()
    for address, (name, side) in targets.items():
        r = pings.get(address)
        if r is None:
            continue
        lf = facts.links[name]
        if side == "wan":
            lf.wan_loss, lf.wan_rtt = r.loss_ratio, r.rtt_avg
        else:
            lf.lan_loss = r.loss_ratio
    facts.core_reachable = any(v is not None for v in ports.values()) if ports else None
    for lk in inv.links:
        pair = ports.get(lk.dc.device)
        if not pair:
            continue
        first, second = pair
        a, b = first.interfaces.get(lk.dc.interface), second.interfaces.get(lk.dc.interface)
        if b is None or a is None:
            continue
        lf = facts.links[lk.name]
        lf.port_up = b.oper_up
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
        rates = []
        for before, after in ((a.in_octets, b.in_octets), (a.out_octets, b.out_octets)):
            if before is None or after is None:
                continue
            rate = counter_rate(
                Reading(before, first.timestamp, first.uptime_ticks, a.counter_bits),
                Reading(after, second.timestamp, second.uptime_ticks, b.counter_bits),
                b.speed_bps,
            )
            if rate.bps is not None:
                rates.append(rate.bps / lk.subscribed_bps)
        lf.utilization = max(rates) if rates else None
    for dev, iface, peer in ups:
        pair = ports.get(dev)
        port = pair[1].interfaces.get(iface) if pair else None
        r = pings.get(peer)
        alive = r is not None and r.received > 0
        facts.uplink_up = bool(port is not None and port.oper_up and alive)
        facts.uplink_detail = (
            f"{dev}:{iface} {'up' if port is not None and port.oper_up else 'down'}, "
            f"ICMP ke {peer} {'menjawab' if alive else 'tidak menjawab'}"
        )
    if cpe_sample is False:
        facts.cpe_snmp = False
    elif cpe_sample is not None:
        facts.cpe_snmp = True
        facts.cpe_uptime_s = cpe_sample / 100
    facts.dns_ok, facts.dns_detail = dns_ok, dns_detail
    if hops is not None:
        facts.path, facts.path_target = [(h.ttl, h.address) for h in hops], lan_gateway or ""
    facts.servers_down = [name for name, addr in servers.items() if not (pings.get(addr) and pings[addr].received)]
    if store is not None:
        facts.links[link.name].rtt_baseline = _baseline(store, link.name)
        facts.recent_changes = _recent_changes(store, inv, opd)
    facts.duration_s = time.monotonic() - start
    return facts


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

    from agent.store import ProbeTargetRow  # noqa: PLC0415

    with Session(store) as s:
        return {r.name: r.address for r in s.scalars(select(ProbeTargetRow).where(ProbeTargetRow.opd == opd))}


def _baseline(store: Any, link: str) -> float | None:
    """The link's usual RTT: the median of its 5-minute rollups over the last 7 days."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415
    from statistics import median  # noqa: PLC0415

    from sqlalchemy import select  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from agent.store import LinkRollup  # noqa: PLC0415

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

    from agent.store import DnsChange, PlaybookRun  # noqa: PLC0415

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
