"""The lab for tests (tests/lab, and the device zoo in tests/zoo, which shares it): one per session, up
once and down at the end (also on failure or Ctrl-C), faults and traffic cleared after each test.
Without root or the Debian packages the lab tests (and the production install's, tests/install) are
skipped with the reason, except under CI (CI=true), where that is a failure: CI must run them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from inventory.loader import load_inventory
from inventory.models import Inventory
from lab.faults import Faults
from lab.runner import Runner, UpReport, missing_tools
from lab.topology import Topology, load_topology

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "lab" / "kominfo.clab.yml"
INVENTORY = ROOT / "inventory" / "example"


def lab_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces and daemons)"
    missing = missing_tools()
    if missing:
        return f"lab tests need Debian packages: {' '.join(sorted(set(missing.values())))} (run make setup)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(f"tests/{tier}/" in str(item.fspath) for tier in ("lab", "zoo", "install")):
            item.add_marker(pytest.mark.lab)
    reason = lab_unavailable()
    if reason is None or os.environ.get("CI"):
        return  # under CI a missing prerequisite makes the lab tests fail, never skip
    for item in items:
        if item.get_closest_marker("lab"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def topology() -> Topology:
    return load_topology(TOPOLOGY)


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.fixture(scope="session")
def lab_up(topology: Topology) -> Iterator[tuple[Runner, UpReport]]:
    runner = Runner(topology)
    runner.down()  # a lab left by an earlier crashed run
    try:
        report = runner.up()
        yield runner, report
    finally:
        runner.down()


@pytest.fixture
def lab(lab_up: tuple[Runner, UpReport]) -> Iterator[Runner]:
    runner, _ = lab_up
    yield runner
    Faults(runner).clear()


@pytest.fixture
def faults(lab: Runner, inventory: Inventory) -> Faults:
    return Faults(lab, inventory)


def in_nms(runner: Runner, code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run Python code with this interpreter inside the lab's NMS node, where pantau runs."""
    return runner.exec(runner.topo.vantage.name, [sys.executable, "-c", code], check=False, timeout=timeout)
