"""The agent as the lab tests run it: ``pantau run`` in the NMS node against the lab's inventory, healthy
before the test starts, and stopped (by its PID) whatever the test does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from lab.runner import Runner
from tests.conftest import INVENTORY


def agent_in_nms(
    lab: Runner, state: Path, listen: str, env: Mapping[str, str] | None = None, inventory: Path = INVENTORY
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """``pantau run`` with its metrics on ``listen`` (inside the NMS node) and its log in ``state``."""
    return agent_in(lab, "nms", state, listen, env, inventory)


@contextmanager
def agent_in(
    lab: Runner,
    node: str,
    state: Path,
    listen: str,
    env: Mapping[str, str] | None = None,
    inventory: Path = INVENTORY,
) -> Iterator[subprocess.Popen[bytes]]:
    """``pantau run`` in the lab node ``node``, with its metrics on ``listen`` and its log in ``state``."""
    argv = [sys.executable, "-m", "agent", "run", "--inventory", str(inventory), "--state-dir", str(state)]
    with (state / "agent.log").open("wb") as log:
        proc = subprocess.Popen(
            lab.in_node(node, [*argv, "--listen", listen]),
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while lab.exec(node, ["curl", "-sf", f"http://{listen}/-/healthy"], check=False).returncode != 0:
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
    """curl in the NMS node with a cookie jar: logs in on one agent's page, asks any agent's /api/links.
    With ``name``, every page (``ADDRESS:PORT``) is asked for under that one host name, resolved to its
    address, as staff reach a cluster's pages through one name (the session cookie belongs to the name)."""

    def __init__(self, lab: Runner, jar: Path, name: str | None = None) -> None:
        self.lab, self.jar, self.name = lab, jar, name

    def curl(self, *argv: str) -> str:
        result = self.lab.exec("nms", ["curl", "-s", "-b", str(self.jar), "-c", str(self.jar), *argv], check=False)
        return result.stdout

    def _url(self, page: str, path: str) -> list[str]:
        if self.name is None:
            return [f"http://{page}{path}"]
        address, port = page.rsplit(":", 1)
        return ["--resolve", f"{self.name}:{port}:{address}", f"http://{self.name}:{port}{path}"]

    def log_in(self, page: str, user: str, password: str) -> None:
        form = self.curl(*self._url(page, "/login"))
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token, form
        form_fields = [f"csrf={token.group(1)}", f"username={user}", f"password={password}"]
        encoded = [a for f in form_fields for a in ("--data-urlencode", f)]
        self.curl("-o", "/dev/null", *encoded, *self._url(page, "/login"))

    def board(self, page: str) -> dict[str, dict[str, object]]:
        text = self.curl(*self._url(page, "/api/links"))
        try:
            return {row["link"]: row for row in json.loads(text)["links"]}
        except (ValueError, KeyError):
            return {}
