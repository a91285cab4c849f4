"""The agent as the lab tests run it: ``pantau run`` in the NMS node against the lab's inventory, healthy
before the test starts, and stopped (by its PID) whatever the test does."""

from __future__ import annotations

import json
import re
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


class Browser:
    """curl in the NMS node with a cookie jar: logs in on one agent's page, asks any agent's /api/links."""

    def __init__(self, lab: Runner, jar: Path) -> None:
        self.lab, self.jar = lab, jar

    def curl(self, *argv: str) -> str:
        result = self.lab.exec("nms", ["curl", "-s", "-b", str(self.jar), "-c", str(self.jar), *argv], check=False)
        return result.stdout

    def log_in(self, page: str, user: str, password: str) -> None:
        form = self.curl(f"http://{page}/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token, form
        self.curl("-o", "/dev/null", "--data-urlencode", f"csrf={token.group(1)}", "--data-urlencode",
                  f"username={user}", "--data-urlencode", f"password={password}", f"http://{page}/login")  # fmt: skip

    def board(self, page: str) -> dict[str, dict[str, object]]:
        text = self.curl(f"http://{page}/api/links")
        try:
            return {row["link"]: row for row in json.loads(text)["links"]}
        except (ValueError, KeyError):
            return {}
