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


_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab(expression: str, timezone: str) -> Any:
    """An APScheduler trigger for a standard crontab line (minute hour day month weekday).

    APScheduler 3 counts weekdays from Monday (0 = mon), crontab from Sunday (0 and 7 = sun): '0 2 * * 0'
    would run on Mondays. Numeric weekdays are rewritten as day names first; names pass unchanged.

    Raises:
        ValueError: not five fields, or a field APScheduler refuses.
    """
    from apscheduler.triggers.cron import CronTrigger  # noqa: PLC0415

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"'{expression}' has {len(fields)} fields; a crontab line has 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday), timezone=timezone
    )


def _weekday_names(field: str) -> str:
    """A crontab weekday field with its numbers (0-7, Sunday 0 or 7) as day names, ranges and steps expanded."""
    parts = []
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        if not any(ch.isdigit() for ch in span):
            if step_text and span == "*":
                span = "0-6"
            else:
                parts.append(part)  # '*', names, name ranges: the same in both
                continue
        low_text, _, high_text = span.partition("-")
        try:
            low = int(low_text)
            high = int(high_text) if high_text else (6 if step_text else low)
            step = int(step_text) if step_text else 1
        except ValueError:
            raise ValueError(f"weekday '{part}': use 0-7 (0 and 7 are Sunday) or sun-sat") from None
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high and step > 0):
            raise ValueError(f"weekday '{part}': use 0-7 (0 and 7 are Sunday) or sun-sat")
        parts += [_DAYS[n % 7] for n in range(low, high + 1, step)]
    return ",".join(dict.fromkeys(parts))


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

    from core.findings import Thresholds  # noqa: PLC0415
    from inventory.loader import load_inventory  # noqa: PLC0415
    from playbooks.maintenance.reports import create_reports  # noqa: PLC0415
    from playbooks.maintenance.run import run_maintenance  # noqa: PLC0415
    from store.engine import open_store  # noqa: PLC0415

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
