"""Maintenance on schedule: the plan's cron job, and one-off runs staff schedule, kept in the store by
APScheduler's SQLAlchemy job store (as JSON, not pickles) so they survive agent restarts. The agent runs
them in its executor (a thread: SSH is blocking); ``pantau maintenance schedule|list|cancel`` edit the same
job store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from agent.config import Config
from agent.wiring import App
from core.findings import Result
from playbooks.maintenance.reports import ReportFiles, create_reports
from playbooks.maintenance.run import run_maintenance
from store.files import private_directory, secret_key
from store.jobs import JsonJobStore

log = logging.getLogger(__name__)
JOBSTORE = "maintenance"
JOB_TABLE = "apscheduler_jobs"
REDACTION_KEY = "redaction.key"
FUNCTION = "agent.maintenance_jobs:scheduled_maintenance"
_running: dict[str, App] = {}  # the running agent's App, set by the daemon
# (APScheduler's job store keeps FUNCTION by name: the module and function keep their names for jobs stored)


def redaction_key(config: Config) -> bytes:
    """This installation's key for the fingerprints of hidden secrets (made on first use)."""
    private_directory(config.state_dir)
    return secret_key(config.state_dir / REDACTION_KEY)


def jobstore(config: Config) -> JsonJobStore:
    """The store of scheduled maintenance; it reads back only jobs that call :data:`FUNCTION`."""
    return JsonJobStore(config.database_url, JOB_TABLE, frozenset({FUNCTION}))


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
