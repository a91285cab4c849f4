"""Outage triage (SOP 15 steps 2-4), the decision: "OPD X says the network is down" → a verdict with its
evidence. Pure: :func:`decide` walks the facts :mod:`playbooks.triage.gather` collected from the widest
cause to the narrowest and stops at the first decisive one. The loss and saturation limits are the link
health's (:class:`core.health.HealthThresholds`) and what counts as a widespread outage is
:func:`core.topology.widespread`, so the dashboard, the alerts and triage judge alike. A widespread
outage groups the OPDs it touches (``affected``) but never overrides what this OPD's own path shows:
the core is blamed only when the core itself does not answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.health import HealthThresholds
from core.topology import widespread
from inventory.models import Inventory, Link

DEFAULT_THRESHOLDS = HealthThresholds()

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
    last_good: datetime | None = None  # end of the last 5-minute period with loss below the health limit
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


def decisive_without_rates(
    inv: Inventory, f: TriageFacts, t: HealthThresholds = DEFAULT_THRESHOLDS
) -> Diagnosis | None:
    """The verdict, when the facts decide it before the link's utilization is looked at (upstream, the core,
    or this link's port down), so triage can stop without waiting for the SNMP rate window; else None."""
    d = decide(inv, f, t)
    mine = f.links[inv.link_of(f.opd).name]
    if d.verdict in (Verdict.UPSTREAM, Verdict.DATACENTER_CORE):
        return d
    if d.verdict is Verdict.CIRCUIT_DOWN and mine.port_up is False:
        return d
    return None


# size: the rule table, read top-down from the widest cause to the narrowest; the order is the logic
def decide(inv: Inventory, f: TriageFacts, t: HealthThresholds = DEFAULT_THRESHOLDS) -> Diagnosis:
    """The verdict for ``f.opd``: the widest cause that explains the facts, with SOP 15's next step."""
    link = inv.link_of(f.opd)
    mine = f.links[link.name]
    provider = {"provider": link.provider, "circuit_id": link.circuit_id, "contact": link.provider_contact}
    ev: list[Evidence] = []
    down = sorted(lf.opd for lf in f.links.values() if lf.port_up is False or (lf.wan_loss or 0) >= 1.0)

    grouped: list[str] | None = None  # the OPDs of a widespread outage this one is part of

    def dx(verdict: Verdict, summary: str, next_step: str, affected: list[str] | None = None) -> Diagnosis:
        affected = affected or grouped
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
    if f.core_reachable is False:
        return dx(
            Verdict.DATACENTER_CORE,
            f"{len(down)} OPD terdampak; penyebab di perangkat inti pusat data",
            "Langkah 3 SOP 15: periksa perangkat inti di pusat data; keluhan OPD digabung di bawah gangguan ini",
            down or [f.opd],
        )
    if widespread(len(down), len(f.links)):
        # many OPDs at once while the core and the uplink answer: grouped, but this OPD's own path decides
        grouped = down if f.opd in down else None
        ev.append(
            Evidence(
                "other-opds",
                False,
                f"{len(down)} dari {len(f.links)} OPD terganggu bersamaan ({', '.join(down)}); perangkat inti dan "
                "uplink menjawab, jadi jalur OPD ini sendiri yang menentukan",
            )
        )
    else:
        grouped = None
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
            (mine.wan_loss or 0) < t.loss_degraded,
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
            (mine.utilization or 0) < t.saturation_ratio,
            f"utilisasi {_pct(mine.utilization)} dari langganan {link.subscribed_mbps} Mbit/s",
        )
    )
    # before the loss rule: a full link drops probes too (a full tbf queue took 10 of 10), yet it is carrying
    if mine.utilization is not None and mine.utilization >= t.saturation_ratio:
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
    if (mine.wan_loss or 0) >= t.loss_degraded or slow:
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
