"""Servers' capacity readings in the store: kept each time the servers are read, read back for the trend."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.capacity import Reading
from store.schema import CapacityReading


def add(store: Engine, readings: dict[str, Reading]) -> None:
    """Keep one reading per server, in one transaction."""
    with Session(store) as s, s.begin():
        for device, r in readings.items():
            s.add(
                CapacityReading(
                    device=device,
                    at=datetime.fromtimestamp(r.at, UTC),
                    vcpus=r.vcpus,
                    cpu_used=r.cpu_used,
                    ram=r.ram,
                    ram_used=r.ram_used,
                    disk=r.disk,
                    disk_used=r.disk_used,
                    disk_mount=None if r.disk_mount is None else r.disk_mount[:255],
                )
            )


def since(store: Engine, devices: Iterable[str], start: datetime) -> dict[str, list[Reading]]:
    """Each of ``devices``' readings from ``start`` on, oldest first."""
    wanted = list(devices)
    out: dict[str, list[Reading]] = {d: [] for d in wanted}
    query = (
        select(CapacityReading)
        .where(CapacityReading.device.in_(wanted), CapacityReading.at >= start)
        .order_by(CapacityReading.device, CapacityReading.at)
    )
    with Session(store) as s:
        for row in s.scalars(query):
            out[row.device].append(
                Reading(
                    row.at.timestamp(),
                    row.vcpus,
                    row.cpu_used,
                    row.ram,
                    row.ram_used,
                    row.disk,
                    row.disk_used,
                    row.disk_mount,
                )
            )
    return out
