"""Outage triage (SOP 15 steps 2-4), the decision: "OPD X says the network is down" → a verdict with its
evidence. Pure: :func:`decide` walks :data:`RULES`, a table read from the widest cause to the narrowest,
over the facts :mod:`playbooks.triage.gather` collected: each row adds what it looks at to the evidence,
and the first row whose condition holds gives the verdict and SOP 15's next step. The loss and saturation
limits are the link health's (:class:`core.health.HealthThresholds`) and what counts as a widespread outage
is :func:`core.topology.widespread`, so the dashboard, the alerts and triage judge alike. A widespread
outage groups the OPDs it touches (``affected``) but never overrides what this OPD's own path shows:
the core is blamed only when the core itself does not answer.
"""

# size: the facts, the evidence pack and the rule table with what each row looks at; split, a row's
# condition and the evidence that explains it would live in different files

from __future__ import annotations

from collections.abc import Callable, Iterator
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
class PortState:
    """The data-center port of the link, as the provider's evidence pack shows it."""

    device: str
    interface: str
    oper_up: bool | None
    last_change_s: float | None  # since its oper status last changed (ifLastChange)


@dataclass(frozen=True)
class EvidencePack:
    """What SOP 15 step 4 hands the provider: the circuit, when the outage started, the last good period,
    the port, and the loss timeline of the last hour. ``to_json`` is its stored and ``--json`` form."""

    provider: str
    circuit_id: str
    contact: str | None
    link: str
    outage_start: datetime | None
    last_good: datetime | None
    port: PortState
    flaps_24h: int | None
    loss_now: float | None
    rtt_now: float | None  # seconds
    timeline: tuple[Period, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "circuit_id": self.circuit_id,
            "contact": self.contact,
            "link": self.link,
            "outage_start": iso_time(self.outage_start),
            "last_good": iso_time(self.last_good),
            "port": {
                "device": self.port.device,
                "interface": self.port.interface,
                "oper_up": self.port.oper_up,
                "last_change_seconds": self.port.last_change_s,
            },
            "flaps_24h": self.flaps_24h,
            "loss_now": self.loss_now,
            "rtt_now_ms": _ms(self.rtt_now),
            "loss_timeline": [
                {"period_start": iso_time(p.start), "loss": p.loss, "rtt_ms": _ms(p.rtt)} for p in self.timeline
            ],
        }


@dataclass(frozen=True)
class Diagnosis:
    opd: str
    verdict: Verdict
    summary: str
    next_step: str
    evidence: list[Evidence]
    affected: list[str]
    provider: dict[str, str | None]
    pack: EvidencePack  # for the provider (SOP 15 step 4)

    def to_json(self, duration_s: float) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["pack"] = self.pack.to_json()
        data["duration_seconds"] = round(duration_s, 3)
        return data


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _ago(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def iso_time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds")


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def evidence_pack(link: Link, mine: LinkFacts, f: TriageFacts) -> EvidencePack:
    """The provider's evidence pack from the facts. The port's own ifLastChange dates a port-down outage
    more precisely than the agent's records (which see it at the next poll)."""
    start = f.outage_start
    if mine.port_up is False and mine.last_change_s is not None and f.collected_at is not None:
        start = f.collected_at - timedelta(seconds=mine.last_change_s)
    return EvidencePack(
        provider=link.provider,
        circuit_id=link.circuit_id,
        contact=link.provider_contact,
        link=link.name,
        outage_start=start,
        last_good=f.last_good,
        port=PortState(link.dc.device, link.dc.interface, mine.port_up, mine.last_change_s),
        flaps_24h=f.flaps_24h,
        loss_now=mine.wan_loss,
        rtt_now=mine.wan_rtt,
        timeline=tuple(f.timeline),
    )


@dataclass(frozen=True)
class Case:
    """What every rule reads: the facts, this OPD's link and its facts, the limits, and the OPDs cut now."""

    f: TriageFacts
    t: HealthThresholds
    link: Link
    mine: LinkFacts
    down: list[str]  # the OPDs whose link is cut (port down or every echo lost)

    @property
    def widespread(self) -> bool:
        return widespread(len(self.down), len(self.f.links))

    @property
    def grouped(self) -> list[str] | None:
        """The OPDs of a widespread outage this one is part of."""
        return self.down if self.widespread and self.f.opd in self.down else None

    @property
    def slow(self) -> bool:
        """RTT far beyond the link's baseline (RTT_FACTOR times, and 20 ms more)."""
        rtt, base = self.mine.wan_rtt, self.mine.rtt_baseline
        return rtt is not None and base is not None and rtt > max(RTT_FACTOR * base, base + 0.020)

    @property
    def escalate(self) -> str:
        contact = self.link.provider_contact or "kontak belum dicatat"
        return f"jika ada, eskalasi ke {self.link.provider} (sirkuit {self.link.circuit_id}, {contact})"


def _nothing(c: Case) -> Iterator[Evidence]:
    return iter(())


@dataclass(frozen=True)
class Rule:
    """One row of the table: what it looks at (added to the evidence whether or not it decides), when it
    decides, and then the verdict, its summary, SOP 15's next step and the OPDs it covers (``None``: this
    OPD, or the widespread outage it is part of)."""

    name: str
    when: Callable[[Case], bool]
    verdict: Verdict
    summary: Callable[[Case], str]
    next_step: Callable[[Case], str]
    looks_at: Callable[[Case], Iterator[Evidence]] = _nothing
    affected: Callable[[Case], list[str] | None] = lambda c: None
    without_rates: bool = False  # decisive before the link's utilization is measured


def _uplink(c: Case) -> Iterator[Evidence]:
    if c.f.uplink_up is not None:
        yield Evidence("uplink", c.f.uplink_up, c.f.uplink_detail)


def _core(c: Case) -> Iterator[Evidence]:
    answers = "perangkat inti menjawab" if c.f.core_reachable else "perangkat inti tidak menjawab"
    yield Evidence("core", c.f.core_reachable, answers)


def _own_path(c: Case) -> Iterator[Evidence]:
    """The other OPDs, then this OPD's path: its data-center port, its history, the route, the CPE's WAN."""
    f, mine, link, down = c.f, c.mine, c.link, c.down
    if c.widespread:
        # many OPDs at once while the core and the uplink answer: grouped, but this OPD's own path decides
        yield Evidence(
            "other-opds",
            False,
            f"{len(down)} dari {len(f.links)} OPD terganggu bersamaan ({', '.join(down)}); perangkat inti dan "
            "uplink menjawab, jadi jalur OPD ini sendiri yang menentukan",
        )
    else:
        yield Evidence("other-opds", True, f"OPD lain normal; yang terganggu: {', '.join(down) or 'tidak ada'}")
    port = "up" if mine.port_up else "down" if mine.port_up is False else "tidak diketahui"
    since = "" if mine.last_change_s is None else f", status berubah {_ago(mine.last_change_s)} lalu"
    yield Evidence("dc-port", mine.port_up, f"port pusat data {link.dc.device}:{link.dc.interface} {port}{since}")
    if f.flaps_24h is not None:
        yield Evidence("flaps", f.flaps_24h == 0, f"jalur putus {f.flaps_24h} kali dalam 24 jam terakhir")
    if f.outage_start is not None:
        yield Evidence("outage-start", None, f"gangguan tercatat sejak {f.outage_start:%Y-%m-%d %H:%M:%S %Z}")
    if mine.errors_grown is not None:
        yield Evidence(
            "dc-port-errors",
            mine.errors_grown == 0,
            f"galat/paket dibuang di port selama jendela ukur: {mine.errors_grown}",
        )
    if f.path is not None:
        hops = " → ".join(a or "*" for _, a in f.path) or "tidak ada jawaban"
        reached = bool(f.path) and f.path[-1][1] == f.path_target
        yield Evidence("path", reached, f"traceroute ke {f.path_target}: {hops}" + ("" if reached else " (berhenti)"))
    rtt = f", RTT {mine.wan_rtt * 1000:.1f} ms" if mine.wan_rtt is not None else ""
    yield Evidence(
        "wan-icmp", (mine.wan_loss or 0) < c.t.loss_degraded, f"ICMP ke WAN CPE: loss {_pct(mine.wan_loss)}{rtt}"
    )


def _utilization(c: Case) -> Iterator[Evidence]:
    yield Evidence(
        "utilization",
        (c.mine.utilization or 0) < c.t.saturation_ratio,
        f"utilisasi {_pct(c.mine.utilization)} dari langganan {c.link.subscribed_mbps} Mbit/s",
    )


def _rtt_baseline(c: Case) -> Iterator[Evidence]:
    if c.mine.rtt_baseline is not None:
        yield Evidence("rtt-baseline", not c.slow, f"RTT dasar jalur {c.mine.rtt_baseline * 1000:.1f} ms")


def _opd_router(c: Case) -> Iterator[Evidence]:
    f = c.f
    yield Evidence(
        "lan-gateway", (c.mine.lan_loss or 0) < 1.0, f"ICMP ke gateway LAN OPD: loss {_pct(c.mine.lan_loss)}"
    )
    yield Evidence(
        "cpe-snmp", f.cpe_snmp, "router OPD menjawab SNMP" if f.cpe_snmp else "router OPD tidak menjawab SNMP"
    )
    if f.cpe_ssh is not None:
        yield Evidence("cpe-ssh", f.cpe_ssh, f.cpe_ssh_detail)


def _uptime(c: Case) -> Iterator[Evidence]:
    if c.f.cpe_uptime_s is not None:
        up = c.f.cpe_uptime_s
        yield Evidence("cpe-uptime", up >= JUST_REBOOTED_S, f"router OPD menyala {up:.0f} detik")


def _services(c: Case) -> Iterator[Evidence]:
    f = c.f
    yield Evidence("dns", f.dns_ok, f.dns_detail)
    down = ", ".join(f.servers_down) + " tidak menjawab" if f.servers_down else "semua menjawab"
    yield Evidence("servers", not f.servers_down, "server OPD: " + down)


def _changes(c: Case) -> Iterator[Evidence]:
    for change in c.f.recent_changes:
        yield Evidence("recent-change", None, change)


def _p95(c: Case) -> str:
    p95 = c.f.month_p95_bps
    if p95 is None:
        return "persentil ke-95 bulan ini belum ada data"
    share = p95 / (c.link.subscribed_mbps * 1e6)
    return f"persentil ke-95 bulan ini {p95 / 1e6:.1f} Mbit/s ({share:.0%} dari langganan)"


def _full(c: Case) -> bool:
    return c.mine.utilization is not None and c.mine.utilization >= c.t.saturation_ratio


# The table, widest cause first; the order is the logic (a full link drops probes too, so congestion comes
# before loss; a silent core explains every cut port, so it comes before this OPD's own port).
RULES: tuple[Rule, ...] = (
    Rule(
        "upstream-cut",
        looks_at=_uplink,
        when=lambda c: c.f.uplink_up is False,
        verdict=Verdict.UPSTREAM,
        summary=lambda c: (
            f"{len(c.f.links)} OPD terdampak; penyebab: jalur upstream pusat data putus ({c.f.uplink_detail})"
        ),
        next_step=lambda c: "Langkah 4 SOP 15: hubungi penyedia upstream; keluhan OPD digabung di bawah gangguan ini",
        affected=lambda c: sorted(lf.opd for lf in c.f.links.values()),
        without_rates=True,
    ),
    Rule(
        "core-silent",
        looks_at=_core,
        when=lambda c: c.f.core_reachable is False,
        verdict=Verdict.DATACENTER_CORE,
        summary=lambda c: f"{len(c.down)} OPD terdampak; penyebab di perangkat inti pusat data",
        next_step=lambda c: (
            "Langkah 3 SOP 15: periksa perangkat inti di pusat data; keluhan OPD digabung di bawah gangguan ini"
        ),
        affected=lambda c: c.down or [c.f.opd],
        without_rates=True,
    ),
    Rule(
        "port-down",
        looks_at=_own_path,
        when=lambda c: c.mine.port_up is False,
        verdict=Verdict.CIRCUIT_DOWN,
        summary=lambda c: f"jalur {c.link.name} putus: port pusat data down",
        next_step=lambda c: f"Langkah 4 SOP 15: tanyakan ke OPD apakah router menyala; {c.escalate} dengan paket bukti",
        without_rates=True,
    ),
    Rule(
        "link-full",
        looks_at=_utilization,
        when=_full,
        verdict=Verdict.CONGESTION,
        summary=lambda c: f"jalur {c.link.name} penuh: {_pct(c.mine.utilization)} dari {c.link.subscribed_mbps} Mbit/s",
        next_step=lambda c: f"SOP 13: tinjau kebutuhan bandwidth OPD ({_p95(c)}); cari pemakai terbesar di LAN OPD",
    ),
    Rule(
        "circuit-silent",
        when=lambda c: c.mine.wan_loss is not None and c.mine.wan_loss >= 1.0,
        verdict=Verdict.CIRCUIT_DOWN,
        summary=lambda c: f"jalur {c.link.name} tidak meneruskan lalu lintas: port up, loss 100 %",
        next_step=lambda c: f"Langkah 4 SOP 15: tanyakan ke OPD apakah router menyala; {c.escalate} dengan paket bukti",
    ),
    Rule(
        "link-degraded",
        looks_at=_rtt_baseline,
        when=lambda c: (c.mine.wan_loss or 0) >= c.t.loss_degraded or c.slow,
        verdict=Verdict.PROVIDER_LINK_DEGRADED,
        summary=lambda c: f"jalur {c.link.name} menurun: loss {_pct(c.mine.wan_loss)}, tidak penuh",
        next_step=lambda c: (
            f"Langkah 4 SOP 15: {c.escalate.removeprefix('jika ada, ')} dengan paket bukti (loss, RTT, waktu mulai)"
        ),
    ),
    Rule(
        "opd-lan-dead",
        looks_at=_opd_router,
        when=lambda c: c.mine.lan_loss is not None and c.mine.lan_loss >= 1.0,
        verdict=Verdict.OPD_SIDE,
        summary=lambda c: "router OPD menjawab lewat jalur WAN, tetapi LAN OPD mati",
        next_step=lambda c: "Langkah 3 SOP 15: kirim teknisi ke OPD (switch/kabel LAN, listrik)",
    ),
    Rule(
        "cpe-rebooted",
        looks_at=_uptime,
        when=lambda c: c.f.cpe_uptime_s is not None and c.f.cpe_uptime_s < JUST_REBOOTED_S,
        verdict=Verdict.OPD_SIDE,
        summary=lambda c: f"router OPD baru menyala ulang ({c.f.cpe_uptime_s:.0f} detik): listrik?",
        next_step=lambda c: "Langkah 3 SOP 15: tanyakan listrik/UPS di OPD; kirim teknisi bila berulang",
    ),
    Rule(
        "service-down",
        looks_at=_services,
        when=lambda c: c.f.dns_ok is False or bool(c.f.servers_down),
        verdict=Verdict.DNS_OR_SERVICE,
        summary=lambda c: (
            "jaringan normal; layanan bermasalah: "
            + (c.f.dns_detail if c.f.dns_ok is False else f"server {', '.join(c.f.servers_down)} tidak menjawab")
        ),
        next_step=lambda c: "Langkah 3 SOP 15: periksa layanan DNS/server di pusat data",
    ),
    Rule(
        "no-fault",
        looks_at=_changes,
        when=lambda c: True,
        verdict=Verdict.NO_FAULT_FOUND,
        summary=lambda c: "tidak ditemukan gangguan: semua pemeriksaan lulus",
        next_step=lambda c: (
            "Langkah 8 SOP 15: laporkan ke OPD bahwa jaringan normal; minta detail (aplikasi, waktu, pengguna)"
        ),
    ),
)


def judge(inv: Inventory, f: TriageFacts, t: HealthThresholds = DEFAULT_THRESHOLDS) -> tuple[Rule, Diagnosis]:
    """The first rule of :data:`RULES` that holds for ``f.opd``, and its diagnosis."""
    link = inv.link_of(f.opd)
    mine = f.links[link.name]
    down = sorted(lf.opd for lf in f.links.values() if lf.port_up is False or (lf.wan_loss or 0) >= 1.0)
    case = Case(f, t, link, mine, down)
    evidence: list[Evidence] = []
    for rule in RULES:
        evidence += rule.looks_at(case)
        if rule.when(case):
            break
    if not f.rates_measured:
        evidence.append(Evidence("utilization", None, "tidak diukur: putusan sudah pasti tanpa jendela SNMP"))
    provider = {"provider": link.provider, "circuit_id": link.circuit_id, "contact": link.provider_contact}
    affected = rule.affected(case) or case.grouped or [f.opd]
    pack = evidence_pack(link, mine, f)
    return rule, Diagnosis(
        f.opd, rule.verdict, rule.summary(case), rule.next_step(case), evidence, affected, provider, pack
    )


def decide(inv: Inventory, f: TriageFacts, t: HealthThresholds = DEFAULT_THRESHOLDS) -> Diagnosis:
    """The verdict for ``f.opd``: the widest cause that explains the facts, with SOP 15's next step."""
    return judge(inv, f, t)[1]


def decisive_without_rates(
    inv: Inventory, f: TriageFacts, t: HealthThresholds = DEFAULT_THRESHOLDS
) -> Diagnosis | None:
    """The verdict, when the facts decide it before the link's utilization is looked at (upstream, the core,
    or this link's port down), so triage can stop without waiting for the SNMP rate window; else None."""
    rule, diagnosis = judge(inv, f, t)
    return diagnosis if rule.without_rates else None
