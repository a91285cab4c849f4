"""SOP 13's bandwidth survey of one OPD link over a month, from the stored 5-minute rollups. Pure.

Percentiles are nearest-rank (the value below which ``q`` of the periods lie, as 95th-percentile billing
counts them), over the periods' mean rates. Availability is the time the link was not down over the time it
was monitored (periods with a rollup), and says how long that was. A link is an upgrade candidate when its
daily 95th percentile reaches ``upgrade_ratio`` of the subscription on ``upgrade_days`` days or more, a
candidate to lower when the month's 95th percentile stays under ``lower_ratio`` of it; neither before the
link was monitored for ``min_monitored_days``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from core.rates import utilization
from i18n import Msg


class SurveyThresholds(BaseModel):
    """When the survey recommends a change of subscription (``bandwidth:`` in pantau.yml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    upgrade_ratio: float = Field(0.8, gt=0, le=1.5, description="daily 95th percentile counted as full")
    upgrade_days: int = Field(5, ge=1, description="days at or above upgrade_ratio that make an upgrade case")
    lower_ratio: float = Field(0.2, gt=0, le=1, description="month's 95th percentile under which to lower")
    busy_ratio: float = Field(0.8, gt=0, le=1.5, description="utilization counted in 'hours above'")
    min_monitored_days: float = Field(7, ge=0, description="monitored time a recommendation needs")


@dataclass(frozen=True)
class Sample:
    """One rollup period of a link: mean rates in and out, loss and RTT."""

    start: datetime
    seconds: int
    in_bps: float | None
    out_bps: float | None
    loss: float | None = None
    rtt: float | None = None


@dataclass(frozen=True)
class LinkSurvey:
    opd: str
    link: str
    subscribed_bps: float
    monitored_seconds: float
    p95_in_bps: float | None
    p95_out_bps: float | None
    peak_in_bps: float | None
    peak_out_bps: float | None
    mean_in_bps: float | None
    mean_out_bps: float | None
    volume_in_gb: float
    volume_out_gb: float
    availability: float | None  # None: not monitored at all
    loss_p95: float | None
    rtt_p95_seconds: float | None
    hours_above_busy: float
    days_full: int  # days whose 95th percentile reached upgrade_ratio
    recommendation: str  # upgrade | lower | keep | insufficient-data | no-data
    daily: tuple[DayFigures, ...] = ()  # the days with data, in order (local dates)
    hourly: tuple[HourCell, ...] = ()  # mean utilization per local day and hour, for the heat map


@dataclass(frozen=True)
class DayFigures:
    day: str  # ISO date in the agency's time zone
    p95_in_bps: float | None
    p95_out_bps: float | None
    full: bool  # the day's 95th percentile of utilization reached upgrade_ratio


@dataclass(frozen=True)
class HourCell:
    day: str
    hour: int
    utilization: float  # mean over the hour's periods of max(in, out) / subscription


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``q`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def down_intervals(
    changes: Sequence[tuple[datetime, str]], state_before: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The intervals within [start, end) the link was down, from its state changes (time, new state) in
    time order and its state before them."""
    out: list[tuple[datetime, datetime]] = []
    down_since = start if state_before == "down" else None
    for changed, state in changes:
        if changed >= end:
            break
        at = max(changed, start)
        if state == "down" and down_since is None:
            down_since = at
        elif state != "down" and down_since is not None:
            out.append((down_since, at))
            down_since = None
    if down_since is not None:
        out.append((down_since, end))
    return [(a, b) for a, b in out if b > a]


def _overlap(a0: datetime, a1: datetime, intervals: Sequence[tuple[datetime, datetime]]) -> float:
    return sum(max((min(a1, b1) - max(a0, b0)).total_seconds(), 0.0) for b0, b1 in intervals)


def survey(
    opd: str,
    link: str,
    subscribed_bps: float,
    samples: Sequence[Sample],
    down: Sequence[tuple[datetime, datetime]],
    tz: str,
    t: SurveyThresholds,
) -> LinkSurvey:
    """The month's figures of one link from its rollup periods and its down intervals."""
    rx = [s.in_bps for s in samples if s.in_bps is not None]
    tx = [s.out_bps for s in samples if s.out_bps is not None]
    monitored = float(sum(s.seconds for s in samples))
    down_seconds = sum(_overlap(s.start, s.start + timedelta(seconds=s.seconds), down) for s in samples)
    busy = [s for s in samples if _utilization(s, subscribed_bps) >= t.busy_ratio]
    per_day: dict[str, list[Sample]] = {}
    per_hour: dict[tuple[str, int], list[float]] = {}
    zone = ZoneInfo(tz)
    for s in samples:
        local = s.start.astimezone(zone)
        per_day.setdefault(local.date().isoformat(), []).append(s)
        per_hour.setdefault((local.date().isoformat(), local.hour), []).append(_utilization(s, subscribed_bps))
    daily = tuple(
        DayFigures(
            day,
            percentile([x.in_bps for x in day_samples if x.in_bps is not None], 0.95),
            percentile([x.out_bps for x in day_samples if x.out_bps is not None], 0.95),
            (percentile([_utilization(x, subscribed_bps) for x in day_samples], 0.95) or 0.0) >= t.upgrade_ratio,
        )
        for day, day_samples in sorted(per_day.items())
    )
    hourly = tuple(HourCell(day, hour, sum(u) / len(u)) for (day, hour), u in sorted(per_hour.items()))
    days_full = sum(1 for d in daily if d.full)
    p95_in, p95_out = percentile(rx, 0.95), percentile(tx, 0.95)
    month_p95 = max((v for v in (p95_in, p95_out) if v is not None), default=None)
    if not samples:
        recommendation = "no-data"
    elif monitored < t.min_monitored_days * 86400:
        recommendation = "insufficient-data"  # the figures stand; a change of subscription needs more
    elif days_full >= t.upgrade_days:
        recommendation = "upgrade"
    elif month_p95 is not None and month_p95 < t.lower_ratio * subscribed_bps:
        recommendation = "lower"
    else:
        recommendation = "keep"
    return LinkSurvey(
        opd=opd,
        link=link,
        subscribed_bps=subscribed_bps,
        monitored_seconds=monitored,
        p95_in_bps=p95_in,
        p95_out_bps=p95_out,
        peak_in_bps=max(rx, default=None),
        peak_out_bps=max(tx, default=None),
        mean_in_bps=sum(rx) / len(rx) if rx else None,
        mean_out_bps=sum(tx) / len(tx) if tx else None,
        volume_in_gb=sum((s.in_bps or 0.0) * s.seconds for s in samples) / 8e9,
        volume_out_gb=sum((s.out_bps or 0.0) * s.seconds for s in samples) / 8e9,
        availability=None if monitored == 0 else 1 - down_seconds / monitored,
        loss_p95=percentile([s.loss for s in samples if s.loss is not None], 0.95),
        rtt_p95_seconds=percentile([s.rtt for s in samples if s.rtt is not None], 0.95),
        hours_above_busy=sum(s.seconds for s in busy) / 3600,
        days_full=days_full,
        recommendation=recommendation,
        daily=daily,
        hourly=hourly,
    )


def reason(r: LinkSurvey, t: SurveyThresholds) -> Msg:
    """Why the survey recommends what it does, in one sentence."""
    mbit = (max((v for v in (r.p95_in_bps, r.p95_out_bps) if v is not None), default=0.0)) / 1e6
    sub = r.subscribed_bps / 1e6
    share = mbit / sub if sub else 0.0
    full, need = r.days_full, t.upgrade_days
    up = f"{t.upgrade_ratio:.0%}".replace("%", " %")
    if r.recommendation == "no-data":
        return Msg("The link has no monitoring data that month.")
    if r.recommendation == "insufficient-data":
        return Msg(
            "Monitored for {days:.1f} days only; a recommendation needs at least {least:g} days.",
            days=r.monitored_seconds / 86400,
            least=t.min_monitored_days,
        )
    if r.recommendation == "upgrade":
        return Msg(
            "The daily 95th percentile reached {up} of the subscription on {full} days (threshold {need} days); "
            "the month's 95th percentile is {mbit:.1f} of {sub:.1f} Mbit/s.",
            up=up,
            full=full,
            need=need,
            mbit=mbit,
            sub=sub,
        )
    if r.recommendation == "lower":
        low = f"{t.lower_ratio:.0%}".replace("%", " %")
        return Msg(
            "The month's 95th percentile, {mbit:.1f} Mbit/s, stays under {low} of the {sub:.1f} Mbit/s subscribed.",
            mbit=mbit,
            low=low,
            sub=sub,
        )
    pct = f"{share:.0%}".replace("%", " %")
    return Msg(
        "The month's 95th percentile is {mbit:.1f} Mbit/s ({pct} of the subscription); {full} full days, "
        "under the threshold of {need}.",
        mbit=mbit,
        pct=pct,
        full=full,
        need=need,
    )


def _utilization(s: Sample, subscribed_bps: float) -> float:
    """A rollup's utilization (:func:`core.rates.utilization`); a period without a rate counts as idle."""
    return utilization((s.in_bps, s.out_bps), subscribed_bps) or 0.0
