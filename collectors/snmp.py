"""SNMP collector: IF-MIB counters and status of the inventory's interfaces.

Each device's columns are read with GET requests for exactly the interfaces the inventory names, or walked
with GETBULK when those are many or most of the device's (:func:`walk_columns`). The name → ifIndex map
comes from walking ifName, then ifDescr, then ifAlias (a port is found by any of its names), is cached, and
is walked again when ifNumber changes, the agent restarted, or a name is missing. Requests go through
:mod:`collectors.snmp_session` (v2c on the wire codec, v3 through pysnmp); what a device tells of itself
beyond its interfaces is in :mod:`collectors.snmp_host`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any, NamedTuple

from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from collectors import snmp_host
from collectors.errors import DeviceMisbehaves, DeviceUnreachable, SnmpError
from collectors.samples import DeviceSample, InterfaceSample
from collectors.snmp_host import CapacitySample, Neighbor, SystemSample
from collectors.snmp_session import MAX_WALK_ROWS, Session, SnmpClient, oid_tuple
from collectors.snmp_values import interface_name, number
from collectors.snmp_wire import GETBULK
from i18n import Msg
from inventory.models import Device, SnmpProfile
from platforms import SnmpQuirks

__all__ = ["HC_COLUMNS", "STATUS_COLUMNS", "Neighbor", "SnmpCollector", "SystemSample"]
log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
#: the columns a platform may name its interfaces by (:attr:`platforms.SnmpQuirks.interface_names`)
NAME_COLUMNS = {"ifName": IF_NAME, "ifDescr": IF_DESCR, "ifAlias": IF_ALIAS}

#: Per-interface columns: field name → OID prefix (ifIndex appended).
HC_COLUMNS = {
    "in_octets": "1.3.6.1.2.1.31.1.1.1.6",  # ifHCInOctets
    "out_octets": "1.3.6.1.2.1.31.1.1.1.10",  # ifHCOutOctets
}
LEGACY_COLUMNS = {
    "in_octets": "1.3.6.1.2.1.2.2.1.10",  # ifInOctets (32-bit)
    "out_octets": "1.3.6.1.2.1.2.2.1.16",  # ifOutOctets (32-bit)
    # ifSpeed, bit/s: a device without ifXTable has no ifHighSpeed either; the speed tells a 32-bit wrap
    # from a reset (gauge32: 4294967295 means "faster than that", i.e. unknown here)
    "speed": "1.3.6.1.2.1.2.2.1.5",
}
SPEED_UNKNOWN = 2**32 - 1
STATUS_COLUMNS = {
    "in_errors": "1.3.6.1.2.1.2.2.1.14",
    "out_errors": "1.3.6.1.2.1.2.2.1.20",
    "in_discards": "1.3.6.1.2.1.2.2.1.13",
    "out_discards": "1.3.6.1.2.1.2.2.1.19",
    "oper": "1.3.6.1.2.1.2.2.1.8",
    "admin": "1.3.6.1.2.1.2.2.1.7",
    "high_speed": "1.3.6.1.2.1.31.1.1.1.15",  # ifHighSpeed, Mbit/s
}
BULK_FROM_INTERFACES = 64  # from this many wanted interfaces on one device, walk the columns with GETBULK
BULK_REPETITIONS = 25
INDEX_REPETITIONS = 50  # rows a request of the interface names' walk asks for, at most
ROW_CACHE = 200_000  # OIDs whose row index is kept (a fleet's distinct column OIDs: columns x ifIndexes)
_NO_SUCH = (NoSuchObject, NoSuchInstance)
VARBINDS_PER_GET = 39  # (plus sysUpTime) stays well inside one UDP datagram / the agent's max message size


class _Read(NamedTuple):
    values: dict[int, dict[str, int]]  # ifIndex -> column -> number
    uptime: int | None  # sysUpTime, read with the counters
    if_number: int | None
    problems: set[str]


def _before(oid: str) -> str:
    """The prefix of a scalar's instance (``x.0`` → ``x``): its GETNEXT gives the scalar."""
    return oid.rsplit(".", 1)[0]


@dataclass
class _DeviceCache:
    if_number: int | None = None
    uptime: int | None = None
    index: dict[str, int] = field(default_factory=dict)
    matched: dict[str, str] = field(default_factory=dict)  # name -> the column it was found in (ifName ...)
    hc: bool = True
    plan: tuple[tuple[int, ...], bool] | None = None  # the interfaces and counters ``requests`` ask for
    requests: list[tuple[list[str], list[tuple[str, int, str]]]] = field(default_factory=list)


class SnmpCollector:
    """Polls devices over SNMP; one instance per event loop."""

    def __init__(
        self,
        inventory_dir: Path,
        timeout: float = 2.0,
        retries: int = 1,
        max_in_flight: int = 64,
        bulk: bool | None = None,
        quirks: Callable[[Device], SnmpQuirks] | None = None,
    ) -> None:
        self.client = SnmpClient(inventory_dir, timeout, retries, max_in_flight)
        self.quirks = quirks or (lambda _device: SnmpQuirks())  # each device's platform's (platforms/)
        self.bulk = bulk  # None: chosen per device by walk_columns(); True/False: always walk / always GET
        self._cache: dict[str, _DeviceCache] = {}
        # column -> OID -> its row index, () when outside the column: a fleet's walks return the same OIDs
        # every round, and splitting each again was a third of the walk's CPU
        self._rows: dict[str, dict[str, tuple[int, ...]]] = {}
        self._rows_kept = 0  # entries in ``_rows``, bounded by ROW_CACHE (a table that never ends must not grow it)

    def close(self) -> None:
        self.client.close()

    def _cache_of(self, device: Device) -> _DeviceCache:
        cache = self._cache.get(device.name)
        if cache is None:
            cache = self._cache[device.name] = _DeviceCache(hc=self.quirks(device).hc_counters)
        return cache

    async def poll(self, device: Device, profile: SnmpProfile, interfaces: Iterable[str] | None = None) -> DeviceSample:
        """Poll sysUpTime and the IF-MIB columns of ``interfaces`` (default: all the inventory lists).

        Raises:
            SecretError: the profile's secret cannot be read.
            DeviceUnreachable: no answer within timeout × retries.
            SnmpError: the device answered with an error status.
            DeviceMisbehaves: its answers break SNMP's rules (``reason`` says how).
        """
        session = self.client.session(device, profile)
        try:
            return await self._poll(session, interfaces)
        except DeviceUnreachable:
            session.unreachable()
            raise

    async def _poll(self, session: Session, interfaces: Iterable[str] | None) -> DeviceSample:
        start = time.monotonic()
        device = session.device
        names = list(interfaces if interfaces is not None else (i.name for i in device.interfaces))
        cache = self._cache_of(device)
        read = None
        if cache.uptime is not None and all(n in cache.index for n in names):
            # the index is known: sysUpTime and ifNumber ride in the columns' first request, and only when they
            # say the interfaces may have changed is the index walked and the columns read again
            read = await self._columns(session, cache, [cache.index[n] for n in names])
            if read.uptime is None or read.if_number != cache.if_number or read.uptime < cache.uptime:
                read = None
        if read is None:
            head = await session.get([SYS_UPTIME, IF_NUMBER])
            uptime, if_number = number(head.get(SYS_UPTIME)), number(head.get(IF_NUMBER))
            restarted = uptime is not None and (cache.uptime is None or uptime < cache.uptime)
            if cache.if_number != if_number or restarted or any(n not in cache.index for n in names):
                cache.index = await self._interface_index(session, names, if_number)
                cache.if_number = if_number
            read = await self._columns(session, cache, [cache.index[n] for n in names if n in cache.index])
            # the counters' own sysUpTime (read in the same PDU) dates them, not the earlier head request's
            read = read._replace(uptime=uptime if read.uptime is None else read.uptime)
        cache.uptime = read.uptime
        timestamp = time.time()
        present = [n for n in names if n in cache.index]
        missing = tuple(n for n in names if n not in cache.index)
        timed = read.uptime is not None  # without sysUpTime the counters cannot be timed: the status still counts
        samples = {name: _interface(name, cache.index[name], read.values.get(cache.index[name], {}), cache.hc, timed,
                                    cache.matched.get(name)) for name in present}  # fmt: skip
        if not timed:
            read.problems.add("no-sysuptime")
            log.debug("%s: no sysUpTime (or not TimeTicks); its counters are left out", device.name)
        duration = time.monotonic() - start
        log.debug("snmp poll %s: %d interfaces in %.3f s", device.name, len(samples), duration)
        return DeviceSample(
            device.name, timestamp, read.uptime, samples, missing, duration, tuple(sorted(read.problems))
        )

    async def _columns(self, session: Session, cache: _DeviceCache, indexes: list[int]) -> _Read:
        """Per ifIndex, the columns' values that are numbers, with sysUpTime and ifNumber read in the same
        request, and the columns that came back with another type (named, for the device's problems: left
        out, never computed with)."""
        columns = {**(HC_COLUMNS if cache.hc else LEGACY_COLUMNS), **STATUS_COLUMNS}
        if self.bulk if self.bulk is not None else walk_columns(len(indexes), cache.if_number):
            read = await self._bulk_columns(session, columns, set(indexes), cache.if_number)
        else:
            plan = (tuple(indexes), cache.hc)
            if cache.plan != plan:  # the same requests every round, until the interfaces or counters change
                oids = [(f"{prefix}.{idx}", idx, name) for idx in indexes for name, prefix in columns.items()]
                chunks = [oids[i : i + VARBINDS_PER_GET] for i in range(0, len(oids), VARBINDS_PER_GET)] or [[]]
                cache.plan = plan
                cache.requests = [([SYS_UPTIME, *([IF_NUMBER] if i == 0 else []), *(o for o, _, _ in c)], c)
                                  for i, c in enumerate(chunks)]  # fmt: skip
            answers = await asyncio.gather(*(session.get(request) for request, _ in cache.requests))
            result: dict[int, dict[str, int]] = {}
            wrong: set[str] = set()
            for (_, chunk), answer in zip(cache.requests, answers, strict=True):
                for oid, idx, name in chunk:
                    value = answer.get(oid)
                    if value is None:
                        continue
                    n = number(value)
                    if n is None:
                        wrong.add(f"wrong-type:{name}")
                    else:
                        result.setdefault(idx, {})[name] = n
            read = _Read(result, number(answers[0].get(SYS_UPTIME)), number(answers[0].get(IF_NUMBER)), wrong)
        if cache.hc and indexes and all("in_octets" not in read.values.get(i, {}) for i in indexes):
            cache.hc = False  # no ifXTable HC counters on this device: fall back to the 32-bit ifTable
            legacy = await self._columns(session, cache, indexes)
            if any("in_octets" in legacy.values.get(i, {}) for i in indexes):
                log.info("%s has no ifHC counters; using 32-bit ifInOctets/ifOutOctets", session.device.name)
            else:  # a view that hides both tables, say: its links are unknown ("no-data"), never up
                log.warning("%s answers neither ifHC nor 32-bit octet counters", session.device.name)
            return legacy
        return read

    async def _bulk_columns(
        self, session: Session, columns: dict[str, str], wanted: set[int], if_number: int | None = None
    ) -> _Read:
        """Walk all ``columns`` together with GETBULK (one request covers a row range of every column):
        for many interfaces this is far fewer, smaller requests than GETs of each instance. A column is
        walked up to the highest wanted ifIndex, no further, and no request asks for more rows than the
        table has (ifNumber) plus the one that shows its end.

        Raises:
            DeviceMisbehaves: a column's OIDs do not increase, or it runs past MAX_WALK_ROWS rows.
        """
        device = session.device
        pending = dict(columns)  # name -> last OID seen (starts at the column itself)
        last: dict[str, tuple[int, ...]] = dict.fromkeys(columns, ())  # the last row's index, per column
        rows_of = {name: self._rows.setdefault(prefix, {}) for name, prefix in columns.items()}
        result: dict[int, dict[str, int]] = {}
        problems: set[str] = set()
        rows = 0
        head: dict[str, Any] = {}
        first = True
        highest = max(wanted, default=0)
        repetitions = min(BULK_REPETITIONS, if_number + 1) if if_number else BULK_REPETITIONS
        while pending:
            names = list(pending)
            request = ([_before(SYS_UPTIME), _before(IF_NUMBER)] if first else []) + [pending[n] for n in names]
            var_binds = await session.request(GETBULK, request, 2 if first else 0, repetitions)
            if first:  # the two non-repeaters: GETNEXT of the objects' own prefixes gives the objects
                head, var_binds = dict(var_binds[:2]), var_binds[2:]
            first = False
            width = len(names)
            progressed = False
            for i, (text, value) in enumerate(var_binds):
                name = names[i % width]
                if name not in pending:
                    continue
                now = rows_of[name].get(text)
                if now is None:
                    now = rows_of[name][text] = _row(text, columns[name])
                    self._rows_kept += 1
                    if self._rows_kept >= ROW_CACHE:
                        self._forget_rows()
                if not now or isinstance(value, EndOfMibView):
                    del pending[name]  # walked past this column
                    continue
                if now <= last[name]:
                    raise _walk_loops(device.name, columns[name], pending[name], text)
                rows += 1
                if rows > MAX_WALK_ROWS * len(columns):
                    raise _walk_endless(device.name)
                last[name], pending[name] = now, text
                progressed = True
                idx = now[-1]
                if idx in wanted and not isinstance(value, _NO_SUCH):
                    n = number(value)
                    if n is None:
                        problems.add(f"wrong-type:{name}")
                    else:
                        result.setdefault(idx, {})[name] = n
                if idx >= highest:
                    del pending[name]  # every wanted row of this column is read
            if not progressed:
                break
        return _Read(result, number(head.get(SYS_UPTIME)), number(head.get(IF_NUMBER)), problems)

    def _forget_rows(self) -> None:
        """Empty the row cache in place (the walks under way hold its dictionaries)."""
        for kept in self._rows.values():
            kept.clear()
        self._rows_kept = 0

    async def neighbor(
        self, device: Device, profile: SnmpProfile, interface: str, address: IPv4Address | IPv6Address
    ) -> Neighbor | None:
        """The ARP/ND entry ``device`` holds for ``address`` on ``interface`` (see :func:`snmp_host.neighbor`).

        Raises:
            SnmpError: the device has no interface of that name.
        """
        session = self.client.session(device, profile)
        idx = (await self._indexes(session, [interface])).get(interface)
        if idx is None:
            raise SnmpError(
                Msg(
                    "{name} has no interface named {interface} (SNMP {columns})",
                    name=device.name,
                    interface=interface,
                    columns="/".join(self.quirks(device).interface_names),
                ),
                device.name,
            )
        return await snmp_host.neighbor(session, idx, address)

    async def system(self, device: Device, profile: SnmpProfile) -> SystemSample:
        """CPU, memory and clock of the device (see :func:`snmp_host.system`)."""
        return await snmp_host.system(self.client.session(device, profile))

    async def capacity(self, device: Device, profile: SnmpProfile) -> CapacitySample:
        """Processors, RAM and fixed disks of a server (see :func:`snmp_host.capacity`)."""
        return await snmp_host.capacity(self.client.session(device, profile))

    async def last_change(self, device: Device, profile: SnmpProfile, interfaces: Iterable[str]) -> dict[str, float]:
        """Seconds since each interface's oper status last changed (see :func:`snmp_host.last_change`);
        interfaces the device does not list are left out."""
        session = self.client.session(device, profile)
        return await snmp_host.last_change(session, await self._indexes(session, list(interfaces)))

    async def _indexes(self, session: Session, names: list[str]) -> dict[str, int]:
        """name → ifIndex of those of ``names`` the device lists (walked again when one is not cached)."""
        cache = self._cache_of(session.device)
        if any(n not in cache.index for n in names):
            cache.index = await self._interface_index(session, names, cache.if_number)
        return {n: cache.index[n] for n in names if n in cache.index}

    async def _interface_index(
        self, session: Session, wanted: Iterable[str] = (), if_number: int | None = None
    ) -> dict[str, int]:
        """name -> ifIndex from the platform's name columns in its order (ifName, ifDescr, ifAlias): each port
        is found by any of its names, as the device's CLI prints it short or long; on a clash the earlier
        column wins. The walk stops at the first column after which every ``wanted`` name is known. With
        the device's ``if_number`` known, a request asks for no more rows than it has, and the one past them
        (50 asked of a device of 21 ports made it compute 29 values of the next column for nothing)."""
        index: dict[str, int] = {}
        matched: dict[str, str] = {}
        wanted = set(wanted)
        repetitions = min(INDEX_REPETITIONS, if_number + 1) if if_number else INDEX_REPETITIONS
        for name in self.quirks(session.device).interface_names:
            column = NAME_COLUMNS[name]
            for oid, value in await session.walk(column, repetitions):
                found = interface_name(value)
                if found not in index:
                    index[found], matched[found] = int(oid.rsplit(".", 1)[1]), name
            if index and wanted <= index.keys():
                break
        self._cache_of(session.device).matched = matched
        return index


def walk_columns(wanted: int, if_number: int | None) -> bool:
    """Whether to walk the columns with GETBULK rather than GET each wanted instance.

    A walk reads every interface's row, in few requests (an agent fills each answer as far as its message
    size allows); GETs read only the wanted rows, 39 values a request. Walk when the wanted interfaces are
    many (``BULK_FROM_INTERFACES``) or at least half of the device's (ifNumber): then it reads at most
    twice the values in a quarter of the requests or fewer (20 of 21 interfaces: 1 request instead of 5).
    """
    return wanted >= BULK_FROM_INTERFACES or (wanted > 0 and if_number is not None and 2 * wanted >= if_number)


def _row(oid: str, column: str) -> tuple[int, ...]:
    """The row index of ``oid`` in ``column`` (ifTable: one number), or () when it lies outside it."""
    if not oid.startswith(column) or oid[len(column) : len(column) + 1] != ".":
        return ()
    suffix = oid[len(column) + 1 :]
    if not suffix:
        return ()
    return (int(suffix),) if suffix.isdigit() else oid_tuple(suffix)


def _interface(
    name: str, idx: int, col: dict[str, int], hc: bool, timed: bool = True, name_column: str | None = None
) -> InterfaceSample:
    """One interface's sample; ``timed`` False (no sysUpTime): its octet counters are left out, they could
    not tell a restart from a wrap. ``name_column``: where the inventory's name was found (ifName ...)."""
    high, speed = col.get("high_speed"), col.get("speed")
    return InterfaceSample(
        name=name,
        if_index=idx,
        in_octets=col.get("in_octets") if timed else None,
        out_octets=col.get("out_octets") if timed else None,
        counter_bits=64 if hc else 32,
        in_errors=col.get("in_errors"),
        out_errors=col.get("out_errors"),
        in_discards=col.get("in_discards"),
        out_discards=col.get("out_discards"),
        oper_up=None if col.get("oper") is None else col["oper"] == 1,
        admin_up=None if col.get("admin") is None else col["admin"] == 1,
        speed_bps=high * 1_000_000 if high else speed if speed and speed != SPEED_UNKNOWN else None,
        name_column=name_column,
    )


def _walk_loops(device: str, column: str, previous: str, text: str) -> DeviceMisbehaves:
    return DeviceMisbehaves(
        Msg(
            "{name}: the walk of {column} went from {previous} back to {text} (OIDs must increase); "
            "the device's agent loops",
            name=device,
            column=column,
            previous=previous,
            text=text,
        ),
        device,
        "non-increasing",
    )


def _walk_endless(device: str) -> DeviceMisbehaves:
    return DeviceMisbehaves(
        Msg(
            "{name}: the walk of its interface columns passed {rows} rows a column; its table does not end",
            name=device,
            rows=MAX_WALK_ROWS,
        ),
        device,
        "walk-limit",
    )
