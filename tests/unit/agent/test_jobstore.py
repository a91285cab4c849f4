"""Scheduled maintenance is kept as JSON: jobs come back as they were stored, and the store never unpickles
or runs anything it finds in its table but the maintenance function."""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, text

from agent.config import load_config
from agent.maintenance_jobs import FUNCTION, JOB_TABLE, JOBSTORE, SharedJobs, editor
from agent.schedule import crontab
from agent.wiring import App
from store import cluster, jobs
from store.cluster import Fence
from store.engine import open_store

TZ = "Asia/Jakarta"


@contextmanager
def scheduler(tmp_path: Path) -> Iterator[BackgroundScheduler]:
    cfg = load_config(None, environ={}, overrides={"state_dir": tmp_path, "timezone": TZ})
    open_store(cfg.database_url).dispose()
    with editor(cfg) as s:
        yield s


def rows(tmp_path: Path) -> list[Any]:
    with create_engine(f"sqlite:///{tmp_path / 'pantau.db'}").connect() as c:
        return list(c.execute(text(f"SELECT id, job_state FROM {JOB_TABLE}")))


def test_date_and_cron_jobs_come_back_as_stored_and_are_kept_as_json(tmp_path: Path) -> None:
    at = datetime.now(ZoneInfo(TZ)).replace(microsecond=0) + timedelta(days=1)
    kwargs = {"locations": ["dinkes"], "trigger": "scheduled", "by": "ani"}
    with scheduler(tmp_path) as s:
        s.add_job(FUNCTION, "date", run_date=at, kwargs=kwargs, jobstore=JOBSTORE, id="once", name="maintenance dinkes",
                  misfire_grace_time=3600, coalesce=True)  # fmt: skip
        s.add_job(FUNCTION, crontab("0 2 * * 0", TZ), kwargs={"locations": []}, jobstore=JOBSTORE, id="weekly")
    stored = {r.id: json.loads(r.job_state) for r in rows(tmp_path)}  # JSON, or this raises
    assert stored["once"]["kwargs"]["locations"] == ["dinkes"]
    with scheduler(tmp_path) as again:
        jobs = {j.id: j for j in again.get_jobs(jobstore=JOBSTORE)}
    assert jobs["once"].trigger.run_date == at and jobs["once"].kwargs["by"] == "ani"
    assert jobs["once"].name == "maintenance dinkes" and jobs["once"].misfire_grace_time == 3600
    weekly = jobs["weekly"].trigger
    assert str(weekly) == str(crontab("0 2 * * 0", TZ)) and weekly.get_next_fire_time(None, at).weekday() == 6


class _Planted:
    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path("/tmp/pantau-unpickled"),))


def test_a_pickled_row_or_a_foreign_function_is_dropped_never_run(tmp_path: Path) -> None:
    planted = Path("/tmp/pantau-unpickled")
    planted.unlink(missing_ok=True)
    with scheduler(tmp_path):  # the table exists
        pass
    foreign = {"id": "evil", "func": "os:system", "trigger": {"date": "2030-01-01T00:00:00+07:00"}, "args": ["id"],
               "kwargs": {}, "executor": "default", "name": "x", "misfire_grace_time": 1, "coalesce": True,
               "max_instances": 1, "next_run_time": "2030-01-01T00:00:00+07:00"}  # fmt: skip
    with create_engine(f"sqlite:///{tmp_path / 'pantau.db'}").begin() as c:
        insert = text(f"INSERT INTO {JOB_TABLE} (id, next_run_time, job_state) VALUES (:i, 1.0, :s)")
        c.execute(insert, {"i": "pickled", "s": pickle.dumps(_Planted())})
        c.execute(insert, {"i": "evil", "s": json.dumps(foreign).encode()})
    with scheduler(tmp_path) as s:
        assert s.get_jobs(jobstore=JOBSTORE) == []
    assert not planted.exists()
    assert rows(tmp_path) == []  # APScheduler removes the rows it cannot restore


def test_among_agents_sharing_the_store_each_due_firing_runs_on_one_and_none_is_left_stuck(tmp_path: Path) -> None:
    cfg = load_config(None, environ={}, overrides={"state_dir": tmp_path})
    app = App(cfg)
    lease = timedelta(seconds=30)
    a, b = (Fence(name, cluster.join(app.store, name), lease) for name in ("nms-a", "nms-b"))
    now = datetime.now(ZoneInfo(TZ)).replace(microsecond=0)
    with scheduler(tmp_path) as s:
        for job_id, due in (("soon", now - timedelta(seconds=5)), ("stuck", now - timedelta(seconds=5)),
                            ("missed", now - timedelta(hours=2)), ("later", now + timedelta(hours=1))):  # fmt: skip
            s.add_job(FUNCTION, "date", run_date=due, kwargs={"locations": [job_id], "trigger": "scheduled",
                      "by": "ani"}, jobstore=JOBSTORE, id=job_id, misfire_grace_time=3600, coalesce=True)  # fmt: skip
        s.add_job(FUNCTION, crontab("0 2 1 1 *", TZ), kwargs={"locations": ["yearly"]}, jobstore=JOBSTORE,
                  id="cron", next_run_time=now - timedelta(seconds=5), misfire_grace_time=60)  # fmt: skip
    jobs.claim(app.store, "stuck", now - timedelta(seconds=5), a)  # a claimed it, then died before moving it on
    first, second = SharedJobs(app), SharedJobs(app)
    try:
        at = datetime.now(ZoneInfo(TZ))
        taken_b = second.take_due(b, at)
        taken_a = first.take_due(a, at)
        assert [k["locations"] for k in taken_b] == [["soon"], ["yearly"]]  # "missed": two hours late, not run
        assert taken_a == []  # everything due was b's, or claimed before
        left = {job.id: job.next_run_time for job in second.jobs.get_all_jobs()}
    finally:
        first.close()
        second.close()
    assert set(left) == {"later", "cron"}  # the date jobs done are gone, stuck or missed ones too
    assert left["cron"] > now  # the cron job moved on to its next firing
    with app.store.connect() as conn:
        claimed = {job: agent for job, agent in conn.execute(text("SELECT job, agent FROM job_claims"))}
    assert claimed == {"stuck": "nms-a", "soon": "nms-b", "missed": "nms-b", "cron": "nms-b"}
    app.close()


def test_reading_the_job_store_leaves_a_due_job_for_the_agent(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with scheduler(tmp_path) as s:  # due in a second; no agent runs meanwhile
        s.add_job(FUNCTION, "date", run_date=datetime.now(ZoneInfo(TZ)) + timedelta(seconds=1),
                  kwargs={"locations": []}, jobstore=JOBSTORE, id="due", misfire_grace_time=3600)  # fmt: skip
    time.sleep(1.5)
    for _ in range(2):  # pantau maintenance list, twice
        with scheduler(tmp_path) as s:
            assert [j.id for j in s.get_jobs(jobstore=JOBSTORE)] == ["due"]
    assert "Traceback" not in capfd.readouterr().err
