"""Scheduled jobs in the store: APScheduler's SQLAlchemy job store, each job kept as JSON instead of a
pickle (reading a pickle runs whatever it names); and, among agents sharing the store, the claim of each
firing of a job that one agent must run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from store import cluster
from store.cluster import Fence
from store.schema import JobClaim
from store.translate import translated


class JsonJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy job store with each job kept as JSON, never pickled: whoever can write the
    store's table could otherwise make the agent unpickle (run) anything. A job is read back only when it
    calls one of ``functions`` (APScheduler's "module:function" references) with a date or cron trigger;
    anything else is dropped with a log line."""

    def __init__(self, url: str, tablename: str, functions: frozenset[str]) -> None:
        super().__init__(url=url, tablename=tablename)
        self.functions = functions

    def add_job(self, job: Job) -> None:
        self._write(job, insert=True)

    def update_job(self, job: Job) -> None:
        self._write(job, insert=False)

    def _write(self, job: Job, insert: bool) -> None:
        row = {"next_run_time": datetime_to_utc_timestamp(job.next_run_time), "job_state": _encode(job)}
        with self.engine.begin() as connection:
            if insert:
                try:
                    connection.execute(self.jobs_t.insert().values(id=job.id, **row))
                except IntegrityError:
                    raise ConflictingIdError(job.id) from None
            elif connection.execute(self.jobs_t.update().values(**row).where(self.jobs_t.c.id == job.id)).rowcount == 0:
                raise JobLookupError(job.id)

    def _reconstitute_job(self, job_state: bytes) -> Job:
        state = _decode(job_state, self.functions)
        state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job


@translated("claiming a job")
def claim(store: Engine, job: str, due: datetime, fence: Fence) -> bool:
    """Whether this agent runs the firing of ``job`` due at ``due``: True for the first agent to claim it,
    False for every other (and for this one again). A claim is a write like any other: refused when the
    agent's lease ran out.

    Raises:
        Fenced: the agent's lease ran out or a newer incarnation of it joined.
    """
    row = {"job": job, "due": due, "agent": fence.agent, "epoch": fence.epoch, "claimed_at": datetime.now(UTC)}
    try:
        with store.begin() as conn:
            cluster.check(conn, fence)
            conn.execute(insert(JobClaim).values(**row))
    except IntegrityError:  # another agent claimed it first
        return False
    return True


def _encode(job: Job) -> bytes:
    state = job.__getstate__()
    trigger = state["trigger"]
    if isinstance(trigger, DateTrigger):
        when: dict[str, Any] = {"date": trigger.run_date.isoformat()}
    elif isinstance(trigger, CronTrigger):
        when = {"cron": {f.name: str(f) for f in trigger.fields if not f.is_default}, "timezone": str(trigger.timezone)}
    else:
        raise ValueError(f"job {job.id}: only date and cron triggers are kept, not {type(trigger).__name__}")
    next_run = state["next_run_time"]
    return json.dumps(
        {
            **{
                k: state[k]
                for k in ("id", "func", "executor", "name", "misfire_grace_time", "coalesce", "max_instances")
            },
            "args": list(state["args"]),
            "kwargs": state["kwargs"],
            "trigger": when,
            "next_run_time": next_run.isoformat() if next_run else None,
        }
    ).encode()


def _decode(data: bytes, functions: frozenset[str]) -> dict[str, Any]:
    """A job's state from its JSON (APScheduler drops a row this refuses, and logs it).

    Raises:
        ValueError: not JSON (a pickled job of an older pantau: schedule it again), or a function not among
            ``functions``.
    """
    try:
        state = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("not kept as JSON (an older pantau pickled it): schedule that maintenance again") from None
    if state.get("func") not in functions:
        raise ValueError(f"calls {state.get('func')!r}, not one of {sorted(functions)}: not run")
    when = state.pop("trigger")
    if "date" in when:
        state["trigger"] = DateTrigger(run_date=datetime.fromisoformat(when["date"]))
    else:
        state["trigger"] = CronTrigger(**when["cron"], timezone=when["timezone"])
    next_run = state["next_run_time"]
    state["next_run_time"] = datetime.fromisoformat(next_run) if next_run else None
    state["args"] = tuple(state["args"])
    state["version"] = 1
    return dict(state)
