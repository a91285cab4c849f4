"""SNMP collector (pysnmp 7, asyncio): IF-MIB counters and status of the inventory's interfaces.

One long-lived ``SnmpEngine`` per event loop. OIDs stay numeric and MIB lookup is off (the IF-MIB
is not installed here, and resolving doubles the cost). Each device is polled with GET requests for
exactly the interfaces the inventory names: the name → ifIndex map comes from walking ifName (ifDescr
as fallback), is cached, and is walked again when ifNumber changes, the agent restarted, or a name is
missing. Requests in flight are bounded per engine, so one socket's receive buffer never overflows.

The polling requests of SNMPv2c devices (GET, GETBULK) go through :mod:`collectors.snmp_wire`, a codec
for just those messages: pysnmp's pyasn1 decoding cost ~125 µs of CPU per varbind, three quarters of a
poll. SNMPv3 (USM authentication and privacy) and table walks stay on pysnmp.
"""

from __future__ import annotations

# size: the SNMP collector (v2c wire path, v3 and walks through pysnmp) as one class;
# the field-ready rework (issue 14) splits it
import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    bulk_walk_cmd,
    get_cmd,
    usmAesBlumenthalCfb256Protocol,
    usmAesCfb128Protocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto.rfc1902 import ObjectName
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject, unSpecified

from collectors.errors import CredentialsRejected, DeviceMisbehaves, DeviceUnreachable, SnmpError
from collectors.samples import DeviceSample, InterfaceSample
from collectors.snmp_wire import ERROR_STATUS, GET, GETBULK, V2cClient
from inventory.models import AuthProtocol, Device, PrivProtocol, SnmpProfile, SnmpVersion
from inventory.secrets import resolve_secret

log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.9"  # sysUpTime when the interface's oper status last changed
IP_NET_TO_PHYSICAL_ADDRESS = "1.3.6.1.2.1.4.35.1.4"  # IP-MIB, index ifIndex.addrType.len.address
IP_NET_TO_PHYSICAL_STATE = "1.3.6.1.2.1.4.35.1.7"  # reachable(1) stale(2) delay(3) probe(4) ... incomplete(7)
IP_NET_TO_MEDIA_ADDRESS = "1.3.6.1.2.1.4.22.1.2"  # RFC 1213 fallback, index ifIndex.a.b.c.d

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
MAX_WALK_ROWS = 65_536  # rows one walk may return before the device is taken to be looping or streaming
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
AUTH = {AuthProtocol.SHA: usmHMACSHAAuthProtocol, AuthProtocol.SHA256: usmHMAC192SHA256AuthProtocol}
# net-snmp's "AES-256" is the Blumenthal key extension (draft-blumenthal-aes-usm-04)
PRIV = {PrivProtocol.AES: usmAesCfb128Protocol, PrivProtocol.AES256: usmAesBlumenthalCfb256Protocol}
BULK_FROM_INTERFACES = 64  # from this many interfaces on one device, walk the columns with GETBULK
BULK_REPETITIONS = 25
VARBINDS_PER_GET = 39  # (plus sysUpTime) stays well inside one UDP datagram / the agent's max message size


class RawVarBind(ObjectType):  # type: ignore[misc]
    """A numeric OID to request, handed to pysnmp's message layer as is.

    The high-level API resolves every outgoing ``ObjectType`` against the MIB view, even with
    ``lookupMib=False`` (profiled: 80 % of the CPU of a 1,000-interface poll with plain ObjectTypes,
    still 11 % with a cache of resolved ones). Its ``make_varbinds`` keeps what ``resolve_with_mib``
    returns, so this returns the final ``(ObjectName, unSpecified)`` pair and skips the MIB.
    """

    def __init__(self, oid: str) -> None:  # no super().__init__: nothing but resolve_with_mib is used
        self.oid = oid

    def resolve_with_mib(self, mibViewController: Any, ignoreErrors: bool = True) -> Any:
        return ObjectName(self.oid), unSpecified


HR_PROCESSOR_FRWID = "1.3.6.1.2.1.25.3.3.1.1"  # one row per processor, there from the agent's start
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"  # net-snmp answers it after a minute of history
HR_SYSTEM_DATE = "1.3.6.1.2.1.25.1.2.0"
HR_SYSTEM_UPTIME = "1.3.6.1.2.1.25.1.1.0"  # the host's uptime; sysUpTime is the SNMP agent's
MEM_TOTAL_REAL = "1.3.6.1.4.1.2021.4.5.0"
MEM_AVAIL_REAL = "1.3.6.1.4.1.2021.4.6.0"


@dataclass(frozen=True)
class SystemSample:
    cpu_load_pct: float | None
    memory_total_kb: int | None
    memory_available_kb: int | None
    date: bytes | None  # SNMPv2-TC DateAndTime
    read_at: float
    host_uptime_ticks: int | None = None
    processors: int = 0  # hrProcessorTable rows: the device offers CPU load, even before it has a value


NEIGHBOR_STATES = {1: "reachable", 2: "stale", 3: "delay", 4: "probe", 5: "invalid", 6: "unknown", 7: "incomplete"}


@dataclass(frozen=True)
class Neighbor:
    mac: str
    state: str  # IP-MIB IpNetToPhysicalState name; "unknown" when only ipNetToMediaTable answered


@dataclass
class _DeviceCache:
    if_number: int | None = None
    uptime: int | None = None
    index: dict[str, int] = field(default_factory=dict)
    hc: bool = True


class SnmpCollector:
    """Polls devices over SNMP; one instance (and engine) per event loop."""

    def __init__(
        self,
        inventory_dir: Path,
        timeout: float = 2.0,
        retries: int = 1,
        max_in_flight: int = 64,
        bulk_from: int = BULK_FROM_INTERFACES,
    ) -> None:
        self.inventory_dir = inventory_dir
        self.bulk_from = bulk_from
        self.timeout = timeout
        self.retries = retries
        self.engine = SnmpEngine()
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._cache: dict[str, _DeviceCache] = {}
        self._auth: dict[str, Any] = {}
        self._community: dict[str, bytes] = {}
        self._v2c = V2cClient()

    def close(self) -> None:
        self.engine.close_dispatcher()
        self._v2c.close()

    def _auth_data(self, profile: SnmpProfile) -> Any:
        if profile.name not in self._auth:  # secrets are read on first use and kept only in memory
            if profile.version is SnmpVersion.V2C:
                assert profile.community is not None  # the model guarantees it
                community = resolve_secret(profile.community, self.inventory_dir)
                self._auth[profile.name] = CommunityData(community, mpModel=1)
                self._community[profile.name] = community.encode()
            else:
                assert profile.user and profile.auth_key and profile.priv_key
                self._auth[profile.name] = UsmUserData(
                    profile.user,
                    authKey=resolve_secret(profile.auth_key, self.inventory_dir),
                    privKey=resolve_secret(profile.priv_key, self.inventory_dir),
                    authProtocol=AUTH[profile.auth_protocol],
                    privProtocol=PRIV[profile.priv_protocol],
                )
        return self._auth[profile.name]

    async def poll(self, device: Device, profile: SnmpProfile, interfaces: Iterable[str] | None = None) -> DeviceSample:
        """Poll sysUpTime and the IF-MIB columns of ``interfaces`` (default: all the inventory lists).

        Raises:
            DeviceUnreachable: no answer within timeout × retries.
            SnmpError: the device answered with an error status.
        """
        try:
            return await self._poll(device, profile, interfaces)
        except DeviceUnreachable:
            if profile.version is SnmpVersion.V3:
                # perhaps the agent restarted (engineBoots went up): rediscover its engine next time
                self._forget_peer(str(device.mgmt_address), profile.port)
            raise

    def _forget_peer(self, address: str, port: int) -> bool:
        """Drop what pysnmp cached of a peer's SNMPv3 engine (ID, boots, time).

        pysnmp 7.1 keeps the boots/time it learned and never re-synchronizes after the peer restarts
        (seen in the lab: every request times out until the cache is dropped; net-snmp's CLI, which
        rediscovers, works). Both caches are private attributes, so this degrades to a no-op if they move.
        """
        mp = self.engine.message_processing_subsystems.get(3)
        usm = self.engine.security_models.get(3)
        engine_ids: dict[Any, Any] = getattr(mp, "_SnmpV3MessageProcessingModel__engineIdCache", {})
        timeline: dict[Any, Any] = getattr(usm, "_SnmpUSMSecurityModel__timeline", {})
        forgot = False
        for key in [k for k in engine_ids if k[1] == (address, port)]:
            timeline.pop(engine_ids[key].get("securityEngineId"), None)
            del engine_ids[key]
            forgot = True
        return forgot

    async def _poll(self, device: Device, profile: SnmpProfile, interfaces: Iterable[str] | None) -> DeviceSample:
        start = time.monotonic()
        names = list(interfaces if interfaces is not None else (i.name for i in device.interfaces))
        auth = self._auth_data(profile)
        target = await UdpTransportTarget.create(
            (str(device.mgmt_address), profile.port), timeout=self.timeout, retries=self.retries
        )
        cache = self._cache.setdefault(device.name, _DeviceCache())
        head = await self._get(device, profile, auth, target, [SYS_UPTIME, IF_NUMBER])
        uptime, if_number = _number(head.get(SYS_UPTIME)), _number(head.get(IF_NUMBER))
        if uptime is None:
            raise DeviceMisbehaves(
                f"{device.name}: no sysUpTime (or not TimeTicks) in its answer; its counters cannot be timed",
                device.name,
                "no-sysuptime",
            )
        stale = cache.if_number != if_number or cache.uptime is None or uptime < cache.uptime
        if stale or any(n not in cache.index for n in names):
            cache.index = await self._interface_index(device, profile, auth, target)
            cache.if_number = if_number
        cache.uptime = uptime
        present = [n for n in names if n in cache.index]
        missing = tuple(n for n in names if n not in cache.index)
        values, counter_uptime, problems = await self._columns(
            device, profile, auth, target, cache, [cache.index[n] for n in present]
        )
        timestamp = time.time()
        # the counters' own sysUpTime (read in the same PDU) dates them, not the earlier head request's
        uptime = counter_uptime if counter_uptime is not None else uptime
        samples = {}
        for name in present:
            idx = cache.index[name]
            col = values.get(idx, {})
            high, speed = col.get("high_speed"), col.get("speed")
            speed_bps = high * 1_000_000 if high else speed if speed and speed != SPEED_UNKNOWN else None
            samples[name] = InterfaceSample(
                name=name,
                if_index=idx,
                in_octets=col.get("in_octets"),
                out_octets=col.get("out_octets"),
                counter_bits=64 if cache.hc else 32,
                in_errors=col.get("in_errors"),
                out_errors=col.get("out_errors"),
                in_discards=col.get("in_discards"),
                out_discards=col.get("out_discards"),
                oper_up=None if col.get("oper") is None else col["oper"] == 1,
                admin_up=None if col.get("admin") is None else col["admin"] == 1,
                speed_bps=speed_bps,
            )
        duration = time.monotonic() - start
        log.debug("snmp poll %s: %d interfaces in %.3f s", device.name, len(samples), duration)
        return DeviceSample(device.name, timestamp, uptime, samples, missing, duration, tuple(sorted(problems)))

    async def _columns(
        self, device: Device, profile: SnmpProfile, auth: Any, target: Any, cache: _DeviceCache, indexes: list[int]
    ) -> tuple[dict[int, dict[str, int]], int | None, set[str]]:
        """Per ifIndex, the columns' values that are numbers; the counters' sysUpTime; the columns that
        came back with another type (named, for the device's problems: left out, never computed with)."""
        columns = {**(HC_COLUMNS if cache.hc else LEGACY_COLUMNS), **STATUS_COLUMNS}
        if len(indexes) >= self.bulk_from:
            walked, walked_uptime, problems = await self._bulk_columns(
                device, profile, auth, target, columns, set(indexes)
            )
            if cache.hc and indexes and all("in_octets" not in walked.get(i, {}) for i in indexes):
                cache.hc = False
                return await self._columns(device, profile, auth, target, cache, indexes)
            return walked, walked_uptime, problems
        oids = [(f"{prefix}.{idx}", idx, name) for idx in indexes for name, prefix in columns.items()]
        chunks = [oids[i : i + VARBINDS_PER_GET] for i in range(0, len(oids), VARBINDS_PER_GET)]
        answers = await asyncio.gather(
            *(self._get(device, profile, auth, target, [SYS_UPTIME, *(oid for oid, _, _ in chunk)]) for chunk in chunks)
        )
        uptime = _number(answers[0].get(SYS_UPTIME)) if answers else None
        result: dict[int, dict[str, int]] = {}
        wrong: set[str] = set()
        for chunk, answer in zip(chunks, answers, strict=True):
            for oid, idx, name in chunk:
                value = answer.get(oid)
                if value is None:
                    continue
                number = _number(value)
                if number is None:
                    wrong.add(f"wrong-type:{name}")
                else:
                    result.setdefault(idx, {})[name] = number
        if cache.hc and indexes and all("in_octets" not in result.get(i, {}) for i in indexes):
            cache.hc = False  # no ifXTable HC counters on this device: fall back to the 32-bit ifTable
            log.info("%s has no ifHC counters; using 32-bit ifInOctets/ifOutOctets", device.name)
            return await self._columns(device, profile, auth, target, cache, indexes)
        return result, uptime, wrong

    async def _bulk_columns(
        self, device: Device, profile: SnmpProfile, auth: Any, target: Any, columns: dict[str, str], wanted: set[int]
    ) -> tuple[dict[int, dict[str, int]], int | None, set[str]]:
        """Walk all ``columns`` together with GETBULK (one request covers a row range of every column):
        for many interfaces this is far fewer, smaller requests than GETs of each instance.

        Raises:
            DeviceMisbehaves: a column's OIDs do not increase, or it runs past MAX_WALK_ROWS rows.
        """
        pending = dict(columns)  # name -> last OID seen (starts at the column itself)
        last: dict[str, tuple[int, ...]] = {name: _oid(prefix) for name, prefix in columns.items()}
        prefixes = {name: prefix + "." for name, prefix in columns.items()}
        result: dict[int, dict[str, int]] = {}
        problems: set[str] = set()
        rows = 0
        uptime: int | None = None
        first = True
        while pending:
            names = list(pending)
            request = ([RawVarBind(SYS_UPTIME.rsplit(".", 1)[0])] if first else []) + [
                RawVarBind(pending[n]) for n in names
            ]
            non_repeaters = 1 if first else 0
            var_binds = await self._request(
                device, profile, auth, target, GETBULK, request, non_repeaters, BULK_REPETITIONS
            )
            if first and var_binds:
                uptime = _number(var_binds[0][1]) if str(var_binds[0][0]) == SYS_UPTIME else None
                var_binds = var_binds[1:]
            first = False
            width = len(names)
            progressed = False
            for i, (text, value) in enumerate(var_binds):
                name = names[i % width]
                if name not in pending:
                    continue
                if isinstance(value, EndOfMibView) or not text.startswith(prefixes[name]):
                    del pending[name]  # walked past this column
                    continue
                now = _oid(text)
                if now <= last[name]:
                    raise DeviceMisbehaves(
                        f"{device.name}: the walk of {columns[name]} went from {pending[name]} back to {text} "
                        "(OIDs must increase); the device's agent loops",
                        device.name,
                        "non-increasing",
                    )
                rows += 1
                if rows > MAX_WALK_ROWS * len(columns):
                    raise DeviceMisbehaves(
                        f"{device.name}: the walk of its interface columns passed {MAX_WALK_ROWS} rows a column; "
                        "its table does not end",
                        device.name,
                        "walk-limit",
                    )
                last[name], pending[name] = now, text
                progressed = True
                idx = now[-1]
                if idx in wanted:
                    number = _number(value)
                    if number is None:
                        problems.add(f"wrong-type:{name}")
                    else:
                        result.setdefault(idx, {})[name] = number
            if not progressed:
                break
        return result, uptime, problems

    async def neighbor(
        self, device: Device, profile: SnmpProfile, interface: str, address: IPv4Address | IPv6Address
    ) -> Neighbor | None:
        """The ARP/ND entry ``device`` holds for ``address`` on ``interface`` (IP-MIB ipNetToPhysicalTable,
        ipNetToMediaTable as fallback), or None when it has none or only an unresolved one."""
        auth = self._auth_data(profile)
        target = await UdpTransportTarget.create(
            (str(device.mgmt_address), profile.port), timeout=self.timeout, retries=self.retries
        )
        cache = self._cache.setdefault(device.name, _DeviceCache())
        if interface not in cache.index:
            cache.index = await self._interface_index(device, profile, auth, target)
        idx = cache.index.get(interface)
        if idx is None:
            raise SnmpError(f"{device.name} has no interface named {interface} (SNMP ifName/ifDescr)", device.name)
        octets = ".".join(str(b) for b in address.packed)
        suffix = f"{idx}.{1 if address.version == 4 else 2}.{len(address.packed)}.{octets}"
        oids = [f"{IP_NET_TO_PHYSICAL_ADDRESS}.{suffix}", f"{IP_NET_TO_PHYSICAL_STATE}.{suffix}"]
        if address.version == 4:
            oids.append(f"{IP_NET_TO_MEDIA_ADDRESS}.{idx}.{octets}")
        answer = await self._get(device, profile, auth, target, oids)
        state = answer.get(oids[1])
        for oid in (oids[0], *oids[2:]):
            raw = answer.get(oid)
            if raw is None or not hasattr(raw, "asOctets"):
                continue
            mac = raw.asOctets()
            if mac and any(mac):
                return Neighbor(
                    ":".join(f"{b:02x}" for b in mac),
                    NEIGHBOR_STATES.get(state, "unknown") if isinstance(state, int) else "unknown",
                )
        return None

    async def system(self, device: Device, profile: SnmpProfile) -> SystemSample:
        """Device health where the device offers it: CPU load (HOST-RESOURCES-MIB hrProcessorLoad, the mean of
        all processors), memory (UCD-SNMP-MIB memTotalReal/memAvailReal) and its clock (hrSystemDate)."""
        auth = self._auth_data(profile)
        target = await UdpTransportTarget.create(
            (str(device.mgmt_address), profile.port), timeout=self.timeout, retries=self.retries
        )
        answer = await self._get(
            device, profile, auth, target, [MEM_TOTAL_REAL, MEM_AVAIL_REAL, HR_SYSTEM_DATE, HR_SYSTEM_UPTIME]
        )
        walked = await self._walk_column(device, profile, auth, target, HR_PROCESSOR_LOAD)
        loads = [n for n in map(_number, walked) if n is not None]
        processors = len(loads) or len(await self._walk_column(device, profile, auth, target, HR_PROCESSOR_FRWID))
        date = answer.get(HR_SYSTEM_DATE)
        return SystemSample(
            cpu_load_pct=sum(loads) / len(loads) if loads else None,
            memory_total_kb=_number(answer.get(MEM_TOTAL_REAL)),
            memory_available_kb=_number(answer.get(MEM_AVAIL_REAL)),
            date=date if isinstance(date, bytes) else bytes(date.asOctets()) if date is not None else None,
            read_at=time.time(),
            host_uptime_ticks=_number(answer.get(HR_SYSTEM_UPTIME)),
            processors=processors,
        )

    async def last_change(self, device: Device, profile: SnmpProfile, interfaces: Iterable[str]) -> dict[str, float]:
        """Seconds since each interface's oper status last changed (IF-MIB ifLastChange against sysUpTime,
        read in one PDU). An interface unchanged since the agent started reports ifLastChange 0: then the
        answer is the agent's uptime, a lower bound. Interfaces the device does not list are left out."""
        auth = self._auth_data(profile)
        target = await UdpTransportTarget.create(
            (str(device.mgmt_address), profile.port), timeout=self.timeout, retries=self.retries
        )
        cache = self._cache.setdefault(device.name, _DeviceCache())
        names = list(interfaces)
        if any(n not in cache.index for n in names):
            cache.index = await self._interface_index(device, profile, auth, target)
        present = [n for n in names if n in cache.index]
        oids = [f"{IF_LAST_CHANGE}.{cache.index[n]}" for n in present]
        answer = await self._get(device, profile, auth, target, [SYS_UPTIME, *oids])
        uptime = _number(answer.get(SYS_UPTIME))
        out = {}
        for name, oid in zip(present, oids, strict=True):
            changed = _number(answer.get(oid))
            if uptime is not None and changed is not None:
                out[name] = (uptime - changed) % 2**32 / 100  # TimeTicks wrap after 497 days
        return out

    async def _walk_column(
        self, device: Device, profile: SnmpProfile, auth: Any, target: Any, column: str
    ) -> list[Any]:
        """The column's values, whatever their type."""
        values: list[Any] = []
        last: tuple[int, ...] = ()
        async with self._in_flight:
            async for err_ind, err_stat, err_idx, var_binds in bulk_walk_cmd(
                self.engine,
                auth,
                target,
                ContextData(),
                0,
                25,
                ObjectType(ObjectIdentity(column)),  # walks index the varbind: a RawVarBind will not do
                lexicographicMode=False,
                lookupMib=False,
            ):
                self._check(device, profile, err_ind, err_stat, err_idx)
                last = _advance(device, column, last, var_binds)
                values += [v for _, v in var_binds]
                _limit(device, column, len(values))
        return values

    async def _interface_index(self, device: Device, profile: SnmpProfile, auth: Any, target: Any) -> dict[str, int]:
        index = await self._walk(device, profile, auth, target, IF_NAME)
        if not index:
            index = await self._walk(device, profile, auth, target, IF_DESCR)
        return index

    async def _get(
        self, device: Device, profile: SnmpProfile, auth: Any, target: Any, oids: Sequence[str]
    ) -> dict[str, Any]:
        var_binds = await self._request(device, profile, auth, target, GET, [RawVarBind(o) for o in oids])
        out: dict[str, Any] = {}
        for oid, value in var_binds:
            if isinstance(value, NoSuchObject | NoSuchInstance | EndOfMibView):
                continue
            number = _number(value)
            out[oid] = value if number is None else number
        return out

    async def _request(
        self,
        device: Device,
        profile: SnmpProfile,
        auth: Any,
        target: Any,
        pdu: int,
        request: Sequence[RawVarBind],
        non_repeaters: int = 0,
        repetitions: int = 0,
    ) -> list[tuple[str, Any]]:
        """One GET or GETBULK: (dotted OID, value) pairs. SNMPv2c goes through :mod:`collectors.snmp_wire`
        (pysnmp's pyasn1 decoding was three quarters of a poll's CPU); SNMPv3 through pysnmp."""
        async with self._in_flight:
            if profile.version is SnmpVersion.V2C:
                response = await self._v2c.request(
                    str(device.mgmt_address),
                    profile.port,
                    self._community[profile.name],
                    pdu,
                    [r.oid for r in request],
                    self.timeout,
                    self.retries,
                    non_repeaters,
                    repetitions,
                )
                if response is None:
                    raise DeviceUnreachable(device.name, str(device.mgmt_address), "SNMP v2c", profile.name)
                if response.error_status:
                    status = ERROR_STATUS.get(response.error_status, str(response.error_status))
                    raise SnmpError(
                        f"{device.name}: SNMP error {status} at varbind {response.error_index}", device.name
                    )
                return response.varbinds
            if pdu == GETBULK:
                err_ind, err_stat, err_idx, var_binds = await bulk_cmd(
                    self.engine, auth, target, ContextData(), non_repeaters, repetitions, *request, lookupMib=False
                )
            else:
                err_ind, err_stat, err_idx, var_binds = await get_cmd(
                    self.engine, auth, target, ContextData(), *request, lookupMib=False
                )
        self._check(device, profile, err_ind, err_stat, err_idx)
        return [(str(oid), value) for oid, value in var_binds]

    async def _walk(self, device: Device, profile: SnmpProfile, auth: Any, target: Any, column: str) -> dict[str, int]:
        names: dict[str, int] = {}
        rows = 0
        last: tuple[int, ...] = ()
        async with self._in_flight:
            async for err_ind, err_stat, err_idx, var_binds in bulk_walk_cmd(
                self.engine,
                auth,
                target,
                ContextData(),
                0,
                50,
                ObjectType(ObjectIdentity(column)),
                lexicographicMode=False,
                lookupMib=False,
            ):
                self._check(device, profile, err_ind, err_stat, err_idx)
                last = _advance(device, column, last, var_binds)
                for oid, value in var_binds:
                    if isinstance(value, NoSuchObject | NoSuchInstance | EndOfMibView):
                        continue
                    rows += 1
                    names.setdefault(interface_name(value), int(str(oid).rsplit(".", 1)[1]))
                _limit(device, column, rows)
        return names

    def _check(self, device: Device, profile: SnmpProfile, err_ind: Any, err_stat: Any, err_idx: Any) -> None:
        if err_ind:
            text = str(err_ind)
            if "timeout" in text.lower() or "timed out" in text.lower():
                raise DeviceUnreachable(device.name, str(device.mgmt_address), f"SNMP {profile.version}", profile.name)
            if any(word in text for word in ("digest", "USM user", "decrypt")):
                raise CredentialsRejected(device.name, str(device.mgmt_address), profile.name, text)
            if "increasing" in text.lower():
                raise DeviceMisbehaves(
                    f"{device.name}: {text} in a walk; the device's agent loops", device.name, "non-increasing"
                )
            raise SnmpError(f"{device.name}: {text} (credential profile '{profile.name}')", device.name)
        if err_stat:
            raise SnmpError(f"{device.name}: SNMP error {err_stat.prettyPrint()} at varbind {err_idx}", device.name)


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _advance(device: Device, column: str, last: tuple[int, ...], var_binds: Any) -> tuple[int, ...]:
    """The last OID of a walk's answer, after checking that the answer's OIDs increase (pysnmp's walk
    does not: an agent that answers the same OID again would be walked until the deadline).

    Raises:
        DeviceMisbehaves: an OID not after the one before it.
    """
    for oid, _ in var_binds:
        now = tuple(oid)
        if now <= last:
            raise DeviceMisbehaves(
                f"{device.name}: the walk of {column} went back to {oid} (OIDs must increase); its agent loops",
                device.name,
                "non-increasing",
            )
        last = now
    return last


def _limit(device: Device, column: str, rows: int) -> None:
    if rows > MAX_WALK_ROWS:
        raise DeviceMisbehaves(
            f"{device.name}: the walk of {column} passed {MAX_WALK_ROWS} rows; its table does not end",
            device.name,
            "walk-limit",
        )


def interface_name(value: Any) -> str:
    """An interface name (ifName/ifDescr, DisplayString) as text: trailing NULs and padding stripped (some
    agents send C strings whole), UTF-8 where it decodes, else Latin-1 (every byte is a character there)."""
    raw = (
        bytes(value.asOctets())
        if hasattr(value, "asOctets")
        else bytes(value)
        if isinstance(value, bytes)
        else str(value).encode()
    )
    raw = raw.rstrip(b"\x00").strip()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _number(value: Any) -> int | None:
    """An integer-typed SNMP value (INTEGER, Counter, Gauge, TimeTicks) as int; None for any other type
    (an OCTET STRING holding digits is not a number: a device that sends one for a counter is wrong)."""
    if value is None or isinstance(value, bool | bytes | str) or hasattr(value, "asOctets"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
