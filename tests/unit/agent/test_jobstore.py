"""Scheduled maintenance is kept as JSON: jobs come back as they were stored, and the store never unpickles
or runs anything it finds in its table but the maintenance function."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, text

from agent.config import load_config
from agent.maintenance_jobs import FUNCTION, JOB_TABLE, JOBSTORE, jobstore
from agent.schedule import crontab
from store.engine import open_store

TZ = "Asia/Jakarta"


def scheduler(tmp_path: Path) -> BackgroundScheduler:
    cfg = load_config(None, environ={}, overrides={"state_dir": tmp_path})
    open_store(cfg.database_url).dispose()
    s = BackgroundScheduler(jobstores={JOBSTORE: jobstore(cfg)}, timezone=TZ)
    s.start(paused=True)
    return s


def rows(tmp_path: Path) -> list[Any]:
    with create_engine(f"sqlite:///{tmp_path / 'pantau.db'}").connect() as c:
        return list(c.execute(text(f"SELECT id, job_state FROM {JOB_TABLE}")))


def test_date_and_cron_jobs_come_back_as_stored_and_are_kept_as_json(tmp_path: Path) -> None:
    at = datetime.now(ZoneInfo(TZ)).replace(microsecond=0) + timedelta(days=1)
    s = scheduler(tmp_path)
    kwargs = {"locations": ["dinkes"], "trigger": "scheduled", "by": "ani"}
    s.add_job(FUNCTION, "date", run_date=at, kwargs=kwargs, jobstore=JOBSTORE, id="once", name="maintenance dinkes",
              misfire_grace_time=3600, coalesce=True)  # fmt: skip
    s.add_job(FUNCTION, crontab("0 2 * * 0", TZ), kwargs={"locations": []}, jobstore=JOBSTORE, id="weekly")
    s.shutdown(wait=False)
    stored = {r.id: json.loads(r.job_state) for r in rows(tmp_path)}  # JSON, or this raises
    assert stored["once"]["kwargs"]["locations"] == ["dinkes"]
    again = scheduler(tmp_path)
    jobs = {j.id: j for j in again.get_jobs(jobstore=JOBSTORE)}
    again.shutdown(wait=False)
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
    scheduler(tmp_path).shutdown(wait=False)  # the table exists
    foreign = {"id": "evil", "func": "os:system", "trigger": {"date": "2030-01-01T00:00:00+07:00"}, "args": ["id"],
               "kwargs": {}, "executor": "default", "name": "x", "misfire_grace_time": 1, "coalesce": True,
               "max_instances": 1, "next_run_time": "2030-01-01T00:00:00+07:00"}  # fmt: skip
    with create_engine(f"sqlite:///{tmp_path / 'pantau.db'}").begin() as c:
        insert = text(f"INSERT INTO {JOB_TABLE} (id, next_run_time, job_state) VALUES (:i, 1.0, :s)")
        c.execute(insert, {"i": "pickled", "s": pickle.dumps(_Planted())})
        c.execute(insert, {"i": "evil", "s": json.dumps(foreign).encode()})
    s = scheduler(tmp_path)
    assert s.get_jobs(jobstore=JOBSTORE) == []
    s.shutdown(wait=False)
    assert not planted.exists()
    assert rows(tmp_path) == []  # APScheduler removes the rows it cannot restore
