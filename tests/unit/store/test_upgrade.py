"""A store written by pantau 0.1.0 opens under this version with everything in it: its playbook runs (their
facts read as this version's typed facts), its ticket and status-page user, the link rollups the agent
kept, the periodic maintenance and its Berita Acara. The store was written by 0.1.0's own commands in the
lab (tests/fixtures/make_store_0_1_0.py says how); each test works on a copy of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from playbooks.catalog import PLAYBOOKS
from store import runs
from store.engine import HEAD, open_store
from store.runs import RunState

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "store-0.1.0.db"
INVENTORY = Path(__file__).resolve().parents[3] / "inventory" / "example"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    shutil.copy(FIXTURE, tmp_path / "pantau.db")
    return tmp_path


def pantau(state: Path, *args: str) -> Any:
    """``pantau ARGS --json`` of this version on the upgraded store, as a staff member runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")} | {"PANTAU_LANG": "en"}
    argv = [sys.executable, "-m", "agent", *args, "--state-dir", str(state), "--json"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_run_of_0_1_0_is_listed_with_its_steps_and_its_facts_read_as_typed_facts(state: Path) -> None:
    listed = pantau(state, "runs", "list")
    by_host = {(r["playbook"], r["params"]["hostname"]): r for r in listed}
    assert set(by_host) == {
        ("colocate", "simpeg"), ("colocate", "dapodik"), ("colocate", "sitraffic"),
        ("decommission", "sitraffic"), ("colocate", "sipd"),
    }  # fmt: skip
    assert [by_host[k]["state"] for k in (("colocate", "simpeg"), ("decommission", "sitraffic"))] == ["succeeded"] * 2
    assert by_host[("colocate", "sipd")]["state"] == "running"  # killed mid-run: left for pantau runs recover
    store = open_store(f"sqlite:///{state / 'pantau.db'}")
    try:
        for record in runs.newest(store, 20):
            facts = PLAYBOOKS[record.playbook].facts.model_validate(record.facts)
            assert facts.to_json() == record.facts, record.playbook  # read and written back unchanged
        shown = pantau(state, "runs", "show", str(by_host[("colocate", "dapodik")]["id"]))
        assert [s["state"] for s in shown["steps"]] == ["ok"] * 7
        colocation = PLAYBOOKS["colocate"].facts.model_validate(shown["facts"])
        assert colocation.subdomain.record is not None and colocation.subdomain.record.rtype == "CNAME"
        killed = next(r for r in runs.recoverable(store) if r.params["hostname"] == "sipd")
        assert killed.state is RunState.RUNNING
        half = PLAYBOOKS["colocate"].facts.model_validate(killed.facts)
        assert half.forward.record is not None and half.forward.result is None  # sent, its answer never kept
    finally:
        store.dispose()


def test_the_ticket_and_the_user_of_0_1_0_are_found(state: Path) -> None:
    ticket = pantau(state, "ticket", "show", "1")
    assert (ticket["opd"], ticket["state"], ticket["assignee"]) == ("dinkes", "resolved", "Rizky")
    assert [e["step"] for e in ticket["events"]] == ["open", "assign", "resolve"]
    assert [(u["name"], u["role"]) for u in pantau(state, "user", "list")] == [("ani", "kasi")]


def test_the_rollups_and_the_maintenance_of_0_1_0_are_found(state: Path) -> None:
    store = open_store(f"sqlite:///{state / 'pantau.db'}")  # migrated to this version's head on the way
    try:
        with store.connect() as db:
            assert db.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    finally:
        store.dispose()
    survey = pantau(state, "report", "bandwidth", "--month", "2026-12", "-i", str(INVENTORY))
    measured = {r["link"]: r["monitored_seconds"] for r in survey["links"]}
    assert all(seconds >= 300 for seconds in measured.values()), measured  # a closed 5-minute period each
    reports = {r["location"]: r for r in pantau(state, "report", "list")}  # dinkes' Berita Acara and the summary
    assert sorted(reports) == ["*", "dinkes"]
    assert (
        reports["dinkes"]["number"] == "000.1.3/BA-PJB/001/DISKOMINFO/2026" and reports["dinkes"]["state"] == "drafted"
    )
    assert [r["scope"] for r in pantau(state, "maintenance", "list")["runs"]] == [["dinkes"]]
