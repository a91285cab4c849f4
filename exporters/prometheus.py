"""Prometheus exposition of the agent's latest snapshot: a custom collector, fresh families per scrape.

A value that could not be collected this round is absent, never a stale or zero number; the
``*_up`` gauges say whether collection worked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.health import LinkState
from core.snapshot import Snapshot

LINK_LABELS = ["opd", "link", "device", "interface", "provider"]
PROBE_LABELS = ["target", "address", "kind", "opd"]


class BuildInfoCollector(Collector):
    """``pantau_build_info{version, python}`` 1, as Prometheus exporters expose their build."""

    def __init__(self, version: str, python: str) -> None:
        self.labels = [version, python]

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("pantau_build_info", "pantau's version; always 1.", labels=["version", "python"])
        info.add_metric(self.labels, 1)
        yield info


class SnapshotCollector(Collector):
    """Renders whatever snapshot ``source`` returns at scrape time."""

    def __init__(self, source: Callable[[], Snapshot]) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        snap = self.source()
        yield from _links(snap)
        yield from _probes(snap)
        yield from _devices(snap)
        yield from _collectors(snap)
        yield from _ipam(snap)
        yield from _maintenance(snap)
        yield from _tickets(snap)


def _links(snap: Snapshot) -> Iterator[Metric]:
    rx_bytes = CounterMetricFamily(
        "pantau_link_receive_bytes", "Octets received at the data-center port (device counter).", labels=LINK_LABELS
    )
    tx_bytes = CounterMetricFamily(
        "pantau_link_transmit_bytes", "Octets sent towards the OPD (device counter).", labels=LINK_LABELS
    )
    rx_bps = GaugeMetricFamily(
        "pantau_link_receive_bits_per_second",
        "Checked rate from the OPD over the last poll interval.",
        labels=LINK_LABELS,
    )
    tx_bps = GaugeMetricFamily(
        "pantau_link_transmit_bits_per_second",
        "Checked rate towards the OPD over the last poll interval.",
        labels=LINK_LABELS,
    )
    sub = GaugeMetricFamily(
        "pantau_link_subscribed_bits_per_second", "Bandwidth subscribed from the provider.", labels=LINK_LABELS
    )
    util = GaugeMetricFamily(
        "pantau_link_utilization_ratio", "Rate over the subscribed bandwidth.", labels=[*LINK_LABELS, "direction"]
    )
    errors = CounterMetricFamily(
        "pantau_link_errors",
        "Interface errors at the data-center port (device counter).",
        labels=[*LINK_LABELS, "direction"],
    )
    oper = GaugeMetricFamily(
        "pantau_link_oper_up", "1 if the data-center port is operationally up.", labels=LINK_LABELS
    )
    state = GaugeMetricFamily(
        "pantau_link_state",
        "Link health: 1 for the current state; cause groups outages (none, link, datacenter-core).",
        labels=[*LINK_LABELS, "state", "cause"],
    )
    reason = GaugeMetricFamily(
        "pantau_link_state_reason", "Why the link is not up: one series per reason.", labels=[*LINK_LABELS, "reason"]
    )
    missing = GaugeMetricFamily(
        "pantau_link_interface_missing",
        "1 if the data-center device answered but has no interface of the inventory's name.",
        labels=LINK_LABELS,
    )
    for link in snap.links:
        labels = [link.opd, link.name, link.device, link.interface, link.provider]
        sub.add_metric(labels, link.subscribed_bps)
        missing.add_metric(labels, 1.0 if link.interface_missing else 0.0)
        for s in LinkState:
            state.add_metric([*labels, s.value, link.cause], 1.0 if s is link.state else 0.0)
        for why in link.reasons:
            reason.add_metric([*labels, why], 1.0)
        if link.oper_up is not None:
            oper.add_metric(labels, 1.0 if link.oper_up else 0.0)
        if link.receive_bytes is not None:
            rx_bytes.add_metric(labels, link.receive_bytes)
        if link.transmit_bytes is not None:
            tx_bytes.add_metric(labels, link.transmit_bytes)
        for direction, bps, fam in (("receive", link.receive_bps, rx_bps), ("transmit", link.transmit_bps, tx_bps)):
            if bps is not None:
                fam.add_metric(labels, bps)
                util.add_metric([*labels, direction], bps / link.subscribed_bps)
        for direction, value in (("receive", link.receive_errors), ("transmit", link.transmit_errors)):
            if value is not None:
                errors.add_metric([*labels, direction], value)
    yield from (rx_bytes, tx_bytes, rx_bps, tx_bps, sub, util, errors, oper, state, reason, missing)


def _probes(snap: Snapshot) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "pantau_probe_up", "1 if the target answered at least one echo request this round.", labels=PROBE_LABELS
    )
    rtt = GaugeMetricFamily(
        "pantau_probe_rtt_seconds", "Round-trip time of this round's replies.", labels=[*PROBE_LABELS, "stat"]
    )
    jitter = GaugeMetricFamily(
        "pantau_probe_jitter_seconds", "Mean difference of consecutive RTTs.", labels=PROBE_LABELS
    )
    loss = GaugeMetricFamily(
        "pantau_probe_loss_ratio", "Share of echo requests without reply this round.", labels=PROBE_LABELS
    )
    for probe in snap.probes:
        if probe.result is None:
            continue
        labels = [probe.target, probe.address, probe.kind, probe.opd]
        r = probe.result
        up.add_metric(labels, 1.0 if r.received else 0.0)
        loss.add_metric(labels, r.loss_ratio)
        for stat, value in (("min", r.rtt_min), ("avg", r.rtt_avg), ("max", r.rtt_max)):
            if value is not None:
                rtt.add_metric([*labels, stat], value)
        if r.jitter is not None:
            jitter.add_metric(labels, r.jitter)
    yield from (up, rtt, jitter, loss)


def _devices(snap: Snapshot) -> Iterator[Metric]:
    up = GaugeMetricFamily("pantau_device_up", "1 if the device answered SNMP this round.", labels=["device"])
    uptime = GaugeMetricFamily(
        "pantau_device_uptime_seconds", "sysUpTime of the device's SNMP agent.", labels=["device"]
    )
    for device in snap.devices:
        up.add_metric([device.name], 1.0 if device.up else 0.0)
        if device.uptime_seconds is not None:
            uptime.add_metric([device.name], device.uptime_seconds)
    yield from (up, uptime)


def _collectors(snap: Snapshot) -> Iterator[Metric]:
    duration = GaugeMetricFamily(
        "pantau_collector_duration_seconds", "Duration of the collector's last run.", labels=["collector"]
    )
    for name, seconds in snap.collector_seconds.items():
        duration.add_metric([name], seconds)
    errors = CounterMetricFamily(
        "pantau_collector_errors", "Collector failures by reason.", labels=["collector", "reason"]
    )
    for (collector, reason), count in snap.collector_errors.items():
        errors.add_metric([collector, reason], count)
    discarded = CounterMetricFamily(
        "pantau_rate_samples_discarded", "Rate intervals discarded, by reason.", labels=["reason"]
    )
    for reason, count in snap.discarded.items():
        discarded.add_metric([reason], count)
    last = GaugeMetricFamily(
        "pantau_last_successful_poll_timestamp_seconds",
        "When the collector's last complete round ended (Unix time).",
        labels=["collector"],
    )
    for name, at in snap.last_success.items():
        last.add_metric([name], at)
    yield from (duration, errors, discarded, last)
    if snap.store_up is not None:
        yield GaugeMetricFamily(
            "pantau_store_up",
            "1 if the store answered the agent's last read or write in time.",
            value=int(snap.store_up),
        )


def _ipam(snap: Snapshot) -> Iterator[Metric]:
    if not snap.ipam:
        return
    family = GaugeMetricFamily(
        "pantau_ipam_addresses",
        "Assignable addresses of a server or public prefix by state (reserved = gateway, ranges, statics).",
        labels=["prefix", "network", "state"],
    )
    for view in snap.ipam:
        for state in ("used", "free", "reserved", "conflict"):
            family.add_metric([view.prefix, view.network, state], getattr(view, state))
    yield family


def _maintenance(snap: Snapshot) -> Iterator[Metric]:
    if not snap.maintenance:
        return
    last = GaugeMetricFamily(
        "pantau_maintenance_last_run_timestamp_seconds",
        "When the latest periodic maintenance covering this location (OPD or pusat-data) finished.",
        labels=["opd"],
    )
    findings = GaugeMetricFamily(
        "pantau_maintenance_findings", "Findings of that maintenance run by severity.", labels=["opd", "severity"]
    )
    for view in snap.maintenance:
        last.add_metric([view.location], view.finished_at)
        for severity in ("warn", "fail"):
            findings.add_metric([view.location, severity], view.findings.get(severity, 0))
    yield last
    yield findings


def _tickets(snap: Snapshot) -> Iterator[Metric]:
    if snap.tickets_open:
        family = GaugeMetricFamily("pantau_tickets_open", "SOP 15 outage tickets not yet resolved.", labels=["opd"])
        for opd, n in sorted(snap.tickets_open.items()):
            family.add_metric([opd], n)
        yield family
    breaches = CounterMetricFamily(
        "pantau_ticket_sla_breaches", "Ticket steps that took longer than their SOP 15 allowance.", labels=["step"]
    )
    for step, n in sorted(snap.ticket_breaches.items()):
        breaches.add_metric([step], n)
    yield breaches
