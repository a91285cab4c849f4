"""SOP 13's bandwidth map: how much of the capacity the OPDs share each one is guaranteed, and how far it
may burst, from the month's measured use and the agency's policy.

Each OPD asks for its month's 95th percentile times a headroom factor, kept between its floor and the
lower of its cap and its own link's rate (an OPD not measured that month asks for its whole link). The
floors are given first; what they leave is shared by weighted max-min fairness (water-filling): the level
rises for all until an OPD has what it asks, which then drops out, and the rest share what remains by
weight. An OPD asking less than its fair share so gets exactly what it asks, and more capacity never
lowers anyone. When the floors alone exceed the capacity, each floor is scaled down in proportion and the
plan names the OPDs whose floor it cannot give. An OPD's ceiling is its cap, else its link's rate, never
above the capacity.

Pure: rates in bit/s as floats; the device rounds them when it applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from i18n import Msg

MBIT = 1e6


@dataclass(frozen=True)
class Demand:
    """One OPD's side of the plan: its measured use and the agency's policy for it."""

    opd: str
    measured_bps: float | None  # the month's 95th percentile (the larger direction); None: not measured
    link_bps: float  # the OPD link's own rate: nothing above it is of use
    floor_bps: float = 0.0
    cap_bps: float | None = None
    weight: float = 1.0

    @property
    def most_bps(self) -> float:
        return self.link_bps if self.cap_bps is None else min(self.cap_bps, self.link_bps)

    @property
    def least_bps(self) -> float:
        return min(self.floor_bps, self.most_bps)

    def asked_bps(self, headroom: float) -> float:
        if self.measured_bps is None:
            return self.most_bps
        return min(max(self.measured_bps * headroom, self.least_bps), self.most_bps)


@dataclass(frozen=True)
class Share:
    """What the plan gives one OPD: a guaranteed rate, a ceiling it may burst to, and why."""

    opd: str
    measured_bps: float | None
    asked_bps: float
    guaranteed_bps: float
    ceiling_bps: float
    why: Msg


@dataclass(frozen=True)
class Plan:
    capacity_bps: float
    headroom: float
    shares: tuple[Share, ...]  # by OPD
    unmet: tuple[str, ...] = ()  # OPDs whose floor the capacity cannot give

    @property
    def guaranteed_bps(self) -> float:
        return sum(s.guaranteed_bps for s in self.shares)

    def share(self, opd: str) -> Share:
        return next(s for s in self.shares if s.opd == opd)

    def to_json(self) -> dict[str, Any]:
        """The plan as kept with its number in the store (its reasons as messages, for any language)."""
        return {
            "capacity_bps": self.capacity_bps,
            "headroom": self.headroom,
            "unmet": list(self.unmet),
            "shares": [
                {f.name: getattr(s, f.name) for f in fields(Share)} | {"why": s.why.to_json()} for s in self.shares
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        shares = tuple(Share(**{**s, "why": Msg.from_json(s["why"])}) for s in data["shares"])
        return cls(data["capacity_bps"], data["headroom"], shares, tuple(data["unmet"]))


def plan(capacity_bps: float, demands: list[Demand], headroom: float = 1.2) -> Plan:
    """The bandwidth map of ``demands`` within ``capacity_bps``.

    Raises:
        ValueError: a capacity, headroom or weight that is not positive, or an OPD twice.
    """
    if capacity_bps <= 0 or headroom <= 0 or any(d.weight <= 0 for d in demands):
        raise ValueError("the capacity, the headroom and every weight must be positive")
    if len({d.opd for d in demands}) != len(demands):
        raise ValueError("each OPD once")
    ordered = sorted(demands, key=lambda d: d.opd)
    asked = {d.opd: d.asked_bps(headroom) for d in ordered}
    floors = sum(d.least_bps for d in ordered)
    if floors > capacity_bps:
        scale = capacity_bps / floors
        given = {d.opd: d.least_bps * scale for d in ordered}
        unmet = tuple(d.opd for d in ordered if d.least_bps > 0)
        why = {d.opd: _short_of_floor(d, floors, capacity_bps) for d in ordered}
    else:
        given = _water_fill(ordered, asked, capacity_bps - floors)
        unmet = ()
        why = {d.opd: _reason(d, asked[d.opd], given[d.opd], headroom) for d in ordered}
    shares = tuple(
        Share(
            opd=d.opd,
            measured_bps=d.measured_bps,
            asked_bps=asked[d.opd],
            guaranteed_bps=given[d.opd],
            ceiling_bps=max(min(d.most_bps, capacity_bps), given[d.opd]),
            why=why[d.opd],
        )
        for d in ordered
    )
    return Plan(capacity_bps=capacity_bps, headroom=headroom, shares=shares, unmet=unmet)


def _water_fill(demands: list[Demand], asked: dict[str, float], spare: float) -> dict[str, float]:
    """Each OPD's floor plus its weighted max-min fair part of ``spare`` (what the floors leave)."""
    given = {d.opd: d.least_bps for d in demands}
    wanting = sorted(
        (d for d in demands if asked[d.opd] > d.least_bps),
        key=lambda d: ((asked[d.opd] - d.least_bps) / d.weight, d.opd),
    )
    weights = sum(d.weight for d in wanting)
    for d in wanting:  # the least hungry (per unit of weight) first
        need = asked[d.opd] - d.least_bps
        part = spare * d.weight / weights
        take = min(need, part)
        given[d.opd] += take
        spare -= take
        weights -= d.weight
    return given


def _reason(d: Demand, asked: float, given: float, headroom: float) -> Msg:
    basis = _basis(d, asked, headroom)
    if given >= asked * (1 - 1e-9):
        return Msg("{basis}; given in full", basis=basis)
    return Msg(
        "{basis}; its fair share (weight {weight:g}) of what the floors leave gives {given:.1f} Mbit/s",
        basis=basis,
        weight=d.weight,
        given=given / MBIT,
    )


def _basis(d: Demand, asked: float, headroom: float) -> Msg:
    """Why the OPD asks for what it asks."""
    if d.measured_bps is None:
        return Msg("not measured this month: asks up to {most:.1f} Mbit/s", most=asked / MBIT)
    use = Msg(
        "p95 {p95:.1f} Mbit/s × {headroom:g} = {want:.1f} Mbit/s",
        p95=d.measured_bps / MBIT,
        headroom=headroom,
        want=d.measured_bps * headroom / MBIT,
    )
    if asked > d.measured_bps * headroom:
        return Msg("{use}, raised to its floor of {floor:.1f} Mbit/s", use=use, floor=asked / MBIT)
    if asked < d.measured_bps * headroom:
        if d.cap_bps is not None and asked >= d.cap_bps:
            return Msg("{use}, held to its cap of {cap:.1f} Mbit/s", use=use, cap=asked / MBIT)
        return Msg("{use}, held to its link's {link:.1f} Mbit/s", use=use, link=asked / MBIT)
    return use


def _short_of_floor(d: Demand, floors: float, capacity: float) -> Msg:
    return Msg(
        "the floors ({floors:.1f} Mbit/s) exceed the capacity ({capacity:.1f} Mbit/s): each floor is scaled "
        "to {percent:.0f} %",
        floors=floors / MBIT,
        capacity=capacity / MBIT,
        percent=100 * capacity / floors,
    )
