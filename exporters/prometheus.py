"""Prometheus exposition of the agent's latest snapshot, rendered fresh at each scrape.

A value that could not be collected this round is absent, never a stale or zero number; the
``*_up`` gauges say whether collection worked.

A fleet's snapshot is tens of thousands of series. Through prometheus_client's metric families and its
generic exposition (a sample object, label-name validation and escaping for every series) one scrape of
1,000 links and 2,000 probe targets cost 0.35 s of CPU, more than polling them. So the snapshot is written
in the text format (0.0.4) directly: each link's and target's label text is built once, each series is
one line, and numbers are formatted by prometheus_client (``floatToGoString``). prometheus_client serves
the process and build metrics, and its parser reads this output back in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from core.health import LinkState
from core.snapshot import LinkView, Snapshot

LINK_LABELS = ("opd", "link", "device", "interface", "provider")
PROBE_LABELS = ("target", "address", "kind", "opd")
_STATES = tuple(LinkState)


class BuildInfoCollector(Collector):
    """``pantau_build_info{version, python}`` 1, as Prometheus exporters expose their build."""

    def __init__(self, version: str, python: str) -> None:
        self.labels = [version, python]

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("pantau_build_info", "pantau's version; always 1.", labels=["version", "python"])
        info.add_metric(self.labels, 1)
        yield info


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def label_text(pairs: tuple[tuple[str, str], ...]) -> str:
    """``{name="value",...}``, values escaped as the text format wants (backslash, quote, newline)."""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _with(labels: str, name: str, value: str) -> str:
    """``labels`` with one more pair."""
    return f'{labels[:-1]},{name}="{_escape(value)}"}}'


class _Family:
    """One metric family: its header and its sample lines."""

    __slots__ = ("exposed", "header", "lines")

    def __init__(self, name: str, kind: str, documentation: str) -> None:
        self.exposed = name + "_total" if kind == "counter" else name
        text = documentation.replace("\\", "\\\\").replace("\n", "\\n")
        self.header = f"# HELP {self.exposed} {text}\n# TYPE {self.exposed} {kind}\n"
        self.lines: list[str] = []

    def add(self, labels: str, value: float) -> None:
        self.lines.append(f"{self.exposed}{labels} {floatToGoString(value)}\n")  # type: ignore[no-untyped-call]


def _gauge(name: str, documentation: str) -> _Family:
    return _Family(name, "gauge", documentation)


def _counter(name: str, documentation: str) -> _Family:
    return _Family(name, "counter", documentation)


#: the rates' names before 0.2.0, in bits (Prometheus' base unit is bytes, so ``promtool check metrics``
#: refuses them): still exposed beside the new names in 0.2.x unless ``deprecated_metrics: false``
DEPRECATED_BITS = {
    "pantau_link_receive_bytes_per_second": "pantau_link_receive_bits_per_second",
    "pantau_link_transmit_bytes_per_second": "pantau_link_transmit_bits_per_second",
    "pantau_link_subscribed_bytes_per_second": "pantau_link_subscribed_bits_per_second",
}


class SnapshotRenderer:
    """Renders snapshots; keeps the label text of each link and target it has seen. With ``deprecated``,
    the rates are exposed under their pre-0.2.0 names in bits too (:data:`DEPRECATED_BITS`)."""

    def __init__(self, deprecated: bool = True) -> None:
        self._labels: dict[tuple[str, ...], str] = {}
        self.deprecated = deprecated

    def labels(self, names: tuple[str, ...], values: tuple[str, ...]) -> str:
        text = self._labels.get(values)
        if text is None:
            if len(self._labels) > 100_000:  # links and targets change with the inventory: bounded all the same
                self._labels.clear()
            text = self._labels[values] = label_text(tuple(zip(names, values, strict=True)))
        return text

    def render(self, snap: Snapshot) -> str:
        families = [
            *self._links(snap),
            *self._probes(snap),
            *_devices(snap),
            *_collectors(snap),
            *_ipam(snap),
            *_maintenance(snap),
            *_tickets(snap),
        ]
        return "".join([part for f in families for part in (f.header, *f.lines)])

    def _links(self, snap: Snapshot) -> list[_Family]:
        rx_bytes = _counter("pantau_link_receive_bytes", "Octets received at the data-center port (device counter).")
        tx_bytes = _counter("pantau_link_transmit_bytes", "Octets sent towards the OPD (device counter).")
        rx_rate = _gauge(
            "pantau_link_receive_bytes_per_second", "Checked rate from the OPD over the last poll interval."
        )
        tx_rate = _gauge(
            "pantau_link_transmit_bytes_per_second", "Checked rate towards the OPD over the last poll interval."
        )
        sub = _gauge("pantau_link_subscribed_bytes_per_second", "Bandwidth subscribed from the provider.")
        rates = (rx_rate, tx_rate, sub)
        in_bits = [_gauge(DEPRECATED_BITS[f.exposed], f"DEPRECATED, removed in 0.3.0: {f.exposed} x 8.") for f in rates]
        util = _gauge("pantau_link_utilization_ratio", "Rate over the subscribed bandwidth.")
        errors = _counter("pantau_link_errors", "Interface errors at the data-center port (device counter).")
        oper = _gauge("pantau_link_oper_up", "1 if the data-center port is operationally up.")
        state = _gauge(
            "pantau_link_state",
            "Link health: 1 for the current state; cause groups outages (none, link, datacenter-core).",
        )
        reason = _gauge("pantau_link_state_reason", "Why the link is not up: one series per reason.")
        missing = _gauge(
            "pantau_link_interface_missing",
            "1 if the data-center device answered but has no interface of the inventory's name.",
        )
        for link in snap.links:
            labels = self.labels(LINK_LABELS, (link.opd, link.name, link.device, link.interface, link.provider))
            for family, old, bps in zip(
                rates, in_bits, (link.receive_bps, link.transmit_bps, link.subscribed_bps), strict=True
            ):
                if bps is not None:
                    family.add(labels, bps / 8)
                    old.add(labels, bps)
            missing.add(labels, 1.0 if link.interface_missing else 0.0)
            cause = _escape(link.cause)
            for s in _STATES:
                state.add(f'{labels[:-1]},state="{s.value}",cause="{cause}"}}', 1.0 if s is link.state else 0.0)
            for why in link.reasons:
                reason.add(_with(labels, "reason", why), 1.0)
            if link.oper_up is not None:
                oper.add(labels, 1.0 if link.oper_up else 0.0)
            if link.receive_bytes is not None:
                rx_bytes.add(labels, link.receive_bytes)
            if link.transmit_bytes is not None:
                tx_bytes.add(labels, link.transmit_bytes)
            _ratios(link, labels, util, errors)
        return [rx_bytes, tx_bytes, *rates, *(in_bits if self.deprecated else ()), util, errors, oper, state, reason,
                missing]  # fmt: skip

    def _probes(self, snap: Snapshot) -> list[_Family]:
        up = _gauge("pantau_probe_up", "1 if the target answered at least one echo request this round.")
        rtt = _gauge("pantau_probe_rtt_seconds", "Round-trip time of this round's replies.")
        jitter = _gauge("pantau_probe_jitter_seconds", "Mean difference of consecutive RTTs.")
        loss = _gauge("pantau_probe_loss_ratio", "Share of echo requests without reply this round.")
        for probe in snap.probes:
            r = probe.result
            if r is None:
                continue
            labels = self.labels(PROBE_LABELS, (probe.target, probe.address, probe.kind, probe.opd))
            up.add(labels, 1.0 if r.received else 0.0)
            loss.add(labels, r.loss_ratio)
            for stat, value in (("min", r.rtt_min), ("avg", r.rtt_avg), ("max", r.rtt_max)):
                if value is not None:
                    rtt.add(f'{labels[:-1]},stat="{stat}"}}', value)
            if r.jitter is not None:
                jitter.add(labels, r.jitter)
        return [up, rtt, jitter, loss]


def _ratios(link: LinkView, labels: str, util: _Family, errors: _Family) -> None:
    for direction, bps in (("receive", link.receive_bps), ("transmit", link.transmit_bps)):
        if bps is not None:
            ratio = link.utilization(bps)
            if ratio is not None:
                util.add(f'{labels[:-1]},direction="{direction}"}}', ratio)
    for direction, value in (("receive", link.receive_errors), ("transmit", link.transmit_errors)):
        if value is not None:
            errors.add(f'{labels[:-1]},direction="{direction}"}}', value)


def _devices(snap: Snapshot) -> list[_Family]:
    up = _gauge("pantau_device_up", "1 if the device answered SNMP this round.")
    uptime = _gauge("pantau_device_uptime_seconds", "sysUpTime of the device's SNMP agent.")
    for device in snap.devices:
        labels = label_text((("device", device.name), ("opd", device.opd)))
        up.add(labels, 1.0 if device.up else 0.0)
        if device.uptime_seconds is not None:
            uptime.add(labels, device.uptime_seconds)
    polls = _counter("pantau_device_polls", "SNMP polls this agent made of the device, answered or not.")
    for name, count in sorted(snap.device_polls.items()):
        polls.add(label_text((("device", name),)), count)
    return [up, uptime, polls]


def _collectors(snap: Snapshot) -> list[_Family]:
    duration = _gauge("pantau_collector_duration_seconds", "Duration of the collector's last run.")
    for name, seconds in snap.collector_seconds.items():
        duration.add(label_text((("collector", name),)), seconds)
    errors = _counter("pantau_collector_errors", "Collector failures by reason.")
    for (collector, reason), count in snap.collector_errors.items():
        errors.add(label_text((("collector", collector), ("reason", reason))), count)
    discarded = _counter("pantau_rate_samples_discarded", "Rate intervals discarded, by reason.")
    for reason, count in snap.discarded.items():
        discarded.add(label_text((("reason", reason),)), count)
    last = _gauge(
        "pantau_last_successful_poll_timestamp_seconds", "When the collector's last complete round ended (Unix time)."
    )
    for name, at in snap.last_success.items():
        last.add(label_text((("collector", name),)), at)
    out = [duration, errors, discarded, last]
    if snap.store_up is not None:
        store = _gauge("pantau_store_up", "1 if the store answered the agent's last read or write in time.")
        store.add("", int(snap.store_up))
        out.append(store)
    if snap.cluster is not None:
        agent, members, devices = snap.cluster
        labels = label_text((("agent", agent),))
        alive = _gauge("pantau_cluster_members", "Agents whose heartbeat in the shared store is fresh.")
        alive.add(labels, members)
        owned = _gauge("pantau_agent_devices", "Devices this agent polls: its share among the live agents.")
        owned.add(labels, devices)
        links = _gauge(
            "pantau_cluster_link_info",
            "Every link of the inventory, from each agent sharing the store; one with no pantau_link_state "
            "from any agent is polled by none.",
        )
        for opd, link in snap.cluster_links:
            links.add(label_text((("opd", opd), ("link", link))), 1)
        out += [alive, owned, links]
    return out


def _ipam(snap: Snapshot) -> list[_Family]:
    if not snap.ipam:
        return []
    family = _gauge(
        "pantau_ipam_addresses",
        "Assignable addresses of a server or public prefix by state (reserved = gateway, ranges, statics).",
    )
    for view in snap.ipam:
        for state in ("used", "free", "reserved", "conflict"):
            labels = label_text((("prefix", view.prefix), ("network", view.network), ("state", state)))
            family.add(labels, getattr(view, state))
    return [family]


def _maintenance(snap: Snapshot) -> list[_Family]:
    if not snap.maintenance:
        return []
    last = _gauge(
        "pantau_maintenance_last_run_timestamp_seconds",
        "When the latest periodic maintenance covering this location (OPD or pusat-data) finished.",
    )
    findings = _gauge("pantau_maintenance_findings", "Findings of that maintenance run by severity.")
    for view in snap.maintenance:
        last.add(label_text((("opd", view.location),)), view.finished_at)
        for severity in ("warn", "fail"):
            findings.add(label_text((("opd", view.location), ("severity", severity))), view.findings.get(severity, 0))
    return [last, findings]


def _tickets(snap: Snapshot) -> list[_Family]:
    out = []
    if snap.tickets_open:
        family = _gauge("pantau_tickets_open", "SOP 15 outage tickets not yet resolved.")
        for opd, n in sorted(snap.tickets_open.items()):
            family.add(label_text((("opd", opd),)), n)
        out.append(family)
    if snap.tickets_open:
        overdue = _gauge("pantau_tickets_overdue", "Open tickets whose next SOP 15 step is past its allowance now.")
        for (opd, step), n in sorted(snap.tickets_overdue.items()):
            overdue.add(label_text((("opd", opd), ("step", step))), n)
        out.append(overdue)
    breaches = _counter("pantau_ticket_sla_breaches", "Ticket steps that took longer than their SOP 15 allowance.")
    for step, n in sorted(snap.ticket_breaches.items()):
        breaches.add(label_text((("step", step),)), n)
    out.append(breaches)
    return out
