"""Health of an OPD link: up, degraded, down or unknown, with the reasons. Pure.

Inputs are what the collectors saw this round; thresholds come from configuration.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class LinkState(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"
    #: connected by ``pantau opd add``, its OPD's router not answering yet: watched, never paged
    PENDING = "pending"


class HealthThresholds(BaseModel):
    """When a link counts as degraded. Loss and RTT from ICMP probes; utilization of the subscription."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    loss_degraded: float = Field(0.05, ge=0, le=1, description="loss ratio from which a link is degraded")
    rtt_degraded_seconds: float = Field(0.150, gt=0, description="average RTT from which a link is degraded")
    saturation_ratio: float = Field(0.9, gt=0, le=1.5, description="utilization counted as saturated")
    saturation_seconds: float = Field(300.0, ge=0, description="how long saturation must last")
    loss_window_seconds: float = Field(
        300.0, ge=0, description="loss is judged over the echoes of this window, not one round's (0: per round)"
    )
    loss_clear: float = Field(
        0.5, gt=0, le=1, description="a lossy link is clear again below loss_degraded times this (hysteresis)"
    )


@dataclass(frozen=True)
class UtilizationPoint:
    timestamp: float  # end of the interval the ratio covers
    ratio: float  # the higher of in/out against the subscribed rate
    seconds: float  # length of that interval


@dataclass(frozen=True)
class ProbePoint:
    """One ICMP round towards a link's far end: when, echoes sent, replies received."""

    timestamp: float
    sent: int
    received: int


def window_loss(history: Sequence[ProbePoint], now: float, t: HealthThresholds) -> float | None:
    """The share of the echoes of the last ``loss_window_seconds`` that got no reply (None: no echoes).

    One round of 5 echoes is too few to judge loss by: on a link losing 30 %, 17 % of rounds lose nothing,
    and a link judged round by round flips between up and degraded every few rounds (each flip a
    notification). Over a window of rounds the estimate settles, as Prometheus' ``avg_over_time`` does.
    Rounds that got no reply at all are left out: the link was cut then (down, not lossy), and a link back
    from a cut is not degraded for a window after it.
    """
    recent = [p for p in history if p.timestamp > now - t.loss_window_seconds] or list(history[-1:])
    window = [p for p in recent if p.received > 0]  # a round without any reply is a cut, judged on its own
    sent = sum(p.sent for p in window)
    return None if sent == 0 else 1.0 - sum(p.received for p in window) / sent


def remember(kept: deque[ProbePoint], point: ProbePoint, t: HealthThresholds) -> None:
    """Keep a link's ICMP round for the loss window; what is older than the window is dropped."""
    kept.append(point)
    while len(kept) > 1 and kept[0].timestamp <= point.timestamp - t.loss_window_seconds:
        kept.popleft()


def lossy(loss: float | None, was_lossy: bool, t: HealthThresholds) -> bool:
    """Whether the link counts as losing packets: at ``loss_degraded`` or above, and once it does, until
    its loss falls below ``loss_degraded × loss_clear`` (hysteresis: no flapping around the threshold)."""
    if loss is None:
        return False
    return loss >= t.loss_degraded * (t.loss_clear if was_lossy else 1.0)


@dataclass(frozen=True)
class Health:
    state: LinkState
    reasons: tuple[str, ...] = ()


def saturated(history: Sequence[UtilizationPoint], now: float, t: HealthThresholds) -> bool:
    """Utilization over the last ``saturation_seconds`` at or above the ratio, and the window covered by polls.

    Utilization over the window is the time-weighted mean of the intervals' ratios (the traffic of the
    window over what the subscription carries in it), like Prometheus' ``rate(...[5m])``, not "every
    interval above the ratio": a device serves its counters from a cache (net-snmp: 3 s), so one interval
    of a full link can read up to ``cache / interval`` low and the next as much high. Those errors cancel
    in the sum; they would break an every-interval rule on a link that never stopped being full.
    """
    window = [p for p in history if p.timestamp >= now - t.saturation_seconds]
    if not window:
        return False
    start = min(p.timestamp - p.seconds for p in window)
    covered = now - start >= t.saturation_seconds * 0.9 or t.saturation_seconds == 0
    seconds = sum(p.seconds for p in window)
    if seconds <= 0:
        return covered and all(p.ratio >= t.saturation_ratio for p in window)
    return covered and sum(p.ratio * p.seconds for p in window) / seconds >= t.saturation_ratio


def link_health(
    oper_up: bool | None,
    loss_ratio: float | None,
    rtt_avg: float | None,
    utilization: Sequence[UtilizationPoint],
    now: float,
    thresholds: HealthThresholds,
    loss_over_window: float | None = None,
    was_lossy: bool = False,
) -> Health:
    """The link's state from the data-center port's oper status, the CPE probe, and utilization.

    ``loss_ratio`` is this round's (a round without any reply is a cut link, now); the ``loss`` reason is
    judged on ``loss_over_window`` where the caller keeps one (:func:`window_loss`), with hysteresis."""
    if oper_up is False:
        return Health(LinkState.DOWN, ("oper-down",))
    if loss_ratio is not None and loss_ratio >= 1.0:
        return Health(LinkState.DOWN, ("no-icmp-reply",))
    if oper_up is None and loss_ratio is None:
        return Health(LinkState.UNKNOWN, ("no-data",))
    reasons = []
    judged = loss_over_window if loss_over_window is not None else loss_ratio
    if lossy(judged, was_lossy, thresholds):
        reasons.append("loss")
    if rtt_avg is not None and rtt_avg >= thresholds.rtt_degraded_seconds:
        reasons.append("latency")
    if saturated(utilization, now, thresholds):
        reasons.append("saturation")
    return Health(LinkState.DEGRADED, tuple(reasons)) if reasons else Health(LinkState.UP)


def link_causes(
    states: dict[str, LinkState], dc_device_of: dict[str, str], devices_up: dict[str, bool]
) -> dict[str, str]:
    """Group link outages under a common cause, so alerting can report the cause once and inhibit the rest.

    A down link whose data-center device cannot be polled is ``datacenter-core``; any other down link is
    ``link`` (its own fault), also when many are down at once while the core answers (a widespread pattern
    groups symptoms in triage, it is no proof that the core is the cause); links
    that are not down have ``none``.
    """
    causes = {}
    for name, state in states.items():
        if state is not LinkState.DOWN:
            causes[name] = "none"
        elif devices_up.get(dc_device_of[name]) is False:
            causes[name] = "datacenter-core"
        else:
            causes[name] = "link"
    return causes


#: a link's usual RTT is the median of its 5-minute periods over this window, from at least this many
RTT_BASELINE_WINDOW = timedelta(days=7)
RTT_BASELINE_MIN_PERIODS = 3


def rtt_baseline(rtts: Sequence[float]) -> float | None:
    """A link's usual RTT: the median of its recent periods' averages; None with too few to tell."""
    return statistics.median(rtts) if len(rtts) >= RTT_BASELINE_MIN_PERIODS else None
