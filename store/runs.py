"""Playbook runs and their steps: the engine's record of every run (who, with what, each step against its
Mutu Baku), the facts a crashed run is compensated from, and the reads of ``pantau runs``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from store.schema import PlaybookRun, RunStep
from store.translate import translated


class RunState(StrEnum):
    """A playbook run's state, as stored and as ``--json`` shows it."""

    RUNNING = "running"
    RECOVERING = "recovering"  # a process is compensating a run whose own process died
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a step failed and every done step was compensated
    BROKEN = "broken"  # a compensation failed too: recovery retries it, or staff repair by hand


class StepState(StrEnum):
    """A step's state, as stored and as ``--json`` shows it."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation-failed"


#: states of a run whose process may have died, or whose compensation failed: what recovery looks at
RECOVERABLE = (RunState.RUNNING, RunState.RECOVERING, RunState.BROKEN)


@dataclass(frozen=True)
class StepRecord:
    id: int
    position: int
    name: str
    title: str
    sop_step: str
    state: StepState
    started_at: datetime
    ended_at: datetime | None
    allowance_seconds: float
    expected_output: str
    output: str | None
    error: str | None


@dataclass(frozen=True)
class RunRecord:
    id: int
    playbook: str
    state: RunState
    reason: str | None
    started_by: str
    params: dict[str, Any]
    facts: dict[str, Any]
    host: str
    pid: int
    pid_start: str
    started_at: datetime
    ended_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC)


def _run(r: PlaybookRun) -> RunRecord:
    return RunRecord(
        r.id,
        r.playbook,
        RunState(r.state),
        r.reason,
        r.started_by,
        json.loads(r.params),
        json.loads(r.facts),
        r.host,
        r.pid,
        r.pid_start,
        r.started_at,
        r.ended_at,
    )


def _step(r: RunStep) -> StepRecord:
    return StepRecord(
        r.id,
        r.position,
        r.name,
        r.title,
        r.sop_step,
        StepState(r.state),
        r.started_at,
        r.ended_at,
        r.allowance_seconds,
        r.expected_output,
        r.output,
        r.error,
    )


@translated("recording the start of a playbook run")
def start(store: Engine, playbook: str, params: dict[str, Any], by: str, host: str, pid: int, pid_start: str) -> int:
    with Session(store) as s, s.begin():
        run = PlaybookRun(
            playbook=playbook,
            started_by=by,
            params=json.dumps(params, default=str),
            facts="{}",
            state=RunState.RUNNING,
            host=host,
            pid=pid,
            pid_start=pid_start,
            started_at=_now(),
        )
        s.add(run)
        s.flush()
        return run.id


@translated("keeping a run's facts")
def keep_facts(store: Engine, run_id: int, facts: dict[str, Any]) -> None:
    with Session(store) as s, s.begin():
        s.execute(update(PlaybookRun).where(PlaybookRun.id == run_id).values(facts=json.dumps(facts)))


@translated("recording the start of a step")
def step_started(
    store: Engine, run_id: int, position: int, name: str, title: str, sop_step: str, allowance: timedelta, output: str
) -> int:
    with Session(store) as s, s.begin():
        row = RunStep(
            run_id=run_id,
            position=position,
            name=name,
            title=title,
            sop_step=sop_step,
            allowance_seconds=allowance.total_seconds(),
            expected_output=output,
            state=StepState.RUNNING,
            started_at=_now(),
        )
        s.add(row)
        s.flush()
        return row.id


@translated("recording the end of a step")
def step_ended(store: Engine, step_id: int, state: StepState, output: str | None, error: str | None) -> None:
    with Session(store) as s, s.begin():
        s.execute(
            update(RunStep)
            .where(RunStep.id == step_id)
            .values(state=state, ended_at=_now(), output=output, error=error)
        )


@translated("recording a compensation")
def step_note(store: Engine, step_id: int, state: StepState, text: str) -> None:
    """Set a step's state and append ``text`` to its error (a compensation's outcome)."""
    with Session(store) as s, s.begin():
        row = s.get(RunStep, step_id)
        if row is not None:
            row.state = state
            row.error = f"{row.error}; {text}" if row.error else text


@translated("marking an interrupted step")
def step_interrupted(store: Engine, step_id: int) -> None:
    with Session(store) as s, s.begin():
        row = s.get(RunStep, step_id)
        if row is not None and row.state == StepState.RUNNING:
            row.state, row.ended_at, row.error = StepState.FAILED, _now(), "interrupted: the process stopped"


@translated("recording the end of a playbook run")
def end(store: Engine, run_id: int, state: RunState, reason: str | None) -> None:
    with Session(store) as s, s.begin():
        s.execute(
            update(PlaybookRun).where(PlaybookRun.id == run_id).values(state=state, reason=reason, ended_at=_now())
        )


@translated("reading runs to recover")
def recoverable(store: Engine) -> list[RunRecord]:
    with Session(store) as s:
        return [_run(r) for r in s.scalars(select(PlaybookRun).where(PlaybookRun.state.in_(RECOVERABLE)))]


@translated("claiming a run to recover")
def claim(store: Engine, run: RunRecord, pid: int, pid_start: str) -> bool:
    """Take ``run`` over for recovery, unless another process changed it first (compare and set)."""
    with Session(store) as s, s.begin():
        res = s.execute(
            update(PlaybookRun)
            .where(PlaybookRun.id == run.id, PlaybookRun.state == run.state, PlaybookRun.pid == run.pid)
            .values(state=RunState.RECOVERING, pid=pid, pid_start=pid_start)
        )
        return bool(getattr(res, "rowcount", 0) == 1)


@translated("reading a run's steps")
def steps(store: Engine, run_id: int, states: tuple[StepState, ...] | None = None) -> list[StepRecord]:
    query = select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.position)
    if states is not None:
        query = query.where(RunStep.state.in_(states))
    with Session(store) as s:
        return [_step(r) for r in s.scalars(query)]


@translated("reading a playbook run")
def get(store: Engine, run_id: int) -> RunRecord | None:
    with Session(store) as s:
        row = s.get(PlaybookRun, run_id)
        return None if row is None else _run(row)


@translated("listing playbook runs")
def newest(store: Engine, limit: int) -> list[RunRecord]:
    with Session(store) as s:
        return [_run(r) for r in s.scalars(select(PlaybookRun).order_by(PlaybookRun.id.desc()).limit(limit))]


@translated("reading a playbook's runs")
def of_playbook(store: Engine, playbook: str, states: tuple[RunState, ...] | None = None) -> list[RunRecord]:
    """The runs of ``playbook`` (in ``states``, if given), oldest first."""
    with Session(store) as s:
        query = select(PlaybookRun).where(PlaybookRun.playbook == playbook)
        if states is not None:
            query = query.where(PlaybookRun.state.in_(states))
        return [_run(r) for r in s.scalars(query.order_by(PlaybookRun.id))]


@translated("reading recent playbook runs")
def since(store: Engine, at: datetime) -> list[RunRecord]:
    """Runs started at or after ``at``, newest first."""
    with Session(store) as s:
        query = select(PlaybookRun).where(PlaybookRun.started_at >= at).order_by(PlaybookRun.id.desc())
        return [_run(r) for r in s.scalars(query)]
