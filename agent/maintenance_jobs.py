"""Maintenance on schedule: the plan's cron job, and one-off runs staff schedule, kept in the store by
APScheduler's SQLAlchemy job store (as JSON, not pickles) so they survive agent restarts. The agent runs
them in its executor (a thread: SSH is blocking); ``pantau maintenance schedule|list|cancel`` edit the same
job store.

Among agents sharing the store no scheduler owns that job store (APScheduler's are one scheduler's):
every agent keeps the plan's cron in memory and reads the staff's jobs from the table, and each firing
runs on the one agent that claims it first (:func:`store.jobs.claim`); the others skip it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from agent.config import Config
from agent.wiring import App
from core.findings import Result
from i18n import message_of
from playbooks.maintenance.reports import ReportFiles, create_reports
from playbooks.maintenance.run import run_maintenance
from store.cluster import Fence
from store.errors import StoreError
from store.files import private_directory, secret_key
from store.jobs import JsonJobStore, claim

log = logging.getLogger(__name__)
JOBSTORE = "maintenance"
JOB_TABLE = "apscheduler_jobs"
REDACTION_KEY = "redaction.key"
FUNCTION = "agent.maintenance_jobs:scheduled_maintenance"
PLAN_JOB = "maintenance-plan"
#: seconds a claimed firing may start after it was due (the agents' schedulers fire within a second or two)
CLAIM_GRACE = 30
_running: dict[str, App] = {}  # the running agent's App, set by the daemon
# (APScheduler's job store keeps FUNCTION by name: the module and function keep their names for jobs stored)


def redaction_key(config: Config) -> bytes:
    """This installation's key for the fingerprints of hidden secrets (made on first use)."""
    private_directory(config.state_dir)
    return secret_key(config.state_dir / REDACTION_KEY)


def jobstore(config: Config) -> JsonJobStore:
    """The store of scheduled maintenance; it reads back only jobs that call :data:`FUNCTION`."""
    return JsonJobStore(config.database_url, JOB_TABLE, frozenset({FUNCTION}))


@contextmanager
def editor(config: Config) -> Iterator[BackgroundScheduler]:
    """A paused scheduler over the job store, only to read and write it, never to run a job. Closed without
    a last look at due jobs: APScheduler's shutdown wakes its paused loop, which would hand each due job to
    the stopped executor (a traceback) and then drop it, unrun."""
    scheduler = BackgroundScheduler(jobstores={JOBSTORE: jobstore(config)}, timezone=config.timezone)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.remove_jobstore(JOBSTORE, shutdown=True)
        scheduler.shutdown(wait=True)


def use_app(app: App) -> None:
    _running["app"] = app


def scheduled_maintenance(locations: list[str], trigger: str = "scheduled", by: str = "pantau") -> int:
    """Run maintenance with the running agent's App and write its reports; the run's id."""
    app = _running.get("app")
    if app is None:
        raise RuntimeError("scheduled maintenance runs inside pantau run (no agent configuration here)")
    return run_with_reports(app, locations, trigger, by)[0]


def run_with_reports(
    app: App,
    locations: list[str],
    trigger: str,
    by: str,
    output: Path | None = None,
    progress: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> tuple[int, list[Result], list[ReportFiles]]:
    """(run id, results, report files) of one maintenance run over ``locations`` (empty: all)."""
    config = app.config
    m = config.maintenance
    inv, store = app.inventory, app.store
    started = datetime.now().strftime("%Y%m%d-%H%M%S")
    outcome = run_maintenance(
        store,
        inv,
        app.probes,
        locations or m.locations or None,
        by,
        trigger=trigger,
        plan=m.plan,
        thresholds=m,
        timeout=m.timeout,
        progress=progress,
        on_start=on_start,
        redaction_key=redaction_key(config),
    )
    directory = Path(output) if output else config.state_dir / "reports" / f"{started}-run{outcome.run_id}"
    files = create_reports(store, inv, outcome.run_id, directory, m.languages)
    log.info("maintenance run %d: %d results, reports in %s", outcome.run_id, len(outcome.results), directory)
    return outcome.run_id, outcome.results, files


def plan_due(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The plan's firing that a run starting at ``now`` serves: the first due at or after ``now`` less
    CLAIM_GRACE (the scheduler starts it on time or within its misfire grace of CLAIM_GRACE)."""
    due: datetime | None = trigger.get_next_fire_time(None, now - timedelta(seconds=CLAIM_GRACE))
    return due


def claimed_plan(app: App, fence: Callable[[], Fence | None], trigger: BaseTrigger) -> int | None:
    """The plan's firing, among agents sharing the store: run by the agent that claims it; the run's id, or
    None where another agent claimed it (or this one has not joined)."""
    due, held = plan_due(trigger, datetime.now(UTC)), fence()
    if due is None or held is None:
        return None
    try:
        won = claim(app.store, PLAN_JOB, due, held)
    except StoreError as exc:  # the store away or this agent fenced: another agent may claim it
        log.warning("maintenance plan due %s not claimed: %s", due.isoformat(), message_of(exc) or exc)
        return None
    if not won:
        log.info("maintenance plan due %s: run by another agent", due.isoformat())
        return None
    return run_with_reports(app, list(app.config.maintenance.locations), "plan", "pantau")[0]


class SharedJobs:
    """The maintenance staff scheduled (``pantau maintenance schedule``), read by every agent from the
    table no scheduler owns; each firing is claimed by one agent, which runs it."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.jobs = jobstore(app.config)
        self.jobs.start(None, JOBSTORE)  # the table's reader and writer only: no scheduler runs from it

    def take_due(self, fence: Fence, now: datetime) -> list[dict[str, Any]]:
        """The keyword arguments of each due firing this agent claimed. Every due firing is moved on in the
        table (to its next time, or removed) before it runs, claimed here or not: a job runs at most once,
        and an agent that died between its claim and the move leaves no firing stuck."""
        taken = []
        for job in self.jobs.get_due_jobs(now):
            due: datetime = job.next_run_time
            won = claim(self.app.store, job.id, due, fence)
            self._move_on(job, now)
            late = (now - due).total_seconds()
            if won and job.misfire_grace_time is not None and late > job.misfire_grace_time:
                log.warning("maintenance %s due %s missed by %.0f s: not run", job.id, due.isoformat(), late)
            elif won:
                taken.append(dict(job.kwargs))
        return taken

    def _move_on(self, job: Job, now: datetime) -> None:
        following = job.trigger.get_next_fire_time(job.next_run_time, now)
        try:
            if following is None:
                self.jobs.remove_job(job.id)
            else:
                job.next_run_time = following
                self.jobs.update_job(job)
        except JobLookupError:  # another agent moved it on first
            pass

    def close(self) -> None:
        self.jobs.shutdown()
