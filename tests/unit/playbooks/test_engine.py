"""The playbook engine: step records, compensation in reverse order, broken runs, crash recovery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from playbooks.engine import Facts, Playbook, PlaybookRunner, RunContext, Step
from playbooks.errors import PlaybookError, RunFailed
from store.engine import open_store
from store.schema import PlaybookRun, RunStep


@dataclass(frozen=True)
class Demo:
    x: int = 0


class DemoFacts(Facts):
    done: list[str] = Field(default_factory=list)


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_store(f"sqlite:///{tmp_path / 'pantau.db'}")


def recording(journal: list[str], fail_at: str | None = None, fail_undo: str | None = None) -> Playbook:
    def act(name: str) -> Any:
        def action(ctx: RunContext[Demo, None, DemoFacts]) -> str:
            ctx.facts.done.append(name)
            ctx.keep()
            journal.append(f"do {name}")
            if name == fail_at:
                raise PlaybookError(f"{name} broke")
            return f"{name} done"

        return action

    def undo(name: str) -> Any:
        def compensate(ctx: RunContext[Demo, None, DemoFacts]) -> str:
            assert name in ctx.facts.done  # compensations see the facts
            journal.append(f"undo {name}")
            if name == fail_undo:
                raise PlaybookError(f"undo {name} broke")
            return f"{name} undone"

        return compensate

    steps = tuple(Step(n, n.upper(), "SOP 14 langkah 7", timedelta(minutes=60), "out", act(n), undo(n)) for n in "abc")
    return Playbook("demo", "Demo", Demo, DemoFacts, steps)


def steps_of(store: Engine, run_id: int) -> list[tuple[str, str]]:
    with Session(store) as s:
        rows = s.scalars(select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.position)).all()
        return [(r.name, r.state) for r in rows]


def run_row(store: Engine, run_id: int) -> PlaybookRun:
    with Session(store) as s:
        run = s.get(PlaybookRun, run_id)
        assert run is not None
        return run


def test_successful_run_records_every_step_with_its_allowance(store: Engine) -> None:
    journal: list[str] = []
    book = recording(journal)
    result = PlaybookRunner(store, {"demo": book}, None).run(book, Demo(1), "budi")
    assert result.state == "succeeded" and journal == ["do a", "do b", "do c"]
    assert steps_of(store, result.run_id) == [("a", "ok"), ("b", "ok"), ("c", "ok")]
    run = run_row(store, result.run_id)
    assert run.started_by == "budi" and json.loads(run.params) == {"x": 1} and run.ended_at is not None
    assert json.loads(run.facts) == {"done": ["a", "b", "c"]} and result.facts == DemoFacts(done=["a", "b", "c"])
    with Session(store) as s:
        step = s.scalars(select(RunStep).where(RunStep.run_id == result.run_id)).first()
        assert step is not None and step.allowance_seconds == 3600 and step.ended_at is not None


def test_failed_step_compensates_it_and_the_done_ones_in_reverse(store: Engine) -> None:
    journal: list[str] = []
    book = recording(journal, fail_at="b")
    with pytest.raises(RunFailed, match="b broke") as failed:
        PlaybookRunner(store, {"demo": book}, None).run(book, Demo(), "budi")
    assert isinstance(failed.value.__cause__, PlaybookError) and failed.value.step == "b"
    assert journal == ["do a", "do b", "undo b", "undo a"]
    with Session(store) as s:
        run = s.scalars(select(PlaybookRun)).one()
    assert run.state == "failed" and run.reason == "b: b broke" and run.id == failed.value.run_id
    assert failed.value.hint is None  # every undo worked: nothing left to recover
    assert steps_of(store, run.id) == [("a", "compensated"), ("b", "compensated")]


def test_failed_compensation_leaves_the_run_broken_and_recover_retries_it(store: Engine) -> None:
    journal: list[str] = []
    book = recording(journal, fail_at="c", fail_undo="b")
    runner = PlaybookRunner(store, {"demo": book}, None)
    with pytest.raises(RunFailed) as failed:
        runner.run(book, Demo(), "budi")
    assert journal == ["do a", "do b", "do c", "undo c", "undo b", "undo a"]
    assert failed.value.unfinished == ("b",)
    assert failed.value.hint is not None and "undoing b failed" in failed.value.hint
    assert "pantau runs recover" in failed.value.hint
    with Session(store) as s:
        run_id = s.scalars(select(PlaybookRun.id)).one()
    assert run_row(store, run_id).state == "broken"
    fixed = recording(journal, fail_at="c")  # the cause is repaired
    results = PlaybookRunner(store, {"demo": fixed}, None).recover("ani")
    assert [r.run_id for r in results] == [run_id]
    assert run_row(store, run_id).state == "failed"
    assert "undo b" in journal[6:]


def test_run_of_a_dead_process_is_compensated_from_its_facts(store: Engine) -> None:
    journal: list[str] = []
    book = recording(journal, fail_at="c")
    runner = PlaybookRunner(store, {"demo": book}, None)
    with pytest.raises(PlaybookError):
        runner.run(book, Demo(), "budi")
    with Session(store) as s, s.begin():  # make it look like a crash mid-run: still running, process gone
        run_id = s.scalars(select(PlaybookRun.id)).one()
        s.execute(update(PlaybookRun).values(state="running", pid_start="not-a-live-process"))
        s.execute(update(RunStep).where(RunStep.name == "a").values(state="ok"))
        s.execute(update(RunStep).where(RunStep.name == "b").values(state="running"))
        s.execute(delete(RunStep).where(RunStep.name == "c"))
    journal.clear()
    results = runner.recover("ani")
    assert [r.state for r in results] == ["failed"]
    assert journal == ["undo b", "undo a"]
    assert "stopped mid-run" in (run_row(store, run_id).reason or "")
    assert runner.recover("ani") == []  # nothing left


def test_running_run_of_a_live_process_is_left_alone(store: Engine) -> None:
    journal: list[str] = []
    book = recording(journal, fail_at="c")
    runner = PlaybookRunner(store, {"demo": book}, None)
    with pytest.raises(PlaybookError):
        runner.run(book, Demo(), "budi")
    with Session(store) as s, s.begin():  # this very process is "still running" it
        s.execute(update(PlaybookRun).values(state="running"))
    assert runner.recover("ani") == []


def test_a_dead_run_whose_facts_this_version_cannot_read_is_left_broken_for_repair_by_hand(store: Engine) -> None:
    journal: list[str] = []
    book = recording(journal, fail_at="c")
    runner = PlaybookRunner(store, {"demo": book}, None)
    with pytest.raises(PlaybookError):
        runner.run(book, Demo(), "budi")
    with Session(store) as s, s.begin():  # a crash mid-run, its facts kept by a version with other fields
        run_id = s.scalars(select(PlaybookRun.id)).one()
        facts = json.dumps({"done": ["a"], "vlan": 20})
        s.execute(update(PlaybookRun).values(state="running", pid_start="not-a-live-process", facts=facts))
    journal.clear()
    assert runner.recover("ani") == []
    run = run_row(store, run_id)
    assert journal == []  # nothing undone on a guess
    assert run.state == "broken" and "vlan: Extra inputs are not permitted" in (run.reason or "")
    assert "repair by hand" in (run.reason or "")


def test_a_dead_run_whose_change_was_complete_is_finished_then_succeeds_and_a_failed_finish_is_tried_again(
    store: Engine,
) -> None:
    journal: list[str] = []
    finishing = {"fail": True}

    def finish(ctx: RunContext[Demo, None, DemoFacts]) -> str:
        journal.append(f"finish after {ctx.facts.done[-1]}")
        if finishing["fail"]:
            raise PlaybookError("the store is away")
        return "subnets released"

    book = recording(journal, fail_at="c")
    book = Playbook("demo", "Demo", Demo, DemoFacts, book.steps, finished=lambda f: "c" in f.done, finish=finish)
    runner = PlaybookRunner(store, {"demo": book}, None)
    with pytest.raises(PlaybookError):
        runner.run(book, Demo(), "budi")
    with Session(store) as s, s.begin():  # killed in its last step, after the point of no return
        run_id = s.scalars(select(PlaybookRun.id)).one()
        s.execute(update(PlaybookRun).values(state="running", pid_start="not-a-live-process"))
    journal.clear()
    (first,) = runner.recover("ani")
    assert first.state == "recovering" and "the store is away" in (first.reason or "")
    assert journal == ["finish after c"]  # rolled forward: nothing undone
    assert run_row(store, run_id).state == "recovering"
    with Session(store) as s, s.begin():  # the recovering process is gone in turn
        s.execute(update(PlaybookRun).values(pid_start="not-a-live-process"))
    finishing["fail"] = False
    (second,) = runner.recover("ani")
    assert second.state == "succeeded" and "finished: subnets released" in (second.reason or "")
    assert journal == ["finish after c", "finish after c"]
    assert runner.recover("ani") == []
