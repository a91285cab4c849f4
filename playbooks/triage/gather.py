"""Outage triage, the collection (I/O): in parallel, the data center's uplink, every OPD link's port
state and ICMP (is it only this OPD?), the port's last change, the CPE over SNMP and SSH, the agency's
DNS, the OPD's registered servers, a traceroute towards the OPD LAN, and the agent's records in the store;
then, unless that already decides, this link's utilization over a short SNMP window."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collectors.cli import ssh_banner
from collectors.dns import DnsQueryError, query
from collectors.errors import CollectorError, ProbeError
from collectors.path import trace
from collectors.probes import Probes
from collectors.samples import DeviceSample, InterfaceSample
from core.health import HealthThresholds
from core.rates import Reading, counter_rate, plausible_bps, refreshed_span, utilization
from core.rollup import percentile95
from core.topology import cpe_wan_address, lan_gateway, uplinks
from inventory.models import Inventory, Link
from playbooks.triage.decide import DEFAULT_THRESHOLDS, LinkFacts, Period, TriageFacts, decisive_without_rates
from store import dns_log, runs, targets
from store import links as link_store
from store.engine import Store

READ_SPACING_S = 0.25  # reads of the OPD's port during the rate window


# size: one triage's concurrency in one place: which probes start together, which are
# cancelled when the verdict is already decided
async def gather(
    inv: Inventory,
    probes: Probes,
    opd: str,
    store: Store | None = None,
    window_s: float = 5.0,
    timeout: float = 2.0,
    tz: str = "Asia/Jakarta",
    thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
    progress: Callable[[str, str], None] | None = None,
) -> TriageFacts:
    """Collect the facts for triaging ``opd``: every probe in parallel, then, unless that already decides
    the verdict, a second SNMP poll ``window_s`` after the first for the link's utilization.
    ``progress(probe, what)`` hears each probe as it finishes (the status page streams them)."""

    def done(probe: str, what: str) -> None:
        if progress is not None:
            progress(probe, what)

    start = time.monotonic()
    facts = TriageFacts(opd)
    link = inv.link_of(opd)
    pinged: dict[str, tuple[str, str]] = {}  # address -> (link, "wan"|"lan")
    for lk in inv.links:
        facts.links[lk.name] = LinkFacts(lk.name, lk.opd)
        wan = cpe_wan_address(inv, lk)
        if wan is not None:
            pinged[wan] = (lk.name, "wan")
        gateway = lan_gateway(inv, lk.opd)
        if gateway is not None:
            pinged[gateway] = (lk.name, "lan")
    ups = uplinks(inv)
    peers = {peer: (dev, iface) for dev, iface, peer in ups}
    servers = {} if store is None else {t.name: t.address for t in targets.all_targets(store, opd)}
    prober = probes.icmp(count=30, interval=0.01, timeout=1.0)
    snmp = probes.snmp(timeout=timeout, retries=1)

    async def icmp() -> dict[str, Any]:
        return await prober.probe([*pinged, *peers, *servers.values()])

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

    towards = lan_gateway(inv, opd)

    async def path() -> Any:
        if towards is None:
            return None
        try:
            return await asyncio.to_thread(trace, towards, 8, 1.0)
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
        pings = await pings_t
        done("icmp", f"{sum(1 for r in pings.values() if r and r.received)} of {len(pings)} addresses answer ICMP")
        firsts = await firsts_t
        done(
            "snmp-dc",
            f"{sum(1 for v in firsts.values() if v is not None)} of {len(firsts)} data-center devices answer SNMP",
        )
        last_change = await change_t
        done("port", "port state read" if last_change is not None else "port state not readable")
        facts.collected_at = datetime.now(ZoneInfo(tz))
        _fill_ports(inv, facts, firsts, None)
        facts.links[link.name].last_change_s = last_change
        _fill_probes(facts, pinged, pings)
        _fill_uplink(facts, ups, firsts, pings)
        facts.servers_down = [n for n, addr in servers.items() if not (pings.get(addr) and pings[addr].received)]
        if store is not None:  # the store's reads in a thread: never on the event loop the page serves from
            await asyncio.to_thread(fill_history, store, facts, link, facts.collected_at, thresholds.loss_degraded)
            facts.recent_changes = await asyncio.to_thread(_recent_changes, store, opd)
        # stop digging at the first decisive failure (SOP 15: the repair comes first): the CPE of a link
        # that is down cannot answer, and waiting for its SNMP timeout would only delay the verdict
        decisive = decisive_without_rates(inv, facts, thresholds) is not None
        if decisive:
            for task in more:
                task.cancel()
        else:
            cpe_sample = await cpe_t
            done("snmp-cpe", "the OPD's router answers SNMP" if cpe_sample not in (None, False) else "no SNMP answer")
            facts.cpe_ssh, facts.cpe_ssh_detail = await ssh_t
            done("ssh-cpe", facts.cpe_ssh_detail or "no SSH profile")
            facts.dns_ok, facts.dns_detail = await dns_t
            done("dns", facts.dns_detail)
            if cpe_sample is False:
                facts.cpe_snmp = False
            elif cpe_sample is not None:
                facts.cpe_snmp, facts.cpe_uptime_s = True, cpe_sample / 100
        hops = await path_t  # the path is evidence for the provider too: wait for it (about a second)
        done("path", "no path" if hops is None else f"{len(hops)} hops")
        if hops is not None:
            facts.path, facts.path_target = [(h.ttl, h.address) for h in hops], towards or ""
        seconds = None
        if not decisive:  # the link's utilization over the window (from before the probes)
            reads = [firsts.get(link.dc.device)]
            device = inv.device(link.dc.device)
            while (left := window_s - (time.monotonic() - window_from)) > 0 and device.snmp is not None:
                # read this port often: the rate is taken between two reads that saw the device's counter
                # cache refresh (refreshed_span), not between two reads of unknown age
                await asyncio.sleep(min(READ_SPACING_S, left))
                try:
                    reads.append(await snmp.poll(device, inv.snmp_profile(device.snmp), [link.dc.interface]))
                except CollectorError:
                    break
            seconds = await dc_poll()
            _fill_ports(inv, facts, firsts, seconds)
            _fill_uplink(facts, ups, seconds, pings)
            _fill_rate(facts.links[link.name], link, [r for r in reads if r is not None])
            done("rate", f"utilization measured over {window_s:g} s")
        facts.rates_measured = seconds is not None
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        prober.close()
        snmp.close()
    facts.duration_s = time.monotonic() - start
    return facts


def _fill_probes(facts: TriageFacts, probes: dict[str, tuple[str, str]], pings: dict[str, Any]) -> None:
    for address, (name, side) in probes.items():
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
    ports = [(r, r.interfaces.get(link.dc.interface)) for r in reads]
    ports = [(r, i) for r, i in ports if i is not None]
    if len(ports) < 2:
        return
    a_at, b_at = refreshed_span([(i.in_octets, i.out_octets) for _, i in ports])
    (a_sample, a), (b_sample, b) = ports[a_at], ports[b_at]
    measured = _utilization(a_sample, a, b_sample, b, link.subscribed_bps)
    if measured is not None:
        lf.utilization = measured


def _utilization(
    a_sample: DeviceSample, a: InterfaceSample, b_sample: DeviceSample, b: InterfaceSample, subscribed_bps: float
) -> float | None:
    """The higher of both directions' rates between two reads of one port, of the subscription."""
    rates = []
    for before, after in ((a.in_octets, b.in_octets), (a.out_octets, b.out_octets)):
        if before is None or after is None:
            continue
        rate = counter_rate(
            Reading(before, a_sample.timestamp, a_sample.uptime_ticks, a.counter_bits),
            Reading(after, b_sample.timestamp, b_sample.uptime_ticks, b.counter_bits),
            plausible_bps(b.speed_bps, round(subscribed_bps), b.counter_bits),
        )
        rates.append(rate.bps)
    return utilization(rates, subscribed_bps)


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


def fill_history(store: Store, facts: TriageFacts, link: Link, now: datetime, loss_limit: float) -> None:
    """From the agent's records in the store: the RTT baseline; flaps in 24 h and the outage start (link
    events); the last hour of rollups and the last good period; this month's 95th percentile rate."""
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    h = link_store.history(store, link.name, now.astimezone(UTC), month.astimezone(UTC), loss_limit)

    def local(at: datetime | None) -> datetime | None:
        return None if at is None else at.astimezone(now.tzinfo)

    # no rollup and no event in a day: the agent was not watching, so "0 flaps" would be a guess
    facts.flaps_24h = h.downs_24h if h.watched else None
    facts.outage_start = local(h.outage_start)
    facts.timeline = [Period(p.start.astimezone(now.tzinfo), p.loss, p.rtt) for p in h.timeline]
    facts.last_good = local(h.last_good)
    facts.month_p95_bps = percentile95(h.month_rates)
    facts.links[link.name].rtt_baseline = h.rtt_baseline


def _recent_changes(store: Store, opd: str) -> list[str]:
    """DNS changes and playbook runs of the last 7 days that touch this OPD, newest first."""
    since = datetime.now(UTC) - timedelta(days=7)
    out = [
        f"{run.started_at:%Y-%m-%d %H:%M} {run.playbook} (run {run.id}, {run.state})"
        for run in runs.since(store, since)
        if run.params.get("opd") == opd or opd in str(run.facts)
    ]
    out += [
        f"{c.at:%Y-%m-%d %H:%M} DNS {c.action} {c.name} {c.rtype} {c.value}"
        for c in dns_log.changes_under(store, f".{opd}.", since)
    ]
    return out[:10]
