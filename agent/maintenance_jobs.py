"""Maintenance on schedule: the plan's cron job, and one-off runs staff schedule, kept in the store by
APScheduler's SQLAlchemy job store so they survive agent restarts. The agent runs them in its executor
(a thread: SSH is blocking); ``pantau maintenance schedule|list|cancel`` edit the same job store."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from agent.config import Config

log = logging.getLogger(__name__)
JOBSTORE = "maintenance"
JOB_TABLE = "apscheduler_jobs"
FUNCTION = "agent.maintenance_jobs:scheduled_maintenance"
_running: dict[str, Config] = {}  # the running agent's configuration, set by the daemon


def jobstore(config: Config) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: PLC0415

    return SQLAlchemyJobStore(url=config.database_url, tablename=JOB_TABLE)


def use_config(config: Config) -> None:
    _running["config"] = config


def scheduled_maintenance(locations: list[str], trigger: str = "scheduled", by: str = "pantau") -> int:
    """Run maintenance with the running agent's configuration and write its reports; the run's id."""
    config = _running.get("config")
    if config is None:
        raise RuntimeError("scheduled maintenance runs inside pantau run (no agent configuration here)")
    return run_with_reports(config, locations, trigger, by)[0]


def run_with_reports(
    config: Config,
    locations: list[str],
    trigger: str,
    by: str,
    output: Any = None,
    progress: Any = None,
    on_start: Any = None,
) -> tuple[int, list[Any], list[Any]]:
    """(run id, results, report files) of one maintenance run over ``locations`` (empty: all)."""
    from pathlib import Path  # noqa: PLC0415

    from agent.store import open_store  # noqa: PLC0415
    from inventory.loader import load_inventory  # noqa: PLC0415
    from playbooks.checks import Thresholds  # noqa: PLC0415
    from playbooks.maintenance import run_maintenance  # noqa: PLC0415
    from playbooks.reports import create_reports  # noqa: PLC0415

    m = config.maintenance
    inv = load_inventory(config.inventory)
    store = open_store(config.database_url)
    thresholds = Thresholds(
        m.error_growth,
        m.cpu_warn_pct,
        m.memory_available_warn_pct,
        m.disk_warn_pct,
        m.disk_fail_pct,
        m.clock_skew_warn_s,
        m.clock_skew_fail_s,
    )
    started = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        outcome = run_maintenance(
            store,
            inv,
            config.inventory,
            config.known_hosts,
            locations or m.locations or None,
            by,
            trigger=trigger,
            plan=m.plan,
            thresholds=thresholds,
            timeout=m.timeout,
            progress=progress,
            on_start=on_start,
        )
        directory = Path(output) if output else config.state_dir / "reports" / f"{started}-run{outcome.run_id}"
        files = create_reports(store, inv, outcome.run_id, directory, m.languages)
        log.info("maintenance run %d: %d results, reports in %s", outcome.run_id, len(outcome.results), directory)
        return outcome.run_id, outcome.results, files
    finally:
        store.dispose()
