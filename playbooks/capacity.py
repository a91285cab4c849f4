"""The hosting SOP's capacity step (``pantau capacity``): every server of the inventory read over SNMP
(HOST-RESOURCES-MIB), the reading kept, each server's use, trend and headroom, and where a new application
fits (``pantau capacity check``), as a document for the request file.

A server is a device whose kind is ``server`` and that has an SNMP profile; one that does not answer is
listed with its error and counts nowhere, never as empty.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collectors.errors import CollectorError
from collectors.probes import Probes
from collectors.snmp_host import CapacitySample
from core.capacity import TREND_DAYS, Fit, Need, Reading, headroom, place, trend
from exporters.capacity_report import ServerState, render_capacity
from inventory.errors import InventoryError
from inventory.models import Device, DeviceKind, Inventory
from playbooks.documents import letterhead, write_document
from store import capacity as readings
from store.engine import Store

log = logging.getLogger(__name__)


def servers(inv: Inventory) -> list[Device]:
    """The devices pantau reads the capacity of: servers with an SNMP profile."""
    return [d for d in inv.devices if d.kind is DeviceKind.SERVER and d.snmp is not None]


def to_reading(sample: CapacitySample) -> Reading:
    """A sample as a reading: the load in vCPUs, the disk with the most room (where an application goes)."""
    disk = max(sample.disks, key=lambda d: d.size - d.used, default=None)
    cpu_used = None if sample.cpu_load_pct is None else sample.cpu_load_pct / 100 * sample.processors
    return Reading(
        sample.read_at,
        sample.processors,
        cpu_used,
        sample.ram_bytes,
        sample.ram_used_bytes,
        disk.size if disk else None,
        disk.used if disk else None,
        disk.mount if disk else None,
    )


async def _read(inv: Inventory, probes: Probes, timeout: float, deadline: float) -> dict[str, Reading | str]:
    """Each server's reading, or why there is none: one that answers slowly is cut at ``deadline`` seconds
    and one whose answer trips a defect is that server's error, never the others'."""

    async def one(device: Device, profile: str) -> Reading | str:
        collector = probes.snmp(timeout=timeout, retries=1)
        try:
            async with asyncio.timeout(deadline):
                return to_reading(await collector.capacity(device, inv.snmp_profile(profile)))
        except TimeoutError:
            return f"{device.name}: no complete answer within {deadline:g} s"
        except (CollectorError, InventoryError) as exc:
            return str(exc)
        except Exception as exc:  # a defect one server's answer triggered: its row says so, the others stand
            log.exception("capacity of %s failed", device.name, extra={"device": device.name})
            return f"{device.name}: {type(exc).__name__}: {exc}"
        finally:
            collector.close()

    chosen = servers(inv)
    got = await asyncio.gather(*(one(d, d.snmp) for d in chosen if d.snmp is not None))
    return {d.name: r for d, r in zip(chosen, got, strict=True)}


def read(store: Store, inv: Inventory, probes: Probes, timeout: float, deadline: float) -> list[ServerState]:
    """Read every server now, keep the readings, and give each server's state with its trend."""
    return states(store, asyncio.run(_read(inv, probes, timeout, deadline)))


async def read_async(
    store: Store, inv: Inventory, probes: Probes, timeout: float, deadline: float
) -> list[ServerState]:
    """:func:`read` on a running event loop (the agent's hourly job): the store is written from a thread."""
    now = await _read(inv, probes, timeout, deadline)
    return await asyncio.to_thread(states, store, now)


def states(store: Store, now: dict[str, Reading | str]) -> list[ServerState]:
    """Keep ``now``'s readings, and give each server's state with its trend over the readings kept."""
    readings.add(store, {name: r for name, r in now.items() if isinstance(r, Reading)})
    start = datetime.now(UTC) - timedelta(days=TREND_DAYS)
    history = readings.since(store, list(now), start)
    out = []
    for name, r in now.items():
        if isinstance(r, str):
            out.append(ServerState(name, None, r, None, None, None))
            continue
        kept = history.get(name, [])
        ram = [(x.at, float(x.ram_used)) for x in kept if x.ram_used is not None]
        # the same file system's use only: the disk with most room may change from one reading to the next
        disk = [(x.at, float(x.disk_used)) for x in kept if x.disk_used is not None and x.disk_mount == r.disk_mount]
        out.append(
            ServerState(
                name,
                r,
                None,
                headroom(r),
                trend(ram, float(r.ram)) if r.ram else None,
                trend(disk, float(r.disk)) if r.disk else None,
            )
        )
    return out


def check(states: list[ServerState], need: Need) -> list[Fit]:
    """Where ``need`` fits among the servers that answered (see :func:`core.capacity.place`)."""
    return list(place({s.name: s.reading for s in states if s.reading is not None}, need))


def write(
    states: list[ServerState],
    inv: Inventory,
    directory: Path,
    langs: list[str],
    need: Need | None = None,
    fits: list[Fit] | None = None,
) -> list[Path]:
    """The capacity document in each of ``langs`` (Markdown, HTML, PDF) in ``directory``; the paths."""
    at = datetime.now(ZoneInfo(inv.agency.timezone))
    kop = letterhead(inv)
    paths = []
    for lang in langs:
        args = (states, at, inv.agency.sops.hosting.label, kop, need, fits or [], lang)
        md, html = render_capacity(*args, fmt="md"), render_capacity(*args, fmt="html")
        paths += write_document(directory, f"kapasitas-{at:%Y%m%d-%H%M}.{lang}", md, html)
    return paths
