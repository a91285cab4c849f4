"""The state directory, the SQLite store (with its WAL files) and reports are private whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.engine import open_store
from store.files import write_report


@pytest.fixture
def open_umask() -> Iterator[None]:
    before = os.umask(0)  # the worst case: everything created world-writable unless the code says otherwise
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_the_state_directory_is_0700_and_the_store_and_its_wal_0600(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = open_store(f"sqlite:///{state / 'pantau.db'}")
    with store.connect() as conn:  # WAL mode: the -wal and -shm files exist while a connection is open
        conn.exec_driver_sql("SELECT 1")
        assert mode(state) == 0o700
        files = {p.name: mode(p) for p in state.iterdir() if p.is_file()}
    assert files["pantau.db"] == 0o600
    assert files.get("pantau.db-wal", 0o600) == 0o600 and files.get("pantau.db-shm", 0o600) == 0o600
    assert "pantau.db-wal" in files  # the check above saw the WAL file, not its absence


@pytest.mark.usefixtures("open_umask")
def test_reports_are_0640(tmp_path: Path) -> None:
    report = tmp_path / "BA-001.id.md"
    write_report(report, "# Berita Acara\n")
    assert mode(report) == 0o640 and report.read_text() == "# Berita Acara\n"
