"""The agent as the lab tests run it: ``pantau run`` in the NMS node against the lab's inventory, healthy
before the test starts, and stopped (by its PID) whatever the test does."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from lab.runner import Runner
from tests.conftest import INVENTORY


@contextmanager
def agent_in_nms(
    lab: Runner, state: Path, listen: str, env: Mapping[str, str] | None = None, inventory: Path = INVENTORY
) -> Iterator[subprocess.Popen[bytes]]:
    """``pantau run`` with its metrics on ``listen`` (inside the NMS node) and its log in ``state``."""
    argv = [sys.executable, "-m", "agent", "run", "--inventory", str(inventory), "--state-dir", str(state)]
    with (state / "agent.log").open("wb") as log:
        proc = subprocess.Popen(
            lab.in_node("nms", [*argv, "--listen", listen]),
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while lab.exec("nms", ["curl", "-sf", f"http://{listen}/-/healthy"], check=False).returncode != 0:
                assert proc.poll() is None, (state / "agent.log").read_text()
                assert time.monotonic() < deadline, "agent did not become healthy"
                time.sleep(0.2)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
