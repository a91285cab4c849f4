"""The playbook engine: SOP steps with their Mutu Baku, run records, compensation.

A playbook is an ordered list of steps. Each step carries what the SOP allows for it (time, expected
output), an action and a compensation. The engine records the run and every step (start, end,
result, output, error) in the store as it goes, and keeps the run's ``facts`` (what the steps
learned or are about to change: the playbook's own :class:`Facts`) there after every change. When a
step fails, the compensations of the steps already done, and of the failed step itself, run in
reverse order, so nothing is left half-done; the run ends ``failed`` with the reason. A compensation
that fails leaves the run ``broken`` for ``pantau runs recover``, which also finishes runs whose
process died (kill -9, power): it claims the run atomically and compensates it from its stored
facts. Compensations must therefore be idempotent and rely on facts only.

A playbook's input is a typed request (a frozen dataclass); it is stored with the run as JSON and rebuilt
from there for recovery. A failed run raises :class:`RunFailed`, which carries the run's id.
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import os
import signal
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from inventory.models import SopCatalog
from playbooks.errors import RunFailed
from store import runs
from store.engine import Store
from store.runs import RunState, StepState

log = logging.getLogger(__name__)
Req = TypeVar("Req")
#: what a playbook's steps act through (DNS, IPAM, a device): each playbook names it as a Protocol, and the
#: composition root hands one object that provides it
Deps = TypeVar("Deps")


class Facts(BaseModel):
    """What a run's steps learned or are about to change: each playbook's own fields, kept with the run as
    JSON after every change (:meth:`RunContext.keep`) and read back to compensate a run whose process died.
    A field not learned yet (None) is absent from the JSON."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


F = TypeVar("F", bound=Facts)


@dataclass(frozen=True)
class Step(Generic[Req, Deps, F]):
    """One step of a procedure with its Mutu Baku (quality standard) from the SOP."""

    name: str
    title: str  # Bahasa Indonesia, as staff read it
    sop_step: str  # a step of the agency's procedures, "colocation.address": recorded as they name it
    allowance: timedelta
    expected_output: str
    action: Callable[[RunContext[Req, Deps, F]], str]
    compensate: Callable[[RunContext[Req, Deps, F]], str | None] | None = None


@dataclass(frozen=True)
class Playbook(Generic[Req, Deps, F]):
    name: str
    title: str
    request: type[Req]  # a dataclass: the run's parameters, stored as JSON and rebuilt for recovery
    facts: type[F]  # what its steps learn, stored as JSON and rebuilt for recovery
    steps: tuple[Step[Req, Deps, F], ...]
    #: whether the facts of a run whose process died show its change complete (its last, irreversible step
    #: done): recovery then records the run succeeded instead of undoing it (rolls forward)
    finished: Callable[[F], bool] | None = None
    #: what recovery does to a finished run before recording it succeeded: completes its last step, which a
    #: crash may have cut short (idempotent: it may run again if recovery itself is killed)
    finish: Callable[[RunContext[Req, Deps, F]], str | None] | None = None


@dataclass
class RunContext(Generic[Req, Deps, F]):
    """What a step sees: the request, the facts so far, the store, the run's identity, and what it acts
    through (``deps``)."""

    run_id: int
    request: Req
    facts: F
    store: Store  # the store's engine, handed to store repositories
    by: str
    deps: Deps
    stop_at: str | None = None  # testing: a breakpoint inside a step, "STEP:POINT" (see :meth:`breakpoint`)
    step: str = ""  # the step running now

    def keep(self) -> None:
        """Store the facts as they are now, in one write: a step sets what it learned or is about to change
        in ``facts`` and keeps it *before* the change it describes, so a crash can be compensated."""
        runs.keep_facts(self.store, self.run_id, self.facts.to_json())

    def breakpoint(self, point: str) -> None:
        """Stop this process (SIGSTOP) when the run was asked to stop at ``point`` of the running step: the
        crash tests kill it there (for example ``dns-forward:sending``, after the facts are kept and before
        the update goes out, and ``dns-forward:sent``, after the server applied it and before its answer is
        kept)."""
        if self.stop_at == f"{self.step}:{point}":
            os.kill(os.getpid(), signal.SIGSTOP)


@dataclass(frozen=True)
class RunResult:
    run_id: int
    state: RunState
    reason: str | None
    facts: Facts


def _process_start(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat); '' if gone.
    With the PID it identifies a process even after the PID is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def operator() -> str:
    """Who runs the playbook: PANTAU_OPERATOR if set (a named staff member), else who called sudo (staff run
    commands as the service user, ``sudo -u pantau pantau ...``), else the login name."""
    return os.environ.get("PANTAU_OPERATOR") or os.environ.get("SUDO_USER") or getpass.getuser()


def _params(request: Any) -> dict[str, Any]:
    """A request as the JSON kept with its run (a dataclass instance, each field a JSON value)."""
    if not dataclasses.is_dataclass(request) or isinstance(request, type):
        raise TypeError(f"a playbook request is a dataclass instance, not {type(request).__name__}")
    return dataclasses.asdict(request)


#: the steps of a dead run that recovery compensates: done, or perhaps half-done
UNDO_FROM = (StepState.OK, StepState.RUNNING, StepState.FAILED, StepState.COMPENSATION_FAILED)


class PlaybookRunner(Generic[Deps]):
    """Runs playbooks against a store, their steps acting through ``deps``, and recovers the runs whose
    process died."""

    def __init__(
        self,
        store: Store,
        playbooks: Mapping[str, Playbook[Any, Deps, Any]],
        deps: Deps,
        sops: SopCatalog | None = None,
    ) -> None:
        self.store = store
        self.playbooks = playbooks
        self.deps = deps
        self.sops = sops if sops is not None else SopCatalog()  # how each step is cited in the run's record

    # ---- running ---------------------------------------------------------------------------------
    def run(self, playbook: Playbook[Req, Deps, F], request: Req, by: str, stop_after: str | None = None) -> RunResult:
        """Run ``playbook``; on failure compensate and raise :class:`RunFailed` (the run is recorded either way).

        ``stop_after`` stops this process (SIGSTOP) once that step is recorded, or at a point inside a step
        (``STEP:POINT``, :meth:`RunContext.breakpoint`): breakpoints for testing recovery from a process
        killed mid-run.

        Raises:
            RunFailed: a step failed; the run id, the step and the step's error (as the cause).
        """
        me = os.getpid()
        run_id = runs.start(
            self.store, playbook.name, _params(request), by, socket.gethostname(), me, _process_start(me)
        )
        ctx = RunContext(run_id, request, playbook.facts(), self.store, by, self.deps, stop_after)
        done: list[tuple[int, Step[Req, Deps, F]]] = []
        for position, step in enumerate(playbook.steps, start=1):
            ctx.step = step.name
            step_id = runs.step_started(
                self.store,
                run_id,
                position,
                step.name,
                step.title,
                self.sops.cite(step.sop_step),
                step.allowance,
                step.expected_output,
            )
            try:
                output = step.action(ctx)
            except BaseException as exc:
                message = str(exc) or type(exc).__name__
                runs.step_ended(self.store, step_id, StepState.FAILED, None, message)
                done.append((step_id, step))  # its own compensation too: it may have half-happened
                unfinished = self._compensate(ctx, done)
                runs.end(
                    self.store, run_id, RunState.BROKEN if unfinished else RunState.FAILED, f"{step.name}: {message}"
                )
                if isinstance(exc, Exception):
                    raise RunFailed(run_id, step.name, message, unfinished) from exc
                raise
            runs.step_ended(self.store, step_id, StepState.OK, output, None)
            done.append((step_id, step))
            if stop_after == step.name:
                os.kill(os.getpid(), signal.SIGSTOP)
        runs.end(self.store, run_id, RunState.SUCCEEDED, None)
        return RunResult(run_id, RunState.SUCCEEDED, None, ctx.facts)

    def _compensate(
        self, ctx: RunContext[Any, Deps, Any], done: list[tuple[int, Step[Any, Deps, Any]]]
    ) -> tuple[str, ...]:
        """Undo ``done`` in reverse; the steps whose compensation failed (empty: all undone)."""
        unfinished: list[str] = []
        for step_id, step in reversed(done):
            if step.compensate is None:
                continue
            try:
                note = step.compensate(ctx)
            except Exception as exc:  # keep undoing the rest; the run is marked for recovery
                log.error("compensation of step %s of run %d failed: %s", step.name, ctx.run_id, exc)
                runs.step_note(self.store, step_id, StepState.COMPENSATION_FAILED, f"compensation failed: {exc}")
                unfinished.append(step.name)
                continue
            runs.step_note(
                self.store, step_id, StepState.COMPENSATED, f"compensated: {note}" if note else "compensated"
            )
        return tuple(unfinished)

    # ---- recovery --------------------------------------------------------------------------------
    def recover(self, by: str) -> list[RunResult]:
        """Compensate runs whose process is gone (still 'running' or 'recovering') and 'broken' runs."""
        results = []
        me = os.getpid()
        for run in runs.recoverable(self.store):
            if run.state in (RunState.RUNNING, RunState.RECOVERING) and not self._dead(run):
                continue
            if not runs.claim(self.store, run, me, _process_start(me)):
                continue  # another process got there first
            playbook = self.playbooks.get(run.playbook)
            if playbook is None:
                runs.end(self.store, run.id, RunState.BROKEN, f"unknown playbook {run.playbook}; repair by hand")
                continue
            try:
                facts = playbook.facts.model_validate(run.facts)
            except ValidationError as exc:  # kept by a version that knew other facts: no guessing what to undo
                note = f"its facts cannot be read by this version ({_first_error(exc)}); repair by hand"
                runs.end(self.store, run.id, RunState.BROKEN, note)
                continue
            ctx = RunContext(run.id, playbook.request(**run.params), facts, self.store, by, self.deps)
            if run.state is not RunState.BROKEN and playbook.finished is not None and playbook.finished(facts):
                results.append(self._roll_forward(playbook, ctx, run))
                continue
            by_name = {st.name: st for st in playbook.steps}
            rows = runs.steps(self.store, run.id, UNDO_FROM)
            done = [(r.id, by_name[r.name]) for r in rows if r.name in by_name]
            for step_id, _ in done:
                runs.step_interrupted(self.store, step_id)
            state = RunState.BROKEN if self._compensate(ctx, done) else RunState.FAILED
            reason = f"recovered by {by}: the process {run.pid} on {run.host} stopped mid-run; compensated"
            if run.state is RunState.BROKEN:
                reason = f"recovered by {by}: compensations retried ({run.reason})"
            runs.end(
                self.store,
                run.id,
                state,
                reason if state is RunState.FAILED else f"{reason}, but a compensation failed again",
            )
            results.append(RunResult(run.id, state, reason, ctx.facts))
        return results

    @staticmethod
    def _roll_forward(
        playbook: Playbook[Any, Any, Any], ctx: RunContext[Any, Any, Any], run: runs.RunRecord
    ) -> RunResult:
        """A run whose process died after its change was complete: its last step finished, then succeeded.
        If the finish fails the run stays 'recovering', and the next ``runs recover`` tries it again."""
        reason = f"recovered by {ctx.by}: the process {run.pid} on {run.host} stopped after the change was complete"
        if playbook.finish is not None:
            try:
                done = playbook.finish(ctx)
            except Exception as exc:  # as a compensation: the other runs are still recovered
                note = f"recovery by {ctx.by} could not finish the run: {exc}; run `pantau runs recover` again"
                log.error("run %d: %s", run.id, note)
                return RunResult(run.id, RunState.RECOVERING, note, ctx.facts)
            if done:
                reason = f"{reason}; finished: {done}"
        runs.end(ctx.store, run.id, RunState.SUCCEEDED, reason)
        return RunResult(run.id, RunState.SUCCEEDED, reason, ctx.facts)

    @staticmethod
    def _dead(run: runs.RunRecord) -> bool:
        if run.host != socket.gethostname():
            return False  # another host's run: only that host can tell
        return _process_start(run.pid) != run.pid_start


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(map(str, first['loc'])) or 'facts'}: {first['msg']}"
