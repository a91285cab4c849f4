"""The playbook engine: SOP steps with their Mutu Baku, run records, compensation.

A playbook is an ordered list of steps. Each step carries what the SOP allows for it (time, expected
output), an action and a compensation. The engine records the run and every step (start, end,
result, output, error) in the store as it goes, and keeps the run's ``facts`` (what the steps
learned or are about to change) there after every change. When a step fails, the compensations of
the steps already done, and of the failed step itself, run in reverse order, so nothing is left
half-done; the run ends ``failed`` with the reason. A compensation that fails leaves the run
``broken`` for ``pantau runs recover``, which also finishes runs whose process died (kill -9, power):
it claims the run atomically and compensates it from its stored facts. Compensations must therefore
be idempotent and rely on facts only.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import signal
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from store.schema import PlaybookRun, RunStep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One step of a procedure with its Mutu Baku (quality standard) from the SOP."""

    name: str
    title: str  # Bahasa Indonesia, as staff read it
    sop_step: str  # e.g. "SOP 14 langkah 7"
    allowance: timedelta
    expected_output: str
    action: Callable[[RunContext], str]
    compensate: Callable[[RunContext], str | None] | None = None


@dataclass(frozen=True)
class Playbook:
    name: str
    title: str
    steps: tuple[Step, ...]


@dataclass
class RunContext:
    """What a step sees: the parameters, the facts so far, the store and the run's identity."""

    run_id: int
    params: Mapping[str, Any]
    facts: dict[str, Any]
    store: Engine
    by: str
    resources: Mapping[str, Any] = field(default_factory=dict)

    def remember(self, key: str, value: Any) -> None:
        """Record a fact now (before the change it describes), so a crash can be compensated."""
        self.facts[key] = value
        with Session(self.store) as s, s.begin():
            s.execute(update(PlaybookRun).where(PlaybookRun.id == self.run_id).values(facts=json.dumps(self.facts)))


@dataclass(frozen=True)
class RunResult:
    run_id: int
    state: str
    reason: str | None
    facts: dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _process_start(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat); '' if gone.
    With the PID it identifies a process even after the PID is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def operator() -> str:
    """Who runs the playbook: PANTAU_OPERATOR if set (a named staff member), else the login name."""
    return os.environ.get("PANTAU_OPERATOR") or getpass.getuser()


class PlaybookRunner:
    """Runs playbooks against a store and recovers the runs whose process died."""

    def __init__(self, store: Engine, playbooks: Mapping[str, Playbook], resources: Mapping[str, Any]) -> None:
        self.store = store
        self.playbooks = playbooks
        self.resources = resources

    # ---- running ---------------------------------------------------------------------------------
    def run(self, playbook: Playbook, params: Mapping[str, Any], by: str, stop_after: str | None = None) -> RunResult:
        """Run ``playbook``; on failure compensate and raise the step's error (the run is recorded either way).

        ``stop_after`` stops this process (SIGSTOP) once that step is recorded: a breakpoint for testing
        recovery from a process killed mid-run.
        """
        run_id = self._start(playbook, params, by)
        ctx = RunContext(run_id, dict(params), {}, self.store, by, self.resources)
        done: list[tuple[int, Step]] = []
        for position, step in enumerate(playbook.steps, start=1):
            step_id = self._step_started(run_id, position, step)
            try:
                output = step.action(ctx)
            except BaseException as exc:
                reason = f"{step.name}: {exc}" if str(exc) else f"{step.name}: {type(exc).__name__}"
                self._step_ended(step_id, "failed", None, str(exc) or type(exc).__name__)
                done.append((step_id, step))  # its own compensation too: it may have half-happened
                state = self._compensate(ctx, done)
                self._end(run_id, state, reason)
                raise
            self._step_ended(step_id, "ok", output, None)
            done.append((step_id, step))
            if stop_after == step.name:
                os.kill(os.getpid(), signal.SIGSTOP)
        self._end(run_id, "succeeded", None)
        return RunResult(run_id, "succeeded", None, ctx.facts)

    def _start(self, playbook: Playbook, params: Mapping[str, Any], by: str) -> int:
        with Session(self.store) as s, s.begin():
            run = PlaybookRun(
                playbook=playbook.name,
                started_by=by,
                params=json.dumps(dict(params), default=str),
                facts="{}",
                state="running",
                host=socket.gethostname(),
                pid=os.getpid(),
                pid_start=_process_start(os.getpid()),
                started_at=_now(),
            )
            s.add(run)
            s.flush()
            return run.id

    def _step_started(self, run_id: int, position: int, step: Step) -> int:
        with Session(self.store) as s, s.begin():
            row = RunStep(
                run_id=run_id,
                position=position,
                name=step.name,
                title=step.title,
                sop_step=step.sop_step,
                allowance_seconds=step.allowance.total_seconds(),
                expected_output=step.expected_output,
                state="running",
                started_at=_now(),
            )
            s.add(row)
            s.flush()
            return row.id

    def _step_ended(self, step_id: int, state: str, output: str | None, error: str | None) -> None:
        with Session(self.store) as s, s.begin():
            s.execute(
                update(RunStep)
                .where(RunStep.id == step_id)
                .values(state=state, ended_at=_now(), output=output, error=error)
            )

    def _end(self, run_id: int, state: str, reason: str | None) -> None:
        with Session(self.store) as s, s.begin():
            s.execute(
                update(PlaybookRun).where(PlaybookRun.id == run_id).values(state=state, reason=reason, ended_at=_now())
            )

    def _compensate(self, ctx: RunContext, done: list[tuple[int, Step]]) -> str:
        """Undo ``done`` in reverse; 'failed' if all compensations worked, 'broken' if one did not."""
        state = "failed"
        for step_id, step in reversed(done):
            if step.compensate is None:
                continue
            try:
                note = step.compensate(ctx)
            except Exception as exc:  # keep undoing the rest; the run is marked for recovery
                log.error("compensation of step %s of run %d failed: %s", step.name, ctx.run_id, exc)
                self._append(step_id, "compensation-failed", f"compensation failed: {exc}")
                state = "broken"
                continue
            self._append(step_id, "compensated", f"compensated: {note}" if note else "compensated")
        return state

    def _append(self, step_id: int, state: str, text: str) -> None:
        with Session(self.store) as s, s.begin():
            row = s.get(RunStep, step_id)
            assert row is not None
            row.state = state
            row.error = f"{row.error}; {text}" if row.error else text

    # ---- recovery --------------------------------------------------------------------------------
    def recover(self, by: str) -> list[RunResult]:
        """Compensate runs whose process is gone (still 'running' or 'recovering') and 'broken' runs."""
        results = []
        with Session(self.store) as s:
            candidates = s.scalars(
                select(PlaybookRun).where(PlaybookRun.state.in_(("running", "recovering", "broken")))
            ).all()
        for run in candidates:
            if run.state in ("running", "recovering") and not self._dead(run):
                continue
            claimed = self._claim(run)
            if not claimed:
                continue  # another process got there first
            playbook = self.playbooks.get(run.playbook)
            if playbook is None:
                self._end(run.id, "broken", f"unknown playbook {run.playbook}; repair by hand")
                continue
            ctx = RunContext(run.id, json.loads(run.params), json.loads(run.facts), self.store, by, self.resources)
            by_name = {st.name: st for st in playbook.steps}
            with Session(self.store) as s:
                rows = s.scalars(
                    select(RunStep)
                    .where(
                        RunStep.run_id == run.id, RunStep.state.in_(("ok", "running", "failed", "compensation-failed"))
                    )
                    .order_by(RunStep.position)
                ).all()
                done = [(r.id, by_name[r.name]) for r in rows if r.name in by_name]
            for step_id, _ in done:
                self._mark_interrupted(step_id)
            state = self._compensate(ctx, done)
            reason = f"recovered by {by}: the process {run.pid} on {run.host} stopped mid-run; compensated"
            if run.state == "broken":
                reason = f"recovered by {by}: compensations retried ({run.reason})"
            self._end(run.id, state, reason if state == "failed" else f"{reason}, but a compensation failed again")
            results.append(RunResult(run.id, state, reason, ctx.facts))
        return results

    def _mark_interrupted(self, step_id: int) -> None:
        with Session(self.store) as s, s.begin():
            row = s.get(RunStep, step_id)
            assert row is not None
            if row.state == "running":
                row.state, row.ended_at, row.error = "failed", _now(), "interrupted: the process stopped"

    def _dead(self, run: PlaybookRun) -> bool:
        if run.host != socket.gethostname():
            return False  # another host's run: only that host can tell
        return _process_start(run.pid) != run.pid_start

    def _claim(self, run: PlaybookRun) -> bool:
        me = os.getpid()
        with Session(self.store) as s, s.begin():
            res = s.execute(
                update(PlaybookRun)
                .where(PlaybookRun.id == run.id, PlaybookRun.state == run.state, PlaybookRun.pid == run.pid)
                .values(state="recovering", pid=me, pid_start=_process_start(me))
            )
            return bool(getattr(res, "rowcount", 0) == 1)
