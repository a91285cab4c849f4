"""The zoo's devices as snmpsim recordings: the real walks that ship with snmpsim, and one generated
recording per behaviour pantau must survive. Each recording is served under its name as the community."""

from __future__ import annotations

import shutil
from pathlib import Path

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF = "1.3.6.1.2.1.2.2.1"  # ifTable entry: .2 descr .5 speed .7 admin .8 oper .10 in .13/.14 in discards/errors
IFX = "1.3.6.1.2.1.31.1.1.1"  # ifXTable entry: .1 name .6 HC in .10 HC out .15 high speed .18 alias
UPTIME_TICKING = f"{SYS_UPTIME}|67:numeric|rate=100"  # TimeTicks since snmpsim started

#: real walks (snmpsim/data/recorded) and what they bring
REAL = {
    "winxp": "winxp-full-walk.snmprec",  # ifDescr NUL-terminated, ifIndex 1/65539/65540, 32-bit counters only
    "linux": "linux-full-walk.snmprec",  # ifXTable with ifName and 64-bit counters
}
WRAP_SPEED = 4_000_000_000  # wrap32's ifSpeed (the most a Gauge32 ifSpeed can say)
WRAP_IN_BPS = 1_120_000_000  # 140 MB/s in: the 32-bit counter wraps every 30.7 s
WRAP_OUT_BPS = 80_000_000


def _table(name: str, hc: bool = True, extra: tuple[str, ...] = ()) -> list[str]:
    """A one-interface device with ticking counters (1 Mbit/s in, 0.5 Mbit/s out)."""
    rows = [
        UPTIME_TICKING,
        f"{IF_NUMBER}|2|1",
        f"{IF}.2.1|4|{name}",
        f"{IF}.5.1|66|100000000",
        f"{IF}.7.1|2|1",
        f"{IF}.8.1|2|1",
        f"{IF}.13.1|65|0",
        f"{IF}.14.1|65|0",
        f"{IF}.19.1|65|0",
        f"{IF}.20.1|65|0",
    ]
    if hc:
        rows += [
            f"{IFX}.1.1|4|{name}",
            f"{IFX}.6.1|70:numeric|rate=125000",
            f"{IFX}.10.1|70:numeric|rate=62500",
            f"{IFX}.15.1|66|100",
        ]
    else:
        rows += [f"{IF}.10.1|65:numeric|rate=125000,wrap=1", f"{IF}.16.1|65:numeric|rate=62500,wrap=1"]
    return [*rows, *extra]


def generated() -> dict[str, list[str]]:
    """Recording lines by community; each behaviour in one device."""
    return {
        # 32-bit counters only, no ifName: wraps at a known rate (its ifSpeed makes a wrap believable)
        "wrap32": [
            UPTIME_TICKING,
            f"{IF_NUMBER}|2|1",
            f"{IF}.2.1|4|wan0",
            f"{IF}.5.1|66|{WRAP_SPEED}",
            f"{IF}.7.1|2|1",
            f"{IF}.8.1|2|1",
            f"{IF}.10.1|65:numeric|rate={WRAP_IN_BPS // 8},wrap=1",
            f"{IF}.16.1|65:numeric|rate={WRAP_OUT_BPS // 8},wrap=1",
        ],
        # restarts every 30 s: sysUpTime and the counters go back together
        "reset": [
            f"{SYS_UPTIME}|67:numeric|rate=100,function=fmod%<time>%3000",
            f"{IF_NUMBER}|2|1",
            f"{IF}.2.1|4|eth0",
            f"{IF}.7.1|2|1",
            f"{IF}.8.1|2|1",
            f"{IFX}.1.1|4|eth0",
            f"{IFX}.6.1|70:numeric|rate=1000000,function=fmod%<time>%30000000",
            f"{IFX}.10.1|70:numeric|rate=1000000,function=fmod%<time>%30000000",
            f"{IFX}.15.1|66|1000",
        ],
        # counters that never move (an agent whose cache froze)
        "frozen": [
            line.replace(":numeric|rate=125000", "|987654321").replace(":numeric|rate=62500", "|123456789")
            for line in _table("eth0")
        ],
        # wrong types: a counter as an OCTET STRING of digits, ifHighSpeed as text
        "badtypes": [
            *(line for line in _table("eth0") if not line.startswith((f"{IFX}.6.1|", f"{IFX}.15.1|"))),
            f"{IFX}.6.1|4|12345",
            f"{IFX}.15.1|4|1000",
        ],
        # no sysUpTime at all: its counters cannot be timed
        "nouptime": [line for line in _table("eth0") if not line.startswith(SYS_UPTIME)],
        # objects missing here and there: noSuchInstance in GETs, the end of the MIB in walks
        "nosuch": [line for line in _table("eth0") if not line.startswith((f"{IFX}.10.1|", f"{IF}.8.1|"))],
        # a name in Latin-1 with a NUL pad (not UTF-8), sent as hex
        "hexname": [
            *(line for line in _table("x") if not line.startswith((f"{IF}.2.1|", f"{IFX}.1.1|"))),
            f"{IF}.2.1|4x|{'LAN-Verbindung ä'.encode('latin-1').hex()}00",
            f"{IFX}.1.1|4x|{'LAN-Verbindung ä'.encode('latin-1').hex()}00",
        ],
        # an ifAlias of 1 MB (pantau reads it only for a name not found by ifName or ifDescr: never here)
        "bigalias": [*_table("eth0"), f"{IFX}.18.1|4|{'x' * 1_000_000}"],
        # names, and nothing else of its interfaces readable (a view that hides the tables): no data, not up
        "nodata": [
            line for line in _table("eth0") if line.startswith((SYS_UPTIME, IF_NUMBER, f"{IF}.2.1|", f"{IFX}.1.1|"))
        ],
        # Cisco IOS names: ifName short, ifDescr long, ifAlias the port's description; port 2's description
        # is port 1's short name (1 Mbit/s in on port 1, 2 Mbit/s on port 2)
        "cisco": _cisco(),
        # FortiGate: ports named in ifName, ifDescr empty, the port's alias in ifAlias
        "fortigate": _fortigate(),
        # Junos: ifDescr only (no ifName column), sparse indexes, the logical unit beside its physical port
        "junos": _junos(),
        # MikroTik: a PPPoE client and a wireless interface whose ifHighSpeed says 10 Mbit/s while each
        # carries 20 Mbit/s in (RouterOS gives such virtual interfaces a nominal speed)
        "mikrotik": _mikrotik(),
        # Ruijie RGOS: ifName short (Te0/30), ifDescr as its CLI writes it, with a space
        "ruijie": [
            UPTIME_TICKING,
            f"{IF_NUMBER}|2|2",
            *_port(30, "TenGigabitEthernet 0/30", "Te0/30", 1_000_000, 10_000),
            *_port(31, "TenGigabitEthernet 0/31", "Te0/31", 3_000_000, 10_000),
        ],
        # EdgeOS: Linux's names, a VLAN subinterface beside its parent
        "edgerouter": [
            UPTIME_TICKING,
            f"{IF_NUMBER}|2|2",
            *_port(3, "eth1", "eth1", 3_000_000, 1000),
            *_port(9, "eth1.20", "eth1.20", 1_000_000, 1000),
        ],
    }


def _cisco() -> list[str]:
    rows = [UPTIME_TICKING, f"{IF_NUMBER}|2|2"]
    for idx, alias, rate in ((1, "ke-dinkes", 125000), (2, "Gi1/0/1", 250000)):
        rows += [
            f"{IF}.2.{idx}|4|GigabitEthernet1/0/{idx}",
            f"{IF}.5.{idx}|66|1000000000",
            f"{IF}.7.{idx}|2|1",
            f"{IF}.8.{idx}|2|1",
            f"{IFX}.1.{idx}|4|Gi1/0/{idx}",
            f"{IFX}.6.{idx}|70:numeric|rate={rate}",
            f"{IFX}.10.{idx}|70:numeric|rate={rate // 2}",
            f"{IFX}.15.{idx}|66|1000",
            f"{IFX}.18.{idx}|4|{alias}",
        ]
    return rows


def _port(idx: int, descr: str, name: str | None, in_bps: int, high_speed: int, alias: str = "") -> list[str]:
    """One interface: ifTable's status, ifXTable's 64-bit counters (out at half the rate in)."""
    rows = [
        f"{IF}.2.{idx}|4|{descr}",
        f"{IF}.5.{idx}|66|{min(high_speed * 1_000_000, 4_294_967_295)}",
        f"{IF}.7.{idx}|2|1",
        f"{IF}.8.{idx}|2|1",
        f"{IFX}.6.{idx}|70:numeric|rate={in_bps // 8}",
        f"{IFX}.10.{idx}|70:numeric|rate={in_bps // 16}",
        f"{IFX}.15.{idx}|66|{high_speed}",
    ]
    if name is not None:
        rows.append(f"{IFX}.1.{idx}|4|{name}")
    if alias:
        rows.append(f"{IFX}.18.{idx}|4|{alias}")
    return rows


def _fortigate() -> list[str]:
    return [
        UPTIME_TICKING,
        f"{IF_NUMBER}|2|2",
        *_port(1, "", "port1", 1_000_000, 1000, alias="ke-dinkes"),
        *_port(5, "", "wan1", 4_000_000, 1000, alias="ISP"),
    ]


def _junos() -> list[str]:
    return [
        UPTIME_TICKING,
        f"{IF_NUMBER}|2|2",
        *_port(513, "ge-0/0/1", None, 3_000_000, 1000),
        *_port(530, "ge-0/0/1.0", None, 1_000_000, 1000),
    ]


MIKROTIK_BPS = 20_000_000  # in, on each of its virtual interfaces (twice the speed they report)


def _mikrotik() -> list[str]:
    return [
        UPTIME_TICKING,
        f"{IF_NUMBER}|2|3",
        *_port(1, "ether1", "ether1", 1_000_000, 1000),
        *_port(7, "pppoe-out1", "pppoe-out1", MIKROTIK_BPS, 10),
        *_port(8, "wlan1", "wlan1", MIKROTIK_BPS, 10),
    ]


def _oid_key(line: str) -> tuple[int, ...]:
    return tuple(int(part) for part in line.split("|", 1)[0].split("."))


def write(directory: Path, snmpsim_package: Path) -> list[str]:
    """Write every recording into ``directory`` (the real ones from the installed snmpsim package)."""
    directory.mkdir(parents=True, exist_ok=True)
    shipped = snmpsim_package / "data" / "recorded"
    for community, name in REAL.items():
        shutil.copyfile(shipped / name, directory / f"{community}.snmprec")
    for community, lines in generated().items():
        text = "\n".join(sorted(lines, key=_oid_key)) + "\n"
        (directory / f"{community}.snmprec").write_text(text, encoding="utf-8")
    return [*REAL, *generated()]
