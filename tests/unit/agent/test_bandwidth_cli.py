"""``pantau bandwidth plan``: SOP 13's bandwidth map from a month of the store's rollups and the example
inventory's policy (capacity 60 Mbit/s; disdik's floor 5, dishub's weight 2, bappeda's cap 25)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.config import Config
from agent.wiring import build
from core.rollup import RollupRow
from store.links import add_rollups

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
#: the month's steady use, Mbit/s towards each OPD
USE = {"dinkes": 9.0, "disdik": 2.0, "dishub": 40.0, "bappeda": 30.0}


def pantau(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "agent", "--lang", "en", "bandwidth", "plan", "-i", str(EXAMPLE)]
    return subprocess.run([*argv, "--state-dir", str(state), *args], capture_output=True, text=True, check=False)


def mbit(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[float, float]]:
    assert result.returncode == 0, result.stderr
    return {o["opd"]: (round(o["guaranteed_mbps"], 3), o["ceiling_mbps"]) for o in json.loads(result.stdout)["opds"]}


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding November 2026 (WIB) of 5-minute rollups, as the agent writes them."""
    state = tmp_path_factory.mktemp("state")
    store = build(Config(inventory=EXAMPLE, state_dir=state)).store
    start = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Jakarta"))
    periods = [start + timedelta(minutes=5 * i) for i in range(30 * 24 * 12)]
    rows = [
        RollupRow(f"{opd}-wan", opd, at, 300, 10, 1e5, 2e5, use * 1e6, use * 1e6, 0.0, 0.002)
        for opd, use in USE.items()
        for at in periods
    ]
    add_rollups(store, rows)
    return state


def empty(tmp_path: Path) -> Path:
    """A store with nothing measured yet, as the agent makes it when it starts."""
    build(Config(inventory=EXAMPLE, state_dir=tmp_path)).store.dispose()
    return tmp_path


def test_a_month_without_measurements_shares_the_capacity_by_weight_up_to_each_link(tmp_path: Path) -> None:
    result = pantau(empty(tmp_path), "--month", "2026-10", "--json")
    # nobody measured: each asks its whole link (bappeda its cap); disdik's floor first, then 55 by weight
    assert mbit(result) == {
        "bappeda": (11.25, 25.0),
        "dinkes": (10.0, 10.0),
        "disdik": (16.25, 20.0),
        "dishub": (22.5, 50.0),
    }
    data = json.loads(result.stdout)
    assert data["capacity_mbps"] == 60 and data["guaranteed_mbps"] == pytest.approx(60) and data["unmet"] == []
    assert all(o["measured_mbps"] is None and o["why"].startswith("not measured this month") for o in data["opds"])


def test_a_measured_month_gives_each_opd_what_it_asks_within_floor_cap_and_link(measured: Path) -> None:
    result = pantau(measured, "--month", "2026-11", "--capacity", "100", "--json")
    # asks: dinkes 9 × 1.2 held to its 10 Mbit/s link, disdik 2.4 raised to its floor 5, dishub 48,
    # bappeda 36 held to its cap 25: 88 of 100, each in full
    assert mbit(result) == {
        "bappeda": (25.0, 25.0),
        "dinkes": (10.0, 10.0),
        "disdik": (5.0, 20.0),
        "dishub": (48.0, 50.0),
    }
    why = {o["opd"]: o["why"] for o in json.loads(result.stdout)["opds"]}
    assert why["bappeda"] == "p95 30.0 Mbit/s × 1.2 = 36.0 Mbit/s, held to its cap of 25.0 Mbit/s; given in full"
    tight = pantau(measured, "--month", "2026-11", "--json")  # the inventory's 60 Mbit/s
    # 60 - 5 (disdik's floor) shared 1:1:2 by dinkes (wants 10), bappeda and dishub
    assert mbit(tight) == {
        "bappeda": (15.0, 25.0),
        "dinkes": (10.0, 10.0),
        "disdik": (5.0, 20.0),
        "dishub": (30.0, 50.0),
    }
    argv = [sys.executable, "-m", "agent", "bandwidth", "plan", "--month", "2026-11", "-i", str(EXAMPLE)]
    table = subprocess.run(
        [*argv, "--state-dir", str(measured)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    ).stdout
    assert "dijamin" in table and "bagian adil" in table  # Bahasa Indonesia by default


def test_no_capacity_to_share_is_a_clear_error(tmp_path: Path) -> None:
    result = pantau(empty(tmp_path), "--month", "2026-11", "--capacity", "0")
    assert result.returncode == 2 and "no capacity to share: set agency.bandwidth.capacity_mbps" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_plan_is_written_as_a_document_for_the_kabid_to_approve(measured: Path, tmp_path: Path) -> None:
    result = pantau(measured, "--month", "2026-11", "--json", "--output", str(tmp_path / "out"))
    paths = [Path(p) for p in json.loads(result.stdout)["paths"]]
    assert [p.name for p in paths] == [f"peta-bandwidth-2026-11.en.{f}" for f in ("md", "html", "pdf")]
    markdown = paths[0].read_text()
    assert "# BANDWIDTH MAP OF THE OPDS" in markdown and "Measured in: November 2026" in markdown
    assert "| Badan Perencanaan Pembangunan Daerah | 100.0 | 30.0 | 25.0 | 15.0 | 25.0 |" in markdown
    assert "Capacity shared: 60.0 Mbit/s; guaranteed in all: 60.0 Mbit/s." in markdown
    assert "Ir. Hendra Gunawan, M.T." in markdown  # the inventory's Kabid approves it
    html = paths[1].read_text()
    assert 'alt="Guaranteed rate and ceiling per OPD, with the measured p95" src="data:image/svg+xml;base64,' in html
    assert paths[2].read_bytes().startswith(b"%PDF")


def bandwidth(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "agent", "--lang", "en", "bandwidth", *args, "--state-dir", str(state)]
    return subprocess.run([*argv, "-i", str(EXAMPLE)] if args[0] != "list" else argv, capture_output=True,
                          text=True, check=False, env={**os.environ, "PANTAU_OPERATOR": "rizky"})  # fmt: skip


def test_a_kept_plan_is_numbered_and_only_the_kabids_approval_makes_it_approved(measured: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(measured / "pantau.db", state / "pantau.db")
    kept = bandwidth(state, "plan", "--month", "2026-11", "--save", "--output", str(tmp_path / "out"), "--json")
    assert kept.returncode == 0, kept.stderr
    plan = json.loads(kept.stdout)["plan"]
    assert plan == {"id": 1, "number": "000.1.3/PETA-BW/001/DISKOMINFO/2026", "state": "drafted"}
    markdown = (tmp_path / "out" / "peta-bandwidth-2026-11-1.en.md").read_text()
    assert "Number: 000.1.3/PETA-BW/001/DISKOMINFO/2026" in markdown and "Approved in pantau" not in markdown
    again = json.loads(bandwidth(state, "plan", "--month", "2026-11", "--save", "--json").stdout)["plan"]
    assert again["number"] == "000.1.3/PETA-BW/002/DISKOMINFO/2026"  # the year's next
    assert (state / "reports" / "bandwidth" / "peta-bandwidth-2026-11-2.en.pdf").exists()  # the state dir's

    approved = bandwidth(state, "approve", "1", "--json")
    assert approved.returncode == 0, approved.stderr
    record = json.loads(approved.stdout)
    assert (record["state"], record["approved_by"], record["created_by"]) == (
        "approved", "Ir. Hendra Gunawan, M.T.", "rizky",  # the inventory's Kabid; who kept it
    )  # fmt: skip
    markdown = (tmp_path / "out" / "peta-bandwidth-2026-11-1.en.md").read_text()
    assert "Approved in pantau by Ir. Hendra Gunawan, M.T. on " in markdown and " WIB." in markdown
    assert "| Badan Perencanaan Pembangunan Daerah | 100.0 | 30.0 | 25.0 | 15.0 | 25.0 |" in markdown  # as kept

    twice = bandwidth(state, "approve", "1")
    assert twice.returncode == 2 and "plan 000.1.3/PETA-BW/001/DISKOMINFO/2026 is approved already" in twice.stderr
    missing = bandwidth(state, "approve", "9")
    assert missing.returncode == 2 and "no bandwidth plan 9; see pantau bandwidth list" in missing.stderr
    listed = json.loads(bandwidth(state, "list", "--json").stdout)
    assert [(p["id"], p["state"]) for p in listed] == [(2, "drafted"), (1, "approved")]
