"""Maintenance plan and one-off schedule from the CLI, on a real store: schedule, list, cancel, and the
mistakes staff make (a past time, a wrong format, an unknown id) as clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from store.engine import open_store

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


def pantau(state: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", "maintenance", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PANTAU_LANG": "en",
            "PANTAU_INVENTORY": str(EXAMPLE),
            **(env or {}),
        },  # the messages read here are the English ones
    )


def listed(state: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = pantau(state, "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_scheduled_maintenance_is_listed_until_cancelled(tmp_path: Path) -> None:
    at = datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(days=1)
    done = pantau(tmp_path, "schedule", "--at", at.strftime("%Y-%m-%d %H:%M"), "--opd", "dinkes")
    assert done.returncode == 0, done.stderr
    (job,) = listed(tmp_path)["scheduled"]
    assert job["locations"] == ["dinkes"]
    assert datetime.fromisoformat(job["at"]) == at.replace(second=0, microsecond=0)
    assert f"scheduled {job['id']}" in done.stdout
    cancelled = pantau(tmp_path, "cancel", job["id"])
    assert cancelled.returncode == 0, cancelled.stderr
    assert listed(tmp_path)["scheduled"] == []


def test_the_plan_is_listed_with_its_next_run_in_the_agencys_time(tmp_path: Path) -> None:
    open_store(f"sqlite:///{tmp_path / 'pantau.db'}").dispose()  # as the agent makes it when it starts
    data = listed(tmp_path, env={"PANTAU_MAINTENANCE__SCHEDULE": "0 2 * * 0"})
    upcoming = datetime.fromisoformat(data["plan"]["next"])
    assert (upcoming.strftime("%A"), upcoming.hour, upcoming.utcoffset()) == ("Sunday", 2, timedelta(hours=7))
    assert listed(tmp_path)["plan"] is None


def test_schedule_mistakes_are_clear_errors_and_leave_nothing_scheduled(tmp_path: Path) -> None:
    past = pantau(tmp_path, "schedule", "--at", "2020-01-01 22:00")
    assert past.returncode != 0 and "is in the past" in past.stderr and "Traceback" not in past.stderr
    wrong = pantau(tmp_path, "schedule", "--at", "besok jam 10")
    assert wrong.returncode != 0 and "YYYY-MM-DD HH:MM" in wrong.stderr and "Traceback" not in wrong.stderr
    unknown = pantau(tmp_path, "cancel", "nope")
    assert unknown.returncode != 0 and "no scheduled maintenance 'nope'" in unknown.stderr
    assert listed(tmp_path)["scheduled"] == []
