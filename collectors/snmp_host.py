"""What a device tells of itself beyond its interfaces: CPU, memory and clock (maintenance checks, triage),
one ARP/ND entry (the colocation live check), when an interface last changed state (triage)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from collectors.snmp_session import Session
from collectors.snmp_values import interface_name, number

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.9"  # sysUpTime when the interface's oper status last changed
IP_NET_TO_PHYSICAL_ADDRESS = "1.3.6.1.2.1.4.35.1.4"  # IP-MIB, index ifIndex.addrType.len.address
IP_NET_TO_PHYSICAL_STATE = "1.3.6.1.2.1.4.35.1.7"  # reachable(1) stale(2) delay(3) probe(4) ... incomplete(7)
IP_NET_TO_MEDIA_ADDRESS = "1.3.6.1.2.1.4.22.1.2"  # RFC 1213 fallback, index ifIndex.a.b.c.d
HR_PROCESSOR_FRWID = "1.3.6.1.2.1.25.3.3.1.1"  # one row per processor, there from the agent's start
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"  # net-snmp answers it after a minute of history
HR_SYSTEM_DATE = "1.3.6.1.2.1.25.1.2.0"
HR_SYSTEM_UPTIME = "1.3.6.1.2.1.25.1.1.0"  # the host's uptime; sysUpTime is the SNMP agent's
HR_MEMORY_SIZE = "1.3.6.1.2.1.25.2.2.0"  # KiB of RAM
HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"  # hrStorageEntry: .2 type .3 descr .4 allocation units .5 size .6 used
HR_STORAGE_FIXED_DISK = "1.3.6.1.2.1.25.2.1.4"
HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"
MEM_TOTAL_REAL = "1.3.6.1.4.1.2021.4.5.0"
MEM_SYS_AVAIL = "1.3.6.1.4.1.2021.4.27.0"  # UCD-SNMP-MIB memSysAvail (net-snmp 5.9): /proc/meminfo's MemAvailable
MEM_BUFFER = "1.3.6.1.4.1.2021.4.14.0"
MEM_CACHED = "1.3.6.1.4.1.2021.4.15.0"
MEM_AVAIL_REAL = "1.3.6.1.4.1.2021.4.6.0"
NEIGHBOR_STATES = {1: "reachable", 2: "stale", 3: "delay", 4: "probe", 5: "invalid", 6: "unknown", 7: "incomplete"}


@dataclass(frozen=True)
class SystemSample:
    cpu_load_pct: float | None
    memory_total_kb: int | None
    memory_available_kb: int | None
    date: bytes | None  # SNMPv2-TC DateAndTime
    read_at: float
    host_uptime_ticks: int | None = None
    processors: int = 0  # hrProcessorTable rows: the device offers CPU load, even before it has a value


@dataclass(frozen=True)
class Disk:
    """One fixed disk (a mounted file system) as hrStorageTable gives it, in bytes."""

    mount: str
    size: int
    used: int


@dataclass(frozen=True)
class CapacitySample:
    """A server's capacity as its SNMP agent tells it (HOST-RESOURCES-MIB; UCD-SNMP-MIB's available memory
    where the agent is net-snmp): processors and their mean load, RAM, the fixed disks. None: not offered."""

    processors: int
    cpu_load_pct: float | None
    ram_bytes: int | None
    ram_used_bytes: int | None  # without the kernel's reclaimable cache where the agent says what is available
    disks: tuple[Disk, ...]
    read_at: float


@dataclass(frozen=True)
class Neighbor:
    mac: str
    state: str  # IP-MIB IpNetToPhysicalState name; "unknown" when only ipNetToMediaTable answered


def _octets(value: object) -> bytes | None:
    if isinstance(value, bytes):
        return value
    as_octets = getattr(value, "asOctets", None)
    return bytes(as_octets()) if as_octets is not None else None


def available_kib(answer: dict[str, object]) -> int | None:
    """The memory free for new programs, KiB, from UCD-SNMP-MIB: memSysAvail (the kernel's MemAvailable)
    where the agent has it, else memAvailReal with the buffers and the page cache, which the kernel gives
    back (memAvailReal alone is MemFree: on a host that has read files for an hour it is a fraction of
    what is available)."""
    exact = number(answer.get(MEM_SYS_AVAIL))
    if exact is not None:
        return exact
    free = number(answer.get(MEM_AVAIL_REAL))
    if free is None:
        return None
    return free + (number(answer.get(MEM_BUFFER)) or 0) + (number(answer.get(MEM_CACHED)) or 0)


async def system(session: Session) -> SystemSample:
    """Device health where the device offers it: CPU load (HOST-RESOURCES-MIB hrProcessorLoad, the mean of
    all processors), memory (UCD-SNMP-MIB memTotalReal and what is available, :func:`available_kib`) and
    its clock (hrSystemDate)."""
    answer = await session.get(
        [MEM_TOTAL_REAL, MEM_AVAIL_REAL, MEM_SYS_AVAIL, MEM_BUFFER, MEM_CACHED, HR_SYSTEM_DATE, HR_SYSTEM_UPTIME]
    )
    loads = [n for n in (number(v) for _, v in await session.walk(HR_PROCESSOR_LOAD)) if n is not None]
    processors = len(loads) or len(await session.walk(HR_PROCESSOR_FRWID))
    return SystemSample(
        cpu_load_pct=sum(loads) / len(loads) if loads else None,
        memory_total_kb=number(answer.get(MEM_TOTAL_REAL)),
        memory_available_kb=available_kib(answer),
        date=_octets(answer.get(HR_SYSTEM_DATE)),
        read_at=time.time(),
        host_uptime_ticks=number(answer.get(HR_SYSTEM_UPTIME)),
        processors=processors,
    )


async def capacity(session: Session) -> CapacitySample:
    """What a server has and uses: hrProcessorTable (rows, mean hrProcessorLoad), hrMemorySize and the RAM
    row of hrStorageTable (UCD-SNMP-MIB's available memory where net-snmp offers it, :func:`available_kib`:
    used without the page cache, as ``free``'s "available" counts it), and every hrStorageFixedDisk row (its
    size and use times its allocation unit)."""
    answer = await session.get([HR_MEMORY_SIZE, MEM_AVAIL_REAL, MEM_SYS_AVAIL, MEM_BUFFER, MEM_CACHED])
    loads = [n for n in (number(v) for _, v in await session.walk(HR_PROCESSOR_LOAD)) if n is not None]
    processors = len(loads) or len(await session.walk(HR_PROCESSOR_FRWID))
    columns = {}
    for column in (2, 3, 4, 5, 6):
        columns[column] = {oid.rsplit(".", 1)[1]: value for oid, value in await session.walk(f"{HR_STORAGE}.{column}")}
    disks, ram_used = [], None
    for index, kind in columns[2].items():
        unit, size, used = (number(columns[c].get(index)) for c in (4, 5, 6))
        if not unit or size is None or used is None:
            continue
        if str(kind) in (HR_STORAGE_FIXED_DISK, "." + HR_STORAGE_FIXED_DISK) and size > 0:
            disks.append(Disk(interface_name(columns[3].get(index, b"")), size * unit, used * unit))
        elif str(kind) in (HR_STORAGE_RAM, "." + HR_STORAGE_RAM):
            ram_used = used * unit
    ram_kib = number(answer.get(HR_MEMORY_SIZE))
    available = available_kib(answer)
    ram = ram_kib * 1024 if ram_kib is not None else None
    if ram is not None and available is not None:
        ram_used = ram - available * 1024
    return CapacitySample(
        processors=processors,
        cpu_load_pct=sum(loads) / len(loads) if loads else None,
        ram_bytes=ram,
        ram_used_bytes=ram_used,
        disks=tuple(disks),
        read_at=time.time(),
    )


async def neighbor(session: Session, if_index: int, address: IPv4Address | IPv6Address) -> Neighbor | None:
    """The ARP/ND entry the device holds for ``address`` on interface ``if_index`` (IP-MIB
    ipNetToPhysicalTable, ipNetToMediaTable as fallback), or None when it has none or only an unresolved one."""
    octets = ".".join(str(b) for b in address.packed)
    suffix = f"{if_index}.{1 if address.version == 4 else 2}.{len(address.packed)}.{octets}"
    oids = [f"{IP_NET_TO_PHYSICAL_ADDRESS}.{suffix}", f"{IP_NET_TO_PHYSICAL_STATE}.{suffix}"]
    if address.version == 4:
        oids.append(f"{IP_NET_TO_MEDIA_ADDRESS}.{if_index}.{octets}")
    answer = await session.get(oids)
    state = answer.get(oids[1])
    for oid in (oids[0], *oids[2:]):
        mac = _octets(answer.get(oid))
        if mac and any(mac):
            return Neighbor(
                ":".join(f"{b:02x}" for b in mac),
                NEIGHBOR_STATES.get(state, "unknown") if isinstance(state, int) else "unknown",
            )
    return None


async def last_change(session: Session, indexes: dict[str, int]) -> dict[str, float]:
    """Seconds since each interface (name → ifIndex) last changed oper status (IF-MIB ifLastChange against
    sysUpTime, read in one PDU). An interface unchanged since the agent started reports ifLastChange 0: then
    the answer is the agent's uptime, a lower bound."""
    oids = {name: f"{IF_LAST_CHANGE}.{idx}" for name, idx in indexes.items()}
    answer = await session.get([SYS_UPTIME, *oids.values()])
    uptime = number(answer.get(SYS_UPTIME))
    out = {}
    for name, oid in oids.items():
        changed = number(answer.get(oid))
        if uptime is not None and changed is not None:
            out[name] = (uptime - changed) % 2**32 / 100  # TimeTicks wrap after 497 days
    return out
