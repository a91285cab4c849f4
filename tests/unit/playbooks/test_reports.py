"""The review workflow of a Berita Acara: signatures in SOP 05's order, state and files follow."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from inventory.loader import load_inventory
from inventory.models import Inventory
from playbooks.errors import PlaybookError
from playbooks.maintenance.reports import create_reports, review_times, sign
from store.engine import open_store
from store.schema import MaintenanceResult, MaintenanceRun

INVENTORY = Path(__file__).resolve().parents[3] / "inventory" / "example"


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    engine = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")
    with Session(engine) as s, s.begin():
        run = MaintenanceRun(
            started_at=datetime(2026, 11, 22, 19, 0, tzinfo=UTC),
            ended_at=datetime(2026, 11, 22, 19, 1, tzinfo=UTC),
            trigger="plan",
            scope=json.dumps(["dinkes"]),
            by="budi",
        )
        s.add(run)
        s.flush()
        s.add(
            MaintenanceResult(
                run_id=run.id,
                location="dinkes",
                device="opd-dinkes",
                check="reach.icmp",
                subject="ICMP (ping)",
                status="pass",
                finding="ICMP (ping) menjawab",
                finding_en="ICMP (ping) answers",
                follow_up="",
                follow_up_en="",
                detail="",
            )
        )
    return engine


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def test_reports_are_numbered_per_location_and_summary(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    files = create_reports(store, inv, 1, tmp_path / "out", ["id", "en"])
    assert [(f.location, f.number) for f in files] == [
        ("dinkes", "001/BA-PJB/DINKES/XI/2026"),
        ("*", "002/LAP-PJB/SEMUA/XI/2026"),
    ]
    assert sorted(p.name for p in files[0].paths) == [
        "001-BA-PJB-DINKES-XI-2026.en.html",
        "001-BA-PJB-DINKES-XI-2026.en.md",
        "001-BA-PJB-DINKES-XI-2026.id.html",
        "001-BA-PJB-DINKES-XI-2026.id.md",
    ]


def test_signatures_follow_the_sop_order_and_show_in_the_report(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    report = create_reports(store, inv, 1, tmp_path / "out", ["id"])[0].report_id
    with pytest.raises(PlaybookError, match="the next to sign is opd, not kasi"):
        sign(store, inv, report, "kasi", "Agus Salim", ["id"])
    state, paths = sign(store, inv, report, "opd", "Rina Wulandari", ["id"])
    assert state == "acknowledged"
    text = next(p for p in paths if p.suffix == ".md").read_text()
    assert "Rina Wulandari, ditandatangani" in text and "| Status | diketahui OPD |" in text
    for role, name in (("kasi", "Agus Salim"), ("kabid", "Sri Rahayu"), ("kadis", "Ir. Bambang")):
        state, _ = sign(store, inv, report, role, name, ["id"])
    assert state == "reviewed"
    with pytest.raises(PlaybookError, match="already reviewed"):
        sign(store, inv, report, "kadis", "Ir. Bambang", ["id"])
    steps = review_times(store, report)
    assert [s["role"] for s in steps] == ["opd", "kasi", "kabid", "kadis"]
    assert all(s["within_allowance"] for s in steps)


def test_unknown_role_and_empty_name_are_refused(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    report = create_reports(store, inv, 1, tmp_path / "out", ["id"])[0].report_id
    with pytest.raises(PlaybookError, match="choose one of opd, kasi, kabid, kadis"):
        sign(store, inv, report, "camat", "X", ["id"])
    with pytest.raises(PlaybookError, match="--name is empty"):
        sign(store, inv, report, "opd", "  ", ["id"])


def test_of_two_signers_at_once_only_one_signs_the_step(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    from core.errors import RuleError
    from store import maintenance

    report = create_reports(store, inv, 1, tmp_path / "out", ["id"])[0].report_id
    seen_by_a, seen_by_b = maintenance.report(store, report), maintenance.report(store, report)
    maintenance.add_signature(store, seen_by_a, "opd", "Rina Wulandari", "acknowledged")
    with pytest.raises(RuleError, match="signed meanwhile"):
        maintenance.add_signature(store, seen_by_b, "opd", "Dewi Lestari", "acknowledged")
    assert [s.name for s in maintenance.signatures(store, report)] == ["Rina Wulandari"]
