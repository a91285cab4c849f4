"""OPD links in the store: the 5-minute rollups (the evidence for bandwidth planning and baselines) and
the link state changes the agent saw (flaps, outage starts), and the history triage quotes from them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from core.bandwidth import Sample
from core.board import Entry, Stored
from core.health import RTT_BASELINE_WINDOW, rtt_baseline
from core.rollup import OpenPeriod, RollupRow, Series
from store import cluster
from store.cluster import Fence
from store.schema import LinkBoardRow, LinkEvent, LinkRollup, OpenRollup
from store.translate import translated


@dataclass(frozen=True)
class StateChange:
    link: str
    opd: str
    at: datetime
    from_state: str
    to_state: str
    reasons: str  # comma-separated
    cause: str


@dataclass(frozen=True)
class Period:
    """One 5-minute rollup of a link as history shows it."""

    start: datetime
    seconds: int
    loss: float | None
    rtt: float | None
    in_bps: float | None
    out_bps: float | None


@dataclass(frozen=True)
class History:
    """What the store knows of one link, for triage (times aware, UTC)."""

    watched: bool  # a rollup or an event in the last day: the agent was watching
    downs_24h: int
    outage_start: datetime | None  # when the link last left "up", if it has not come back
    last_good: datetime | None  # end of the last period with loss below the limit
    timeline: list[Period]  # the last hour, oldest first
    month_rates: list[float]  # the higher direction's average of each period this month
    rtt_baseline: float | None  # the link's usual RTT (core.health.rtt_baseline)


@translated("writing link rollups")
def add_rollups(store: Engine, rows: list[RollupRow]) -> None:
    if rows:
        with store.begin() as conn:
            _insert_rollups(conn, rows)


def _insert_rollups(conn: Connection, rows: list[RollupRow]) -> None:
    """The rows; one of a link-period the store already holds is merged into it (averages weighted by their
    samples, the higher peak). Among agents sharing the store a link changes hands mid-period, and each
    agent closes its part of the period: one row per link-period, with both parts."""
    upsert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(LinkRollup)
    old, new = LinkRollup.__table__.c, upsert.excluded
    total = old.samples + new.samples

    def mean(name: str) -> Any:
        a, b = old[name], new[name]
        both = (a * old.samples + b * new.samples) / func.nullif(total, 0)
        return case((a.is_(None), b), (b.is_(None), a), else_=func.coalesce(both, a))

    def peak(name: str) -> Any:
        a, b = old[name], new[name]
        return case((a.is_(None), b), (b.is_(None), a), (a >= b, a), else_=b)

    merged = {name: mean(name) for name in ("in_bps_avg", "out_bps_avg", "loss_ratio", "rtt_avg_seconds")}
    merged |= {name: peak(name) for name in ("in_bps_max", "out_bps_max")} | {"samples": total}
    conn.execute(
        upsert.on_conflict_do_update(index_elements=["link", "period_start"], set_=merged), [r.__dict__ for r in rows]
    )


@translated("recording link state changes")
def add_changes(store: Engine, changes: list[StateChange]) -> None:
    if changes:
        with store.begin() as conn:
            conn.execute(insert(LinkEvent), [c.__dict__ for c in changes])


@translated("writing link rollups and state changes")
def add_measurements(
    store: Engine,
    rows: list[RollupRow],
    changes: list[StateChange],
    open_periods: list[OpenPeriod] | None = None,
    agent: str = "",
    fence: Fence | None = None,
    board: list[Entry] | None = None,
) -> None:
    """Closed rollups, state changes, (when given) ``agent``'s periods still open and its links' entries on
    the board, in one transaction: all of them are written, or none. With a ``fence`` (agents sharing the
    store) the write is refused unless the agent's lease holds.

    Raises:
        Fenced: the agent's lease ran out, or a newer incarnation of it joined; nothing was written.
    """
    with store.begin() as conn:
        if fence is not None:
            cluster.check(conn, fence)
        if rows:
            _insert_rollups(conn, rows)
        if changes:
            conn.execute(insert(LinkEvent), [c.__dict__ for c in changes])
        if open_periods is not None:  # this agent's; those kept before agents had ids ('') are taken up by it
            conn.execute(delete(OpenRollup).where(OpenRollup.agent.in_((agent, ""))))
            if open_periods:
                conn.execute(insert(OpenRollup), [_open_row(p, agent) for p in open_periods])
        if board:
            _put_board(conn, board, agent, fence.epoch if fence else 0)


def _put_board(conn: Connection, board: list[Entry], agent: str, epoch: int) -> None:
    """Each entry in place of the link's last (whichever agent wrote that: the link is this one's now)."""
    upsert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(LinkBoardRow)
    now = datetime.now(UTC)
    rows = [
        {"link": e.link, "agent": agent, "epoch": epoch, "observed_at": now, "entry": json.dumps(e.to_json())}
        for e in board
    ]
    kept = {c: upsert.excluded[c] for c in ("agent", "epoch", "observed_at", "entry")}
    conn.execute(upsert.on_conflict_do_update(index_elements=["link"], set_=kept), rows)


@translated("reading the board")
def board_entries(store: Engine) -> list[Stored]:
    """Every link's entry as its agent last wrote it (agents sharing the store)."""
    with Session(store) as s:
        return [
            Stored(Entry.from_json(json.loads(r.entry)), r.observed_at.timestamp())
            for r in s.scalars(select(LinkBoardRow))
        ]


def _open_row(p: OpenPeriod, agent: str) -> dict[str, object]:
    series = {name: [s.count, s.total, s.peak] for name, s in p.series.items()}
    return {"agent": agent, "link": p.link, "opd": p.opd, "period_start": p.start, "series": json.dumps(series)}


@translated("reading the open rollup periods")
def open_periods(store: Engine, agent: str = "") -> list[OpenPeriod]:
    """The periods ``agent`` kept open (to take up again after a restart), with those kept before agents
    had ids."""
    query = select(OpenRollup).where(OpenRollup.agent.in_((agent, ""))).order_by(OpenRollup.agent.desc())
    with Session(store) as s:
        out: dict[str, OpenPeriod] = {}
        for r in s.scalars(query):  # its own first (ids sort after ''), then what no agent claimed
            out.setdefault(r.link, _open_period(r))
        return list(out.values())


@translated("taking up a lost agent's open rollup periods")
def take_open_periods(store: Engine, links: list[str], live: list[str], fence: Fence) -> list[OpenPeriod]:
    """The periods of ``links`` that agents no longer alive kept open, removed from the store as they are
    handed over (one agent takes each up, once; an agent that comes back finds them gone). Agents alive
    close their own periods when they let a link go.

    Raises:
        Fenced: this agent's lease ran out; nothing was taken.
    """
    query = select(OpenRollup).where(OpenRollup.link.in_(links), OpenRollup.agent.not_in([*live, fence.agent]))
    with Session(store) as s, s.begin():
        cluster.check(s.connection(), fence)
        rows = list(s.scalars(query.with_for_update() if store.dialect.name == "postgresql" else query))
        taken = [_open_period(r) for r in rows]
        for r in rows:
            s.delete(r)
    return taken


def _open_period(r: OpenRollup) -> OpenPeriod:
    series = {name: Series(int(c), float(t), p) for name, (c, t, p) in json.loads(r.series).items()}
    return OpenPeriod(r.link, r.opd, r.period_start, series)


@translated("reading link state changes")
def changes(store: Engine, link: str | None = None) -> list[StateChange]:
    """Recorded state changes (of ``link``, when given), oldest first."""
    query = select(LinkEvent).order_by(LinkEvent.id)
    if link is not None:
        query = query.where(LinkEvent.link == link)
    with Session(store) as s:
        return [
            StateChange(e.link, e.opd, e.at, e.from_state, e.to_state, e.reasons, e.cause) for e in s.scalars(query)
        ]


def _period(r: LinkRollup) -> Period:
    return Period(r.period_start, r.period_seconds, r.loss_ratio, r.rtt_avg_seconds, r.in_bps_avg, r.out_bps_avg)


@translated("reading the link's history")
def history(store: Engine, link: str, now: datetime, month_start: datetime, loss_limit: float) -> History:
    day, hour, week = now - timedelta(days=1), now - timedelta(hours=1), now - RTT_BASELINE_WINDOW
    rollup, event = LinkRollup, LinkEvent
    with Session(store) as s:
        watched = s.scalars(select(rollup.id).where(rollup.link == link, rollup.period_start >= day).limit(1)).first()
        events = s.scalars(select(event).where(event.link == link, event.at >= day).order_by(event.id)).all()
        last = s.scalars(select(event).where(event.link == link).order_by(event.id.desc()).limit(1)).first()
        outage_start = None
        if last is not None and last.to_state != "up":
            left = s.scalars(
                select(event).where(event.link == link, event.from_state == "up").order_by(event.id.desc()).limit(1)
            ).first()
            outage_start = (left or last).at
        timeline = [
            _period(r)
            for r in s.scalars(
                select(rollup).where(rollup.link == link, rollup.period_start >= hour).order_by(rollup.period_start)
            )
        ]
        good = s.scalars(
            select(rollup)
            .where(rollup.link == link, rollup.loss_ratio < loss_limit)
            .order_by(rollup.period_start.desc())
            .limit(1)
        ).first()
        rates: list[Any] = list(
            s.execute(
                select(rollup.in_bps_avg, rollup.out_bps_avg).where(
                    rollup.link == link, rollup.period_start >= month_start
                )
            ).all()
        )
        rtts = [
            v
            for v in s.scalars(select(rollup.rtt_avg_seconds).where(rollup.link == link, rollup.period_start >= week))
            if v is not None
        ]
    return History(
        watched=bool(watched or events),
        downs_24h=sum(e.to_state == "down" for e in events),
        outage_start=outage_start,
        last_good=None if good is None else good.period_start + timedelta(seconds=good.period_seconds),
        timeline=timeline,
        month_rates=[max(v for v in r if v is not None) for r in rates if any(v is not None for v in r)],
        rtt_baseline=rtt_baseline(rtts),
    )


@translated("reading a month's rollups and link state changes")
def month_of_links(
    store: Engine, start: datetime, end: datetime
) -> tuple[dict[str, list[Sample]], dict[str, tuple[str, list[tuple[datetime, str]]]]]:
    """The rollup periods of [start, end) per link, oldest first, and per link its state when the month
    began (``up`` when nothing was recorded before) with its state changes within it."""
    rollup, event = LinkRollup, LinkEvent
    samples: dict[str, list[Sample]] = {}
    states: dict[str, tuple[str, list[tuple[datetime, str]]]] = {}
    with Session(store) as s:
        rows = s.scalars(
            select(rollup).where(rollup.period_start >= start, rollup.period_start < end).order_by(rollup.period_start)
        )
        for r in rows:
            samples.setdefault(r.link, []).append(
                Sample(r.period_start, r.period_seconds, r.in_bps_avg, r.out_bps_avg, r.loss_ratio, r.rtt_avg_seconds)
            )
        for e in s.scalars(select(event).where(event.at < end).order_by(event.id)):
            _, changes = states.setdefault(e.link, ("up", []))
            if e.at < start:
                states[e.link] = (e.to_state, changes)
            else:
                changes.append((e.at, e.to_state))
    return samples, states
