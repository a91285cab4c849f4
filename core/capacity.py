"""The hosting SOP's capacity step: what each server has and uses, how its use grows, and where a new
application fits. Pure: the servers' readings are arguments.

A server's headroom is what it may still take while keeping ``reserve`` of each resource free (20 % by
default: room for the peaks the readings, taken now and then, do not see). CPU counts in vCPUs: a load of
50 % on 8 processors uses 4. The disk a new application goes on is the server's largest free file system.
A trend is the least-squares slope of the use over the readings of the last ``TREND_DAYS`` days, and the
days left until the reserve is reached at that pace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GIB = 2**30
RESERVE = 0.2
TREND_DAYS = 30
MIN_TREND_SPAN = 86_400.0  # seconds of readings before a slope means anything: a day


@dataclass(frozen=True)
class Reading:
    """One reading of a server: when, and its use; None where the server does not say."""

    at: float  # Unix time
    vcpus: int
    cpu_used: float | None  # vCPUs in use (load x processors)
    ram: int | None  # bytes
    ram_used: int | None
    disk: int | None  # bytes of the fixed disk with the most room
    disk_used: int | None
    disk_mount: str | None = None  # where that disk is mounted (as the server names it)


@dataclass(frozen=True)
class Headroom:
    """What a server may still take, keeping the reserve free: vCPUs, and bytes of RAM and disk."""

    vcpus: float | None
    ram: int | None
    disk: int | None


def headroom(r: Reading, reserve: float = RESERVE) -> Headroom:
    """What ``r``'s server may still take, each resource kept ``reserve`` free; None where it is not known."""

    def left(total: float | None, used: float | None) -> float | None:
        return None if total is None or used is None else max(0.0, total * (1 - reserve) - used)

    ram, disk = left(r.ram, r.ram_used), left(r.disk, r.disk_used)
    return Headroom(left(r.vcpus, r.cpu_used), None if ram is None else int(ram), None if disk is None else int(disk))


@dataclass(frozen=True)
class Trend:
    """How a resource's use grows: per day, and the days left until the reserve is reached (None: it does
    not grow, or too few readings say so)."""

    per_day: float
    days_left: float | None


def trend(points: Sequence[tuple[float, float]], total: float, reserve: float = RESERVE) -> Trend | None:
    """The least-squares slope of ``points`` (time, use) per day, and the days from the last point until the
    use reaches ``total`` less the reserve; None with readings over less than a day."""
    if len(points) < 2 or points[-1][0] - points[0][0] < MIN_TREND_SPAN:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_u = sum(u for _, u in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    slope = sum((t - mean_t) * (u - mean_u) for t, u in points) / var  # per second
    per_day = slope * 86_400
    limit = total * (1 - reserve)
    last = points[-1][1]
    if per_day <= 0:
        return Trend(per_day, None)
    return Trend(per_day, max(0.0, (limit - last) / per_day))


@dataclass(frozen=True)
class Need:
    """What a new application asks for (the hosting request): vCPUs, RAM and disk in GiB."""

    vcpus: float
    ram_gib: float
    disk_gib: float


@dataclass(frozen=True)
class Fit:
    """One server's answer to a need: whether it fits, what would be left after it, and why not."""

    server: str
    fits: bool
    left_after: Headroom
    short: tuple[str, ...]  # the resources it lacks (vcpu, ram, disk) or does not know (unknown:ram ...)


def place(servers: dict[str, Reading], need: Need, reserve: float = RESERVE) -> list[Fit]:
    """Every server's answer to ``need``: those that fit first, the one with most left after it first (the
    largest smallest share of any resource left: the new application lands where it crowds least); then
    those that do not, the fewest resources short first."""
    answers = []
    for name, r in servers.items():
        room = headroom(r, reserve)
        short: list[str] = []
        left = {}
        for resource, have, want, total in (
            ("vcpu", room.vcpus, need.vcpus, r.vcpus),
            ("ram", room.ram, need.ram_gib * GIB, r.ram),
            ("disk", room.disk, need.disk_gib * GIB, r.disk),
        ):
            if have is None or not total:
                short.append(f"unknown:{resource}")
                continue
            left[resource] = have - want
            if have < want:
                short.append(resource)
        after = Headroom(left.get("vcpu"), _bytes(left.get("ram")), _bytes(left.get("disk")))
        answers.append(Fit(name, not short, after, tuple(short)))

    def spare(f: Fit) -> float:
        r = servers[f.server]
        shares = [
            (f.left_after.vcpus or 0) / r.vcpus if r.vcpus else 0.0,
            (f.left_after.ram or 0) / r.ram if r.ram else 0.0,
            (f.left_after.disk or 0) / r.disk if r.disk else 0.0,
        ]
        return min(shares)

    # those that fit, most room after it first; then the others, the fewest resources short first
    return sorted(answers, key=lambda f: (not f.fits, -spare(f) if f.fits else len(f.short), f.server))


def _bytes(value: float | None) -> int | None:
    return None if value is None else int(value)
