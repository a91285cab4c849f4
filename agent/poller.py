"""The agent's state and jobs: poll SNMP, probe ICMP, turn samples into rates and health, keep the snapshot.

One device never blinds the fleet: whatever goes wrong in one device's poll (no answer, a missing secret
of its credential profile, answers that break SNMP's rules, a bug its answer triggers) is that device's
failure, named with a reason, and every other device's results of the round are taken. Each device has a
deadline, and so has the round. Store I/O runs in one thread of its own with a timeout: a slow or locked
store never holds a poll; rollups and link events wait in a bounded buffer until it is back.
"""

# size: one class, the agent's state, and the jobs that share it (rounds, membership, the snapshot); the
# store's reads are the next part to move out when it grows

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime

from agent import announce
from agent.inventory_watch import InventoryWatch
from agent.membership import Membership
from agent.store_channel import StoreChannel
from agent.wiring import App
from collectors.errors import CollectorError
from collectors.icmp import IcmpProber
from collectors.samples import DeviceSample, ProbeResult
from collectors.snmp import SnmpCollector
from core.board import entries
from core.health import HealthThresholds, LinkState, ProbePoint, link_causes, link_health, remember, window_loss
from core.meter import Counters, LinkMeter
from core.snapshot import DeviceView, IpamView, LinkView, MaintenanceView, ProbeView, Snapshot, ipam_views
from core.sop import TicketCounts, overdue_steps
from core.topology import Target, cpe_wan_address, probe_targets, target_devices
from inventory.errors import InventoryError, SecretError
from inventory.models import Device, Inventory, Link
from store import links as link_store
from store import maintenance as maintenance_store
from store import prefix_pools, status
from store import targets as target_store
from store.engine import Store

log = logging.getLogger(__name__)
REBUILD_SECONDS = 2.0  # during a round, the snapshot follows the answers at most this late
#: ... or later, for a large fleet: a rebuild during a round takes at most this share of the event loop
#: (at 5,000 links one took 0.25 s, and three of them a round held the polls back by 0.75 s)
REBUILD_SHARE = 0.05
OPEN_PERIODS_SECONDS = 30.0  # a killed agent loses at most this much of the rollup period still open


def rebuild_delay(cost: float) -> float:
    """How long after an answer the snapshot is rebuilt during a round, given what the last rebuild cost."""
    return max(REBUILD_SECONDS, cost / REBUILD_SHARE)


@dataclasses.dataclass(frozen=True)
class DeviceFailure:
    """Why one device gave no sample this round: ``reason`` is the exported label, ``message`` for people."""

    reason: str
    message: str


class Agent:
    """Holds what the collectors saw and builds the snapshot the exporter renders."""

    def __init__(self, app: App, store: Store | None = None, clock: Callable[[], float] = time.time) -> None:
        """An agent over ``app``'s configuration, inventory, probes and notifier; its records go to ``store``
        (None: kept in memory only, as ``pantau poll`` does)."""
        self.app = app
        config = self.config = app.config
        inventory = self.inventory = app.inventory
        self.collectors, self.notifier = app.probes, app.notifier
        self.store = store
        self.clock = clock
        self.thresholds: HealthThresholds = config.health
        self._inventory_targets: list[Target] = []
        self.targets: list[Target] = []
        self.snmp: SnmpCollector | None = None
        self.icmp: IcmpProber | None = None
        self.samples: dict[str, DeviceSample] = {}
        self.device_errors: dict[str, DeviceFailure] = {}  # why each device down now is down
        self.meter = LinkMeter({lk.name: lk.subscribed_bps for lk in inventory.links}, config.poll.rollup_seconds)
        self.probes: dict[str, ProbeResult] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.polls: Counter[str] = Counter()  # device -> polls this agent made of it (answered or not)
        self.durations: dict[str, float] = {}
        self.last_success: dict[str, float] = {}  # collector -> when its last complete round ended
        self.ipam: tuple[IpamView, ...] = ()
        self.maintenance: tuple[MaintenanceView, ...] = ()
        self.tickets = TicketCounts()
        self.snapshot = Snapshot()
        self.since: dict[str, float] = {}  # link -> when it entered its present state (or was first seen in it)
        self._links_of: dict[str, list[Link]] = {}
        self._wan: dict[str, str | None] = {}
        self._device_slots = asyncio.Semaphore(config.poll.max_devices)
        self._rebuild_cost = 0.0  # seconds the last rebuild of the snapshot took
        self._open_written = float("-inf")  # when the open rollup periods were last handed to the store
        self.channel = StoreChannel(store, config.poll.store_timeout, config.poll.store_buffer, self.errors)
        #: the heartbeat's own way to the store: a write in progress never delays or skips a membership refresh
        self.beats = StoreChannel(store, config.poll.store_timeout, config.poll.store_buffer, self.errors)
        self.outbox = announce.Outbox(self.notifier, self.errors)
        cluster = config.cluster
        #: among agents sharing the store (cluster.enabled): who this one is and what it owns; None: it is alone
        settle = cluster.heartbeat_seconds + config.poll.snmp_interval  # a joiner's wait: the others let go first
        self.membership = (
            Membership(
                cluster,
                cluster.agent_id or socket.gethostname(),
                settle=settle,
                hand_over=config.poll.snmp_interval,  # on a clean stop, the others take over a round later
            )
            if cluster.enabled
            else None
        )
        self.agent_id = self.membership.agent_id if self.membership else ""
        self._target_device: dict[str, str] = {}  # probe target address -> the device whose owner probes it
        self.pending: set[str] = set()  # links connected by opd add whose OPD router has not answered yet
        self._to_take_up: set[str] = set()  # links gained whose lost agent's open periods are still in the store
        self.poll_soon: Callable[[], None] = lambda: None  # the next SNMP round, now (set by the daemon)
        #: after the inventory is read again (the daemon: the new one held out of the collector's walks)
        self.after_reload: Callable[[], None] = lambda: None
        self.echoes: dict[str, deque[ProbePoint]] = {}  # link -> its far end's ICMP rounds, for the loss window
        self._installed: set[str] = set()  # pending links seen up: their mark is cleared in the store
        self.watch = InventoryWatch(config.inventory_dir)
        self._use_inventory(inventory)

    def _use_inventory(self, inventory: Inventory) -> None:
        """What the agent derives from the inventory: probe targets, links by device, WAN addresses; the
        meter learns new links' subscriptions (a link's readings and rollups carry on across a reload)."""
        self.inventory = inventory
        self._inventory_targets = probe_targets(inventory)
        self.targets = list(self._inventory_targets)
        self.meter.subscribed_bps.update({lk.name: lk.subscribed_bps for lk in inventory.links})
        self._links_of = {}
        for link in inventory.links:
            self._links_of.setdefault(link.dc.device, []).append(link)
        self._wan = {link.name: cpe_wan_address(inventory, link) for link in inventory.links}
        self._target_device = target_devices(inventory, self._inventory_targets)

    def leads(self) -> bool:
        """Whether the jobs one agent must run (a boost's end) are this one's (:meth:`Membership.leads`)."""
        return self.membership is None or self.membership.leads()

    def owns(self, device: str) -> bool:
        """Whether this agent polls ``device`` (every device when it is alone)."""
        return self.membership is None or self.membership.owns(device)

    async def keep_membership(self) -> None:
        """Heartbeat, the live agents, and this one's share of the devices (cluster.enabled)."""
        if self.membership is not None:
            held = set(self.membership.owned)
            if await self.membership.refresh(self.beats, [d.name for d in self.inventory.devices]):
                self.channel.refuse_buffered()  # joined again after a lease ran out: measured under the old one
            for name in [n for n in {*self.samples, *self.device_errors} if not self.owns(n)]:
                self.samples.pop(name, None)  # another's now: polled afresh if it comes back, never stale
                self.device_errors.pop(name, None)
                self.channel.rows.add(self.meter.forget([lk.name for lk in self._links_of.get(name, [])]))
            if self.membership.owned - held:
                self.poll_soon()  # a lost agent's devices, or this one's share: polled now, not a round later
            gained = {lk.name for d in self.membership.owned - held for lk in self._links_of.get(d, [])}
            owned = {lk.name for d in self.membership.owned for lk in self._links_of.get(d, [])}
            self._to_take_up = (self._to_take_up | gained) & owned  # given up with its link
            if self._to_take_up and self.membership.fence:  # a lost agent's periods of them: taken up, not lost
                args = (sorted(self._to_take_up), self.membership.members, self.membership.fence)
                taken = await self.channel.call("taking up open rollup periods", link_store.take_open_periods, *args)
                if taken is not None:  # else the store was busy or away: tried again at the next heartbeat
                    self._to_take_up = set()
                    self.channel.rows.add(self.meter.rollups.restore(taken, self.clock()))
            self.rebuild()

    def request_reload(self) -> None:
        """Read the inventory again before the next round (SIGHUP)."""
        self.watch.request()

    def reload_if_changed(self) -> bool:
        """Take up the inventory's files if they changed since they were read (``opd add`` and ``opd remove``
        write them; a hand edit too) or a reload was asked for. New devices are polled from the next round
        on, with the others: no extra round. Files that do not validate leave the old inventory in use
        (logged with every problem, counted). Whether the inventory changed."""
        if not self.watch.due():
            return False
        try:
            fresh = self.app.reload_inventory()
        except InventoryError as exc:
            self.errors[("inventory", "reload")] += 1
            log.error("the inventory was not reloaded, the one read before stays in use: %s", exc)
            return False
        before = {lk.name for lk in self.inventory.links}
        self._use_inventory(fresh)
        self.after_reload()
        after = {lk.name for lk in fresh.links}
        log.info(
            "inventory reloaded: %d links (%s new, %s gone), %d devices",
            len(after),
            ", ".join(sorted(after - before)) or "none",
            ", ".join(sorted(before - after)) or "none",
            len(fresh.devices),
        )
        return True

    def start(self) -> None:
        """Create the collectors inside the running event loop (one SNMP engine per loop)."""
        poll = self.config.poll
        self.snmp = self.collectors.snmp(poll.snmp_timeout, poll.snmp_retries)
        self.icmp = self.collectors.icmp(count=poll.icmp_count, timeout=poll.icmp_timeout)

    def close(self) -> None:
        if self.snmp is not None:
            self.snmp.close()
        if self.icmp is not None:
            self.icmp.close()
        self.channel.close()
        self.beats.close()
        self.outbox.close()

    # ---- SNMP -----------------------------------------------------------------------------------
    async def poll_snmp(self) -> None:
        """One round over every SNMP device: each result is taken as it arrives; devices still out at the
        round's deadline are failed (``round-deadline``) and the round ends."""
        assert self.snmp is not None  # start() ran
        if self.reload_if_changed():
            await self._read_pending()  # a link just added is pending from its first view, never "down"
        start = time.monotonic()
        devices = [d for d in self.inventory.devices if d.snmp is not None and self.owns(d.name)]
        loop = asyncio.get_running_loop()
        pending: list[asyncio.TimerHandle] = []
        tasks = [asyncio.ensure_future(self._poll_one(d)) for d in devices]
        left = {d.name: d for d in devices}  # by name: hashing a Device model hashes all its fields
        try:
            for done in asyncio.as_completed(tasks, timeout=self.config.poll.round_seconds):
                device, result = await done
                del left[device.name]
                self._settle(device, result)
                if not pending or pending[-1].when() <= loop.time():
                    pending.append(loop.call_later(rebuild_delay(self._rebuild_cost), self.rebuild))
        except TimeoutError:
            for task in tasks:
                task.cancel()
            for device in (left[name] for name in sorted(left)):
                message = f"{device.name}: no answer within the round's {self.config.poll.round_seconds:.0f} s"
                self._settle(device, DeviceFailure("round-deadline", message))
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for handle in pending:
                handle.cancel()
        self.durations["snmp"] = time.monotonic() - start
        self.last_success["snmp"] = self.clock()
        self.rebuild()
        await self.flush()

    async def _poll_one(self, device: Device) -> tuple[Device, DeviceSample | DeviceFailure]:
        assert self.snmp is not None and device.snmp is not None
        deadline = self.config.poll.device_deadline
        async with self._device_slots:
            try:
                profile = self.inventory.snmp_profile(device.snmp)
                async with asyncio.timeout(deadline):  # no task of its own, as wait_for() makes one per device
                    return device, await self.snmp.poll(device, profile)
            except CollectorError as exc:
                failure = DeviceFailure(exc.reason, str(exc))
            except SecretError as exc:
                failure = DeviceFailure("secret", f"{device.name}: credential profile '{device.snmp}': {exc}")
            except TimeoutError:
                failure = DeviceFailure("deadline", f"{device.name}: its poll did not finish within {deadline:.0f} s")
            except Exception as exc:  # a defect an answer of this device triggered: its failure, not the round's
                log.exception("polling %s failed", device.name, extra={"device": device.name, "collector": "snmp"})
                failure = DeviceFailure("exception", f"{device.name}: {type(exc).__name__}: {exc}")
        log.warning("%s", failure.message, extra={"device": device.name, "collector": "snmp", "reason": failure.reason})
        return device, failure

    def _settle(self, device: Device, result: DeviceSample | DeviceFailure) -> None:
        self.polls[device.name] += 1
        if isinstance(result, DeviceSample):
            try:
                self._take(device, result)
            except Exception as exc:  # same containment as the poll: this device's failure
                log.exception("taking the sample of %s failed", device.name, extra={"device": device.name})
                result = DeviceFailure("exception", f"{device.name}: {type(exc).__name__}: {exc}")
            else:
                self.device_errors.pop(device.name, None)
                for problem in result.problems:
                    self.errors[("snmp", problem.split(":", 1)[0])] += 1
                return
        self.samples.pop(device.name, None)
        for link in self._links_of.get(device.name, ()):
            self.meter.lost(link.name)
        self.device_errors[device.name] = result
        self.errors[("snmp", result.reason)] += 1

    def _take(self, device: Device, sample: DeviceSample) -> None:
        self.samples[device.name] = sample
        for link in self._links_of.get(device.name, ()):
            iface = sample.interfaces.get(link.dc.interface)
            if iface is None or iface.in_octets is None or iface.out_octets is None:
                self.meter.lost(link.name)
                continue
            read = Counters(sample.timestamp, sample.uptime_ticks, iface.in_octets, iface.out_octets,
                            iface.counter_bits, iface.speed_bps)  # fmt: skip
            self.channel.rows.add(self.meter.counters(link.name, link.opd, read))

    # ---- ICMP -----------------------------------------------------------------------------------
    async def probe_icmp(self) -> None:
        assert self.icmp is not None
        start = time.monotonic()
        await self._read_store()
        mine = [t.address for t in self.targets if self.owns(self._target_device.get(t.address, t.name))]
        results = await self.icmp.probe(mine)
        self.probes.update(results)
        for link in self.inventory.links:
            if not self.owns(link.dc.device):
                continue
            r = results.get(self._wan[link.name] or "")
            if r is not None:
                echoes = self.echoes.setdefault(link.name, deque())
                remember(echoes, ProbePoint(r.timestamp, r.sent, r.received), self.thresholds)
                self.channel.rows.add(self.meter.probe(link.name, link.opd, r.timestamp, r.loss_ratio, r.rtt_avg))
        self.durations["icmp"] = time.monotonic() - start
        self.last_success["icmp"] = self.clock()
        self.rebuild()
        await self.flush()

    async def flush(self) -> None:
        """Write what the rounds measured (see :class:`StoreChannel`), with the periods still open at most
        every ``OPEN_PERIODS_SECONDS`` (rewriting a fleet's open periods after every round cost more CPU
        than polling it)."""
        now = self.clock()
        periods = None
        if now - self._open_written >= min(OPEN_PERIODS_SECONDS, self.meter.rollups.period / 3):
            periods, self._open_written = self.meter.rollups.open(), now
        fence = self.membership.fence if self.membership else None
        board = None if self.membership is None else entries(self.snapshot, self.since, self.agent_id)
        await self.channel.flush(periods, self.agent_id, fence, board)

    async def resume(self) -> None:
        """Take up the rollup periods an earlier run kept open (a restart within a period loses nothing of
        it; a period that ended while the agent was down is closed and written now)."""
        periods = await self.channel.call("reading the open rollup periods", link_store.open_periods, self.agent_id)
        if periods:
            self.channel.rows.add(self.meter.rollups.restore(periods, self.clock()))
            log.info("took up %d open rollup periods from the store", len(periods))

    async def _read_store(self) -> None:
        """What the snapshot shows from the store: registered probe targets, IPAM, maintenance, tickets;
        what cannot be read keeps its last value."""
        registered = await self.channel.call("reading registered probe targets", target_store.all_targets)
        targets = list(self._inventory_targets)
        if registered is not None:
            known = {t.name for t in targets}
            targets += [Target(r.name, r.address, r.kind, r.opd or "") for r in registered if r.name not in known]
            self.targets = targets
        in_use = await self.channel.call("reading IP allocations", status.addresses_in_use)
        if in_use is not None:
            self.ipam = ipam_views(self.inventory, *in_use)
        latest = await self.channel.call("reading maintenance results", maintenance_store.latest_findings)
        if latest is not None:
            self.maintenance = tuple(MaintenanceView(loc, at.timestamp(), found) for loc, at, found in latest)
        await self._read_pending()
        counts = await self.channel.call("reading tickets", status.ticket_counts)
        if counts is not None:
            every = {opd.slug: 0 for opd in self.inventory.opds} | counts.open_per_opd  # an OPD with none shows 0
            self.tickets = dataclasses.replace(counts, open_per_opd=every)

    async def _read_pending(self) -> None:
        """The links waiting for their OPD's router; those seen answering since are cleared in the store."""
        waiting = await self.channel.call("reading pending links", prefix_pools.pending)
        if waiting is not None:
            self.pending = set(waiting) - self._installed
        for link in sorted(self._installed):
            if await self.channel.call("clearing a pending link", prefix_pools.clear_pending, link) is not None:
                self._installed.discard(link)

    # ---- the snapshot -----------------------------------------------------------------------------
    def _announce_changes(self, links: list[LinkView]) -> None:
        """Record link state changes for the store and notify the webhooks (:mod:`agent.announce`)."""
        now = self.clock()
        changed = announce.changes({v.name: v.state for v in self.snapshot.links}, links, now)
        moved = {c.link for c in changed}
        for v in links:
            if v.name not in self.since or v.name in moved:
                self.since[v.name] = now
        if changed:
            self.channel.events.add(changed)
            announce.notify(self.outbox, changed)

    def rebuild(self) -> None:
        began = time.perf_counter()
        self._rebuild(self.clock())
        self._rebuild_cost = time.perf_counter() - began

    def _rebuild(self, now: float) -> None:
        lossy_before = {v.name for v in self.snapshot.links if "loss" in v.reasons}
        links = [
            self._link_view(link, now, link.name in lossy_before)
            for link in self.inventory.links
            if self.owns(link.dc.device)
        ]
        probes = tuple(
            ProbeView(t.name, t.address, t.kind, t.opd, self.probes.get(t.address))
            for t in self.targets
            if self.owns(self._target_device.get(t.address, t.name))
        )
        devices = []
        for device in self.inventory.devices:
            if device.snmp is None or not self.owns(device.name):
                continue
            sample = self.samples.get(device.name)
            if sample is not None:
                uptime = None if sample.uptime_ticks is None else sample.uptime_ticks / 100
                devices.append(DeviceView(device.name, True, uptime, opd=device.opd or ""))
            elif (failure := self.device_errors.get(device.name)) is not None:
                devices.append(
                    DeviceView(device.name, False, None, failure.message, opd=device.opd or "", reason=failure.reason)
                )
        causes = link_causes(
            {v.name: v.state for v in links}, {v.name: v.device for v in links}, {d.name: d.up for d in devices}
        )
        # only a link that is down has a cause other than the view's own "none" (replace() costs 5 µs a link)
        links = [v if causes[v.name] == v.cause else dataclasses.replace(v, cause=causes[v.name]) for v in links]
        self._announce_changes(links)
        self.snapshot = Snapshot(
            timestamp=now,
            links=tuple(links),
            probes=probes,
            devices=tuple(devices),
            collector_seconds=dict(self.durations),
            collector_errors=dict(self.errors),
            discarded=dict(self.meter.discarded),
            ipam=self.ipam,
            maintenance=self.maintenance,
            tickets_open=self.tickets.open_per_opd,
            ticket_breaches=self.tickets.breaches_per_step,
            last_success=dict(self.last_success),
            store_up=self.channel.up,
            cluster=None
            if self.membership is None
            else (self.agent_id, len(self.membership.members), len(self.membership.owned)),
            cluster_links=() if self.membership is None else tuple((lk.opd, lk.name) for lk in self.inventory.links),
            device_polls=dict(self.polls),
            tickets_overdue=overdue_steps(
                self.inventory.agency.sops.outage, self.tickets.waiting, datetime.fromtimestamp(now, UTC)
            ),
        )

    def _link_view(self, link: Link, now: float, was_lossy: bool = False) -> LinkView:
        sample = self.samples.get(link.dc.device)
        iface = sample.interfaces.get(link.dc.interface) if sample else None
        missing = sample is not None and iface is None
        probe = self.probes.get(self._wan[link.name] or "")
        rx, tx = self.meter.rates.get(link.name, (None, None)) if iface is not None else (None, None)
        answered = probe is not None and probe.sent > 0 and probe.received == probe.sent
        if link.name in self.pending and answered:  # being installed: the echoes lost while its router came
            self.echoes.pop(link.name, None)  # up are not the new link's loss (it is judged from here on)
        health = link_health(
            iface.oper_up if iface else None,
            probe.loss_ratio if probe else None,
            probe.rtt_avg if probe else None,
            list(self.meter.utilization.get(link.name, ())),
            now,
            self.thresholds,
            window_loss(self.echoes.get(link.name, ()), now, self.thresholds) if probe else None,
            was_lossy,
        )
        state, reasons = health.state, health.reasons
        if link.name in self.pending:
            # installed once the OPD's router answers at its end of the link (a port up and no probe yet is
            # no answer: the circuit is up before the router is configured)
            if answered and state in (LinkState.UP, LinkState.DEGRADED):  # every echo of a round answered
                self.pending.discard(link.name)
                self._installed.add(link.name)
            else:
                state, reasons = LinkState.PENDING, ("awaiting-router",)
        no_data = iface is not None and iface.oper_up is None and iface.in_octets is None and iface.out_octets is None
        if sample is not None and sample.uptime_ticks is None:  # its status counts, its counters cannot
            reasons = (*reasons, "no-sysuptime")
        if missing or no_data:  # polled, but the port is not there or tells nothing: never a silent "up"
            reasons = (*reasons, "interface-missing" if missing else "no-data")
            if state in (LinkState.UP, LinkState.DEGRADED) and not health.reasons:
                state = LinkState.UNKNOWN
        return LinkView(
            name=link.name,
            opd=link.opd,
            provider=link.provider,
            device=link.dc.device,
            interface=link.dc.interface,
            subscribed_bps=link.subscribed_bps,
            state=state,
            reasons=reasons,
            oper_up=iface.oper_up if iface else None,
            receive_bytes=iface.in_octets if iface else None,
            transmit_bytes=iface.out_octets if iface else None,
            receive_bps=rx,
            transmit_bps=tx,
            receive_errors=iface.in_errors if iface else None,
            transmit_errors=iface.out_errors if iface else None,
            interface_missing=missing,
        )

    def link_state(self, name: str) -> LinkState:
        return next(v.state for v in self.snapshot.links if v.name == name)
