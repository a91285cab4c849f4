"""`lab down` leaves the host as it found it, also after a `lab up` killed half-way.

Runs before the session's shared lab is brought up (file order), since it cycles its own labs; so does the
demo (README's main job), which brings up its own.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from lab.runner import Runner
from lab.topology import Topology
from tests.conftest import ROOT

DAEMONS = {"snmpd", "sshd", "named", "iperf3", "zebra", "ospfd", "staticd", "watchfrr"}
USER_DB = [
    Path("/etc") / f"{n}{s}" for n in ("passwd", "group", "shadow", "gshadow", "subuid", "subgid") for s in ("", "-")
]


def _listing(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def daemon_pids() -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if comm in DAEMONS and state != "Z":
                pids.add(int(entry.name))
    return pids


def snapshot() -> dict[str, object]:
    return {
        "netns": _run(["ip", "netns", "list"]),
        "links": sorted(link["ifname"] for link in json.loads(_run(["ip", "-j", "link", "show"]))),
        "routes": json.loads(_run(["ip", "-j", "route", "show", "table", "all"])),
        "mounts": Path("/proc/mounts").read_text(),
        "etc_frr": _listing(Path("/etc/frr")),
        "var_run_frr": _listing(Path("/var/run/frr")),
        "var_lib_snmp": _listing(Path("/var/lib/snmp")),
        "run": sorted(p.name for p in Path("/run").iterdir()),
        "root_home": sorted(p.name for p in Path("/root").iterdir()),  # vtysh once wrote .history_frr here
        "homes": sorted(str(p) for p in Path("/home").glob("*/*")) if Path("/home").is_dir() else [],
        "user_db": {str(p): p.read_text() if p.exists() else None for p in USER_DB},
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text(),
        "nft": _run(["nft", "list", "ruleset"]),
        "daemons": daemon_pids(),
    }


def assert_same(before: dict[str, object], after: dict[str, object]) -> None:
    for key, value in before.items():
        assert after[key] == value, f"host state '{key}' changed"


def test_lab_down_restores_the_host_exactly(topology: Topology) -> None:
    runner = Runner(topology)
    runner.down()
    before = snapshot()
    runner.up()
    up = snapshot()
    assert up["netns"] != before["netns"]
    # made and removed again would hide the cause: what the lab makes lives in its own runtime folder
    assert set(up["run"]) - set(before["run"]) <= {"pantau-lab", "netns", "sshd"}  # type: ignore[arg-type]
    runner.down()
    assert_same(before, snapshot())


def test_lab_down_after_a_killed_lab_up_still_cleans_up(topology: Topology) -> None:
    runner = Runner(topology)
    runner.down()
    before = snapshot()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "lab", "up"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # kill it once the services are being started: namespaces, links, users and some daemons exist
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Path("/var/run/frr/kominfo-core/zebra.pid").exists():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert "kominfo-core" in _run(["ip", "netns", "list"]), "the killed lab up left nothing to clean up"
    runner.down()
    assert_same(before, snapshot())


def test_the_demo_serves_what_it_prints_to_the_host_and_leaves_nothing_behind(topology: Topology) -> None:
    """README's main job: every URL `pantau lab demo` prints opens from the host, the status page with the
    account it prints, the board and the complaint it opened; at its end the host is as it was."""
    Runner(topology).down()
    before = snapshot()
    demo = subprocess.Popen(
        [sys.executable, "-m", "agent", "lab", "demo", "--duration", "90"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed: list[str] = []
        assert demo.stdout is not None
        for line in demo.stdout:
            printed.append(line)
            if "Ctrl-C stops the demo" in line:
                break
        text = "".join(printed)
        urls = re.findall(r"http://[0-9.]+:\d+\S*", text)
        assert len(urls) == 3, text
        account = re.search(r"user (\S+), password (\S+)", text)
        assert account is not None, text
        metrics, page, prometheus = (next(u for u in urls if f":{port}" in u) for port in (9469, 9480, 9090))
        assert "pantau_link_state" in fetch(metrics, lambda body: "pantau_link_state{" in body)
        assert "Ready" in fetch(prometheus.rstrip("/") + "/-/ready", lambda body: "Ready" in body)
        session = Browser(page)
        board = session.log_in(account.group(1), account.group(2))
        assert "dinkes" in board and "disdik" in board
        ticket = session.get("tickets/1")
        assert "SIMPUS" in ticket and 'action="/tickets/1/triage"' in ticket  # the complaint, its triage button
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)  # as Ctrl-C
        rest, _ = demo.communicate(timeout=120)
    assert demo.returncode == 0, rest
    assert "taking the lab down" in rest
    assert_same(before, snapshot())


def fetch(url: str, ready: Callable[[str], bool], timeout: float = 60) -> str:
    """``url``'s body once ``ready`` says so (the agent takes a poll round to have figures)."""
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body = answer.read().decode()
            if ready(body):
                return body
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer as expected within {timeout} s: {body[:300]}")


class Browser:
    """The status page as a browser uses it: the login form with its CSRF token, the session cookie."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/") + "/"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as answer:
            return str(answer.read().decode())

    def log_in(self, user: str, password: str) -> str:
        form = fetch(self.base + "login", lambda body: 'name="csrf"' in body)
        form = self.get("login")  # through the opener: its session cookie goes with the token
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None, form
        data = urllib.parse.urlencode({"username": user, "password": password, "csrf": token.group(1)}).encode()
        with self.opener.open(self.base + "login", data=data, timeout=10) as answer:
            return str(answer.read().decode())  # the redirect followed: the board
