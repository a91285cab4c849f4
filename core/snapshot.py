"""The latest view of the network the agent holds in memory; exporters render it, never compute it."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Protocol

from core.health import LinkState
from core.rates import share, utilization
from inventory.ipam import usage
from inventory.models import Inventory, Purpose


@dataclass(frozen=True)
class LinkView:
    """One OPD link, measured at its data-center port (receive = from the OPD, transmit = to it)."""

    name: str
    opd: str
    provider: str
    device: str
    interface: str
    subscribed_bps: int
    state: LinkState
    reasons: tuple[str, ...] = ()
    oper_up: bool | None = None
    receive_bytes: int | None = None
    transmit_bytes: int | None = None
    receive_bps: float | None = None
    transmit_bps: float | None = None
    receive_errors: int | None = None
    transmit_errors: int | None = None
    cause: str = "none"  # none | link | datacenter-core (see core.health.link_causes)
    interface_missing: bool = False  # the device answered, but has no interface of the inventory's name

    def utilization(self, bps: float | None) -> float | None:
        """One direction's rate as a share of the subscription (:func:`core.rates.share`)."""
        return share(bps, self.subscribed_bps)

    def peak_utilization(self) -> float | None:
        """The higher direction's share of the subscription (:func:`core.rates.utilization`)."""
        return utilization((self.receive_bps, self.transmit_bps), self.subscribed_bps)


class ProbeStats(Protocol):
    """What the exporter reads of one ICMP round (the collectors' ``ProbeResult`` has this shape; the core
    names the shape, not the collector)."""

    @property
    def sent(self) -> int: ...
    @property
    def received(self) -> int: ...
    @property
    def loss_ratio(self) -> float: ...
    @property
    def rtt_min(self) -> float | None: ...
    @property
    def rtt_avg(self) -> float | None: ...
    @property
    def rtt_max(self) -> float | None: ...
    @property
    def jitter(self) -> float | None: ...


@dataclass(frozen=True)
class ProbeView:
    """An ICMP probe target: an OPD's CPE WAN address or LAN gateway, or a server."""

    target: str
    address: str
    kind: str  # cpe-wan | lan-gateway | server
    opd: str = ""
    result: ProbeStats | None = None


@dataclass(frozen=True)
class DeviceView:
    name: str
    up: bool
    uptime_seconds: float | None = None
    error: str | None = None
    opd: str = ""  # the OPD a CPE serves; empty for the data center's devices
    reason: str | None = None  # why it is down, as pantau_collector_errors_total counts it (timeout, secret…)


@dataclass(frozen=True)
class IpamView:
    """Address counts of one prefix the playbooks allocate from."""

    prefix: str
    network: str
    used: int
    free: int
    reserved: int
    conflict: int


@dataclass(frozen=True)
class MaintenanceView:
    """The latest maintenance run that covered a location, and its findings by severity."""

    location: str
    finished_at: float
    findings: dict[str, int]  # warn / fail -> count


@dataclass(frozen=True)
class Snapshot:
    timestamp: float = 0.0
    links: tuple[LinkView, ...] = ()
    probes: tuple[ProbeView, ...] = ()
    devices: tuple[DeviceView, ...] = ()
    collector_seconds: dict[str, float] = field(default_factory=dict)
    collector_errors: dict[tuple[str, str], int] = field(default_factory=dict)
    discarded: dict[str, int] = field(default_factory=dict)
    ipam: tuple[IpamView, ...] = ()
    maintenance: tuple[MaintenanceView, ...] = ()
    tickets_open: dict[str, int] = field(default_factory=dict)  # OPD -> open tickets
    ticket_breaches: dict[str, int] = field(default_factory=dict)  # SOP 15 step -> breaches so far
    last_success: dict[str, float] = field(default_factory=dict)  # collector -> end of its last complete round
    store_up: bool | None = None  # None: the agent runs without a store
    #: agents sharing the store (cluster.enabled): this one's name, the live agents, the devices it polls
    cluster: tuple[str, int, int] | None = None
    cluster_links: tuple[tuple[str, str], ...] = ()  # among agents sharing the store: (OPD, link) of every link
    device_polls: dict[str, int] = field(default_factory=dict)  # device -> polls this agent made of it
    tickets_overdue: dict[tuple[str, str], int] = field(default_factory=dict)  # (OPD, step) -> open tickets late


def ipam_views(
    inventory: Inventory, live: list[tuple[str, str]], open_conflicts: list[tuple[str, str]]
) -> tuple[IpamView, ...]:
    """Address counts of the server and public prefixes, from the (prefix, address) pairs live in the store
    and those in conflict."""
    views = []
    for prefix in inventory.prefixes:
        if prefix.purpose not in (Purpose.SERVER, Purpose.PUBLIC):
            continue
        used = {ip_address(a) for p, a in live if p == prefix.name}
        conflicts = {ip_address(a) for p, a in open_conflicts if p == prefix.name}
        u = usage(prefix, used, conflicts)
        views.append(IpamView(prefix.name, u.network, u.used, u.free, u.reserved, u.conflict))
    return tuple(views)
