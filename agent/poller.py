"""The agent's state and jobs: poll SNMP, probe ICMP, turn samples into rates and health, keep the snapshot."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from ipaddress import ip_address

from agent.config import Config
from collectors.errors import CollectorError
from collectors.icmp import IcmpProber
from collectors.samples import DeviceSample, ProbeResult
from collectors.snmp import SnmpCollector
from core.health import HealthThresholds, LinkState, UtilizationPoint, link_causes, link_health
from core.rates import Reading, counter_rate
from core.rollup import RollupRow, Rollups
from core.snapshot import DeviceView, IpamView, LinkView, MaintenanceView, ProbeView, Snapshot
from core.topology import Target, probe_targets
from inventory.ipam import usage
from inventory.models import Device, Inventory, Purpose
from playbooks.effectors.notify import send
from store import links as link_store
from store import maintenance as maintenance_store
from store import status
from store import targets as target_store
from store.engine import Store
from store.errors import StoreError

log = logging.getLogger(__name__)
REBUILD_SECONDS = 0.5


class Agent:
    """Holds what the collectors saw and builds the snapshot the exporter renders."""

    def __init__(
        self, config: Config, inventory: Inventory, store: Store | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.inventory = inventory
        self.store = store
        self.clock = clock
        self.thresholds: HealthThresholds = config.health
        self.targets = probe_targets(inventory)
        self.snmp: SnmpCollector | None = None
        self.icmp: IcmpProber | None = None
        self.samples: dict[str, DeviceSample] = {}
        self.device_errors: dict[str, str] = {}
        self.readings: dict[tuple[str, str], tuple[Reading, Reading]] = {}
        self.rates: dict[str, tuple[float | None, float | None]] = {}
        self.utilization: dict[str, deque[UtilizationPoint]] = {}
        self.probes: dict[str, ProbeResult] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.discarded: Counter[str] = Counter()
        self.durations: dict[str, float] = {}
        self.rollups = Rollups()
        self.ipam: tuple[IpamView, ...] = ()
        self.maintenance: tuple[MaintenanceView, ...] = ()
        self.tickets: tuple[dict[str, int], dict[str, int]] = ({}, {})
        self.snapshot = Snapshot()
        self._device_slots = asyncio.Semaphore(config.poll.max_devices)

    def start(self) -> None:
        """Create the collectors inside the running event loop (one SNMP engine per loop)."""
        self.snmp = SnmpCollector(self.config.inventory, self.config.poll.snmp_timeout, self.config.poll.snmp_retries)
        self.icmp = IcmpProber(count=self.config.poll.icmp_count, timeout=self.config.poll.icmp_timeout)

    def close(self) -> None:
        if self.snmp is not None:
            self.snmp.close()
        if self.icmp is not None:
            self.icmp.close()

    # ---- jobs -----------------------------------------------------------------------------------
    async def poll_snmp(self) -> None:
        assert self.snmp is not None  # start() ran
        start = time.monotonic()
        devices = [d for d in self.inventory.devices if d.snmp is not None]
        # each device's result is taken as soon as it arrives: a silent device never delays the others
        # (the snapshot is rebuilt within REBUILD_SECONDS of a result, not once per device)
        loop = asyncio.get_running_loop()
        pending: list[asyncio.TimerHandle] = []
        for done in asyncio.as_completed([self._poll_one(d) for d in devices]):
            device, result = await done
            if isinstance(result, DeviceSample):
                self._take(device, result)
                self.device_errors.pop(device.name, None)
            else:
                self.samples.pop(device.name, None)
                self.device_errors[device.name] = str(result)
                self.errors[("snmp", result.reason)] += 1
            if not pending or pending[-1].when() <= loop.time():
                pending.append(loop.call_later(REBUILD_SECONDS, self.rebuild))
        for handle in pending:
            handle.cancel()
        self.durations["snmp"] = time.monotonic() - start
        self.rebuild()

    async def _poll_one(self, device: Device) -> tuple[Device, DeviceSample | CollectorError]:
        assert self.snmp is not None and device.snmp is not None
        async with self._device_slots:
            try:
                return device, await self.snmp.poll(device, self.inventory.snmp_profile(device.snmp))
            except CollectorError as exc:
                log.warning("%s", exc, extra={"device": device.name, "collector": "snmp"})
                return device, exc

    async def probe_icmp(self) -> None:
        assert self.icmp is not None
        start = time.monotonic()
        self.targets = self._all_targets()
        self.ipam = self._ipam()
        self.maintenance = self._maintenance()
        self.tickets = self._tickets()
        results = await self.icmp.probe([t.address for t in self.targets])
        self.probes.update(results)
        self.durations["icmp"] = time.monotonic() - start
        self.rebuild()

    def _all_targets(self) -> list[Target]:
        """The inventory's targets and the servers playbooks registered (read each round: no restart needed)."""
        targets = probe_targets(self.inventory)
        if self.store is None:
            return targets
        known = {t.name for t in targets}
        try:
            rows = target_store.all_targets(self.store)
        except StoreError as exc:
            log.warning("cannot read registered probe targets from the store: %s", exc)
            return [*targets, *(t for t in self.targets if t.name not in known)]
        return [*targets, *(Target(r.name, r.address, r.kind, r.opd or "") for r in rows if r.name not in known)]

    def _announce_changes(self, links: list[LinkView]) -> None:
        """Record link state changes in the store (the outage timeline triage quotes) and notify configured
        webhooks (in a thread: delivery never holds a poll)."""
        before = {v.name: v.state for v in self.snapshot.links}
        changed = [v for v in links if v.name in before and before[v.name] is not v.state]
        if changed and self.store is not None:
            at = datetime.fromtimestamp(self.clock(), UTC)
            rows = [
                link_store.StateChange(
                    v.name, v.opd, at, before[v.name].value, v.state.value, ",".join(v.reasons), v.cause
                )
                for v in changed
            ]
            try:
                link_store.add_changes(self.store, rows)
            except StoreError as exc:
                log.warning("cannot record link state changes in the store: %s", exc)
        notify = self.config.notify
        if not changed or not (notify.webhooks or notify.telegram):
            return
        for v in changed:
            payload = {
                "opd": v.opd,
                "link": v.name,
                "from": before[v.name].value,
                "to": v.state.value,
                "reasons": list(v.reasons),
                "cause": v.cause,
            }
            threading.Thread(
                target=send, args=(self.config, "link.state", payload, self.config.inventory), daemon=True
            ).start()

    def _ipam(self) -> tuple[IpamView, ...]:
        """Address counts of the server and public prefixes, from the inventory and the store's allocations."""
        if self.store is None:
            return self.ipam
        try:
            live, open_conflicts = status.addresses_in_use(self.store)
        except StoreError as exc:
            log.warning("cannot read IP allocations from the store: %s", exc)
            return self.ipam
        views = []
        for prefix in self.inventory.prefixes:
            if prefix.purpose not in (Purpose.SERVER, Purpose.PUBLIC):
                continue
            used = {ip_address(a) for p, a in live if p == prefix.name}
            conflicts = {ip_address(a) for p, a in open_conflicts if p == prefix.name}
            u = usage(prefix, used, conflicts)
            views.append(IpamView(prefix.name, u.network, u.used, u.free, u.reserved, u.conflict))
        return tuple(views)

    def _tickets(self) -> tuple[dict[str, int], dict[str, int]]:
        """Open tickets per OPD and SLA breaches per SOP 15 step, from the store."""
        if self.store is None:
            return self.tickets
        try:
            open_rows, breaches = status.ticket_counts(self.store)
        except StoreError as exc:
            log.warning("cannot read tickets from the store: %s", exc)
            return self.tickets
        return {opd.slug: 0 for opd in self.inventory.opds} | open_rows, breaches

    def _maintenance(self) -> tuple[MaintenanceView, ...]:
        """Per location, the latest finished maintenance run with results there, and its findings."""
        if self.store is None:
            return self.maintenance
        try:
            latest = maintenance_store.latest_findings(self.store)
        except StoreError as exc:
            log.warning("cannot read maintenance results from the store: %s", exc)
            return self.maintenance
        return tuple(MaintenanceView(loc, at.timestamp(), found) for loc, at, found in latest)

    # ---- pure-ish bookkeeping ---------------------------------------------------------------------
    def _take(self, device: Device, sample: DeviceSample) -> None:
        self.samples[device.name] = sample
        for link in self.inventory.links:
            if link.dc.device != device.name:
                continue
            iface = sample.interfaces.get(link.dc.interface)
            if iface is None or iface.in_octets is None or iface.out_octets is None:
                self.rates[link.name] = (None, None)
                continue
            cur = (
                Reading(iface.in_octets, sample.timestamp, sample.uptime_ticks, iface.counter_bits),
                Reading(iface.out_octets, sample.timestamp, sample.uptime_ticks, iface.counter_bits),
            )
            prev = self.readings.get((device.name, link.dc.interface))
            self.readings[(device.name, link.dc.interface)] = cur
            if prev is None:
                continue
            computed = []
            for before, after in zip(prev, cur, strict=True):
                rate = counter_rate(before, after, iface.speed_bps)
                if rate.discard is not None:
                    self.discarded[rate.discard.value] += 1
                computed.append(rate.bps)
            rx, tx = computed
            self.rates[link.name] = (rx, tx)
            ratios = [b / link.subscribed_bps for b in (rx, tx) if b is not None]
            if ratios:
                history = self.utilization.setdefault(link.name, deque(maxlen=1000))
                history.append(UtilizationPoint(sample.timestamp, max(ratios), sample.timestamp - prev[0].timestamp))
            for row in self.rollups.add(link.name, link.opd, sample.timestamp, rx_bps=rx, tx_bps=tx):
                self._store_rollup(row)

    def _store_rollup(self, row: RollupRow) -> None:
        if self.store is None:
            return
        link_store.add_rollup(self.store, row)

    def rebuild(self) -> None:
        now = self.clock()
        links = []
        addr_of = {t.name: t.address for t in self.targets}
        for link in self.inventory.links:
            sample = self.samples.get(link.dc.device)
            iface = sample.interfaces.get(link.dc.interface) if sample else None
            probe = self.probes.get(addr_of.get(f"{link.cpe.device}-wan", ""))
            rx, tx = self.rates.get(link.name, (None, None)) if iface is not None else (None, None)
            health = link_health(
                iface.oper_up if iface else None,
                probe.loss_ratio if probe else None,
                probe.rtt_avg if probe else None,
                list(self.utilization.get(link.name, ())),
                now,
                self.thresholds,
            )
            links.append(
                LinkView(
                    name=link.name,
                    opd=link.opd,
                    provider=link.provider,
                    device=link.dc.device,
                    interface=link.dc.interface,
                    subscribed_bps=link.subscribed_bps,
                    state=health.state,
                    reasons=health.reasons,
                    oper_up=iface.oper_up if iface else None,
                    receive_bytes=iface.in_octets if iface else None,
                    transmit_bytes=iface.out_octets if iface else None,
                    receive_bps=rx,
                    transmit_bps=tx,
                    receive_errors=iface.in_errors if iface else None,
                    transmit_errors=iface.out_errors if iface else None,
                )
            )
        probes = tuple(ProbeView(t.name, t.address, t.kind, t.opd, self.probes.get(t.address)) for t in self.targets)
        devices = []
        for device in self.inventory.devices:
            if device.snmp is None:
                continue
            sample = self.samples.get(device.name)
            if sample is not None:
                devices.append(DeviceView(device.name, True, sample.uptime_ticks / 100))
            elif device.name in self.device_errors:
                devices.append(DeviceView(device.name, False, None, self.device_errors[device.name]))
        causes = link_causes(
            {v.name: v.state for v in links}, {v.name: v.device for v in links}, {d.name: d.up for d in devices}
        )
        links = [dataclasses.replace(v, cause=causes[v.name]) for v in links]
        self._announce_changes(links)
        self.snapshot = Snapshot(
            now,
            tuple(links),
            probes,
            tuple(devices),
            dict(self.durations),
            dict(self.errors),
            dict(self.discarded),
            self.ipam,
            self.maintenance,
            self.tickets[0],
            self.tickets[1],
        )

    def link_state(self, name: str) -> LinkState:
        return next(v.state for v in self.snapshot.links if v.name == name)
