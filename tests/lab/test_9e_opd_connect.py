"""A new OPD connected for real: the lab brings a fifth OPD router (its circuit delivered, a new port on the
core), ``pantau opd add`` carves its subnets, configures the core's side over SSH with a revert the core
performs by itself, writes the router's file and the inventory; the running agent takes the new link up
without a restart, shows it pending (not down: in /metrics and on the board's /api/links) until the test,
as the technician, applies the file on the router, then up; triage finds no fault; ``pantau opd remove``
gives everything back: the inventory files byte for byte, the subnets, the core's configuration."""

from __future__ import annotations

import difflib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from agent.config import Config
from agent.web.app import create_app
from agent.web.auth import hash_password
from agent.wiring import build
from core.snapshot import Snapshot
from lab import on_demand
from lab.runner import Runner
from store import users
from tests.lab.running import Browser, agent_in_nms
from tests.lab.test_4_colocation import wait_stopped
from tests.lab.test_9d_bandwidth_change import inventory_copy, pantau, shown_run
from tests.unit.agent.test_web import log_in

LISTEN = "127.0.0.1:9477"
PAGE = "127.0.0.1:9577"  # the agent's status page, where the board shows the new link
ADD = (
    "opd", "add", "--slug", "dpmptsp", "--name", "Dinas Penanaman Modal dan PTSP", "--site", "kantor-dpmptsp",
    "--address", "Jl. Perizinan 50", "--provider", "PT Telekomunikasi Contoh", "--circuit", "TC-2026-0005",
    "--mbit", "10", "--dc-interface", "eth9", "--revert-after", "30",
)  # fmt: skip
FAST = {"PANTAU_POLL__SNMP_INTERVAL": "5", "PANTAU_POLL__ICMP_INTERVAL": "2"}


@pytest.fixture
def new_router(lab: Runner) -> Iterator[Runner]:
    """The lab's on-demand router of dpmptsp, there for the test and removed after it whatever happens."""
    on_demand.add(lab, "dpmptsp")
    try:
        yield lab
    finally:
        on_demand.remove(lab, "dpmptsp")
        if "interface eth9" in core_config(lab):  # a test that failed midway left the core's side: not the next's
            core = ["vtysh", "-N", lab.topo.netns("core"), "-c", "configure terminal", "-c", "no interface eth9"]
            lab.exec("core", core, check=False)


def core_config(lab: Runner) -> str:
    """The core's running configuration, read with vtysh inside it: not through pantau."""
    return lab.exec("core", ["vtysh", "-N", lab.topo.netns("core"), "-c", "show running-config"]).stdout


def link_state(lab: Runner, link: str) -> str | None:
    """The state /metrics gives ``link`` (None: no series)."""
    text = lab.exec("nms", ["curl", "-sf", f"http://{LISTEN}/metrics"], check=False).stdout
    for line in text.splitlines():
        match = re.match(rf'pantau_link_state\{{.*link="{link}".*state="(\w+)".*\}} 1(\.0)?$', line)
        if match:
            return match.group(1)
    return None


def wait_state(lab: Runner, link: str, wanted: str, seconds: float) -> list[str]:
    """Wait until ``link`` is ``wanted``; every state seen on the way."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = link_state(lab, link)
        if state is not None and (not seen or seen[-1] != state):
            seen.append(state)
        if state == wanted:
            return seen
        time.sleep(0.5)
    raise AssertionError(f"{link} not {wanted} within {seconds:.0f} s; seen {seen}")


def router_file_from_the_page(state: Path, inventory: Path) -> str:
    """The router's file as the technician fetches it from the status page (logged in, in this process,
    over the store the CLI's run wrote)."""
    with build(Config(inventory=inventory, state_dir=state, lang="en")) as deps:
        users.add_user(deps.store, "andi", "technician", hash_password("kata-sandi-panjang"))
        client = TestClient(create_app(deps, Snapshot, dict), base_url="http://testserver")
        assert client.get("/opd/dpmptsp/router.conf", follow_redirects=False).status_code == 303  # log in first
        log_in(client, "andi", "kata-sandi-panjang")
        got = client.get("/opd/dpmptsp/router.conf")
        assert got.status_code == 200 and 'filename="dpmptsp-opd.frr.conf"' in got.headers["content-disposition"]
        assert client.get("/opd/dinkes/router.conf").status_code == 404  # not connected by opd add
        return str(got.text)


def test_opd_add_then_remove_connects_watches_and_gives_everything_back(new_router: Runner, tmp_path: Path) -> None:
    lab = new_router
    inventory = inventory_copy(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    before_files = {p.name: p.read_bytes() for p in inventory.glob("*.yml")}
    before_core = core_config(lab)
    env = {**os.environ, **FAST, "PANTAU_WEB__LISTEN": PAGE}
    with agent_in_nms(lab, state, LISTEN, env=env, inventory=inventory) as agent:
        added = pantau(lab, state, inventory, *ADD)
        assert added.returncode == 0, added.stdout + added.stderr
        fetched = router_file_from_the_page(state, inventory)
        assert fetched == (state / "opd" / "dpmptsp" / "dpmptsp-opd.frr.conf").read_text()
        (record,) = (state / "reports" / "opd").glob("ba-pemasangan-dpmptsp-1.en.md")
        text = record.read_text()
        assert "000.1.3/BA-PSG/001/DISKOMINFO/2026" in text and "TC-2026-0005" in text, text
        assert "| Data center end | core eth9 10.0.0.1/30 |" in text, text

        # the core holds the link's configuration (read back here with vtysh, not through pantau), and the
        # revert the core armed did not fire: still there after its 30 s timer
        diff = [ln for ln in difflib.ndiff(before_core.splitlines(), core_config(lab).splitlines()) if ln[:2] == "+ "]
        assert "+ interface eth9" in diff and "+  ip address 10.0.0.1/30" in diff, diff
        assert "+  ip ospf area 0" in diff, diff

        # the inventory: only new lines, every comment kept, and it validates
        for name, old in before_files.items():
            new = (inventory / name).read_bytes()
            lost = [ln for ln in difflib.ndiff(old.decode().splitlines(), new.decode().splitlines()) if ln[:2] == "- "]
            assert not lost, (name, lost)
        assert "dpmptsp-wan" in (inventory / "links.yml").read_text()
        assert "{name: dpmptsp-p2p, prefix: 10.0.0.0/30" in (inventory / "prefixes.yml").read_text()
        check = subprocess.run(
            [sys.executable, "-m", "agent", "inventory", "validate", str(inventory)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr

        # the agent took the new link up without a restart: pending (no page), not down
        seen = wait_state(lab, "dpmptsp-wan", "pending", 40)
        assert "down" not in seen, seen
        time.sleep(32)  # past the revert's timer: the core kept the change (confirmed)
        assert "ip address 10.0.0.1/30" in core_config(lab)
        assert link_state(lab, "dpmptsp-wan") == "pending"
        browser = Browser(lab, tmp_path / "cookies")
        browser.log_in(PAGE, "andi", "kata-sandi-panjang")  # the technician the page test added
        assert browser.board(PAGE)["dpmptsp-wan"]["state"] == "pending"  # on the board too: not down

        # the technician applies the router's file on site: the link comes up
        files = sorted((state / "opd" / "dpmptsp").glob("dpmptsp-opd.frr.conf"))
        assert files, list((state / "opd" / "dpmptsp").iterdir())
        addresses = on_demand.configure(lab, "dpmptsp", files[0])
        assert "10.255.0.5" in addresses and "10.0.0.2" in addresses, addresses
        seen = wait_state(lab, "dpmptsp-wan", "up", 60)
        assert "down" not in seen, seen
        deadline = time.monotonic() + 10
        while browser.board(PAGE)["dpmptsp-wan"]["state"] != "up":  # /api/links, as the board asks it
            assert time.monotonic() < deadline, browser.board(PAGE)["dpmptsp-wan"]
            time.sleep(0.5)
        assert agent.poll() is None

        triage = pantau(lab, state, inventory, "triage", "dpmptsp", "--json")
        assert triage.returncode == 0, triage.stdout + triage.stderr
        assert '"no-fault-found"' in triage.stdout, triage.stdout

        removed = pantau(lab, state, inventory, "opd", "remove", "dpmptsp", "--revert-after", "30")
        assert removed.returncode == 0, removed.stdout + removed.stderr
        subnets = pantau(lab, state, inventory, "opd", "subnets")
        assert subnets.stdout.strip() == "", subnets.stdout
        # the agent drops the link with the inventory, without a restart
        deadline = time.monotonic() + 30
        while link_state(lab, "dpmptsp-wan") is not None:
            assert time.monotonic() < deadline, "the removed link is still exported"
            time.sleep(0.5)
    assert {p.name: p.read_bytes() for p in inventory.glob("*.yml")} == before_files
    assert sorted(p.name for p in inventory.iterdir()) == sorted([*before_files, "logo.svg"])  # no journal left
    assert core_config(lab) == before_core


def test_opd_add_on_a_port_in_use_changes_nothing(lab: Runner, tmp_path: Path) -> None:
    inventory = inventory_copy(tmp_path)
    before = {p.name: p.read_bytes() for p in inventory.glob("*.yml")}
    args = [a if a != "eth9" else "eth1" for a in ADD]
    done = pantau(lab, tmp_path, inventory, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "core eth1 is already in use (dinkes-wan)" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in inventory.glob("*.yml")} == before
    subnets = pantau(lab, tmp_path, inventory, "opd", "subnets")
    assert subnets.returncode == 0 and subnets.stdout.strip() == "", subnets.stdout + subnets.stderr


#: where ``opd add`` is killed: after each step, and inside those that change something
ADD_CRASH_POINTS = [
    "allocate",
    "render",
    "arm",
    "apply:sending",  # the revert armed, the change about to go out
    "apply",
    "verify",
    "confirm",
    "monitor",
    "inventory:staged",  # the new files beside the old, no journal
    "inventory:journaled",  # the journal written, no file renamed yet
    "inventory",  # done, the run not yet ended: recovery rolls it forward
]


def _killed_at(lab: Runner, state: Path, inventory: Path, point: str, command: tuple[str, ...] = ADD) -> None:
    """``command`` (``opd add`` by default, with a revert of 10 s) killed with kill -9 at ``point``."""
    if command == ADD:
        command = (*ADD[:-1], "10")
    argv = [sys.executable, "-m", "agent", "--lang", "en", *command, "--json", "--stop-after", point]
    argv += ["--state-dir", str(state), "-i", str(inventory)]
    proc = subprocess.Popen(lab.in_node("nms", argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_stopped(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


def _subnets(lab: Runner, state: Path, inventory: Path) -> str:
    shown = pantau(lab, state, inventory, "opd", "subnets")
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def _recovered(lab: Runner, state: Path, inventory: Path) -> dict[str, str]:
    """``runs recover`` twice: the one run it recovered the first time; nothing left the second."""
    first = pantau(lab, state, inventory, "runs", "recover", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    (recovered,) = json.loads(first.stdout)["recovered"]
    second = pantau(lab, state, inventory, "runs", "recover", "--json")
    assert json.loads(second.stdout) == {"recovered": []}
    return dict(recovered)


def _as_before(lab: Runner, state: Path, inventory: Path, files: dict[str, bytes], core: str, point: str) -> None:
    """No subnet held, the inventory byte for byte (nothing staged left beside it), the core as it was."""
    assert _subnets(lab, state, inventory) == "", point
    assert {p.name: p.read_bytes() for p in inventory.glob("*.yml")} == files, point
    assert sorted(p.name for p in inventory.iterdir()) == sorted([*files, "logo.svg"])
    assert core_config(lab) == core, point


@pytest.mark.parametrize("point", ADD_CRASH_POINTS)
def test_kill_9_at_each_step_of_opd_add_leaves_it_all_or_nothing(
    new_router: Runner, tmp_path: Path, point: str
) -> None:
    lab = new_router
    inventory = inventory_copy(tmp_path)
    before_files = {p.name: p.read_bytes() for p in inventory.glob("*.yml")}
    before_core = core_config(lab)
    _killed_at(lab, tmp_path, inventory, point)
    run = shown_run(lab, tmp_path, 1)
    # no subnet without its run: what the store holds is what the run's facts name (and recovery releases)
    held = {line.split()[1]: line.split()[2] for line in _subnets(lab, tmp_path, inventory).splitlines()}
    assert held == run["facts"]["subnets"], point
    # no configuration on the core without those subnets: what it holds is the link's, on them
    if "ip address 10.0.0.1/30" in core_config(lab):
        assert held["p2p"] == "10.0.0.0/30"
    # the inventory is before or after, never half: each file is either as it was or holds the whole OPD
    now = {p.name: p.read_bytes() for p in inventory.glob("*.yml")}
    assert now == before_files or all(b"dpmptsp" in now[n] for n in now if now[n] != before_files[n]), point

    recovered = _recovered(lab, tmp_path, inventory)
    if point == "inventory":  # everything was done: rolled forward, then taken back by opd remove
        assert recovered["state"] == "succeeded", recovered
        assert "dpmptsp" in _subnets(lab, tmp_path, inventory)
        assert "ip address 10.0.0.1/30" in core_config(lab)
        removed = pantau(lab, tmp_path, inventory, "opd", "remove", "dpmptsp", "--revert-after", "10")
        assert removed.returncode == 0, removed.stdout + removed.stderr
    else:
        assert recovered["state"] == "failed", recovered
    _as_before(lab, tmp_path, inventory, before_files, before_core, point)


#: where ``opd remove`` is killed once it has begun to write the inventory: from there it is rolled forward
REMOVE_CRASH_POINTS = [
    "inventory:staged",  # the files without the OPD beside the old, no journal
    "inventory:journaled",  # the journal written, no file renamed yet
    "inventory:written",  # the inventory without the OPD, its subnets still held
]


@pytest.mark.parametrize("point", REMOVE_CRASH_POINTS)
def test_kill_9_in_the_inventory_step_of_opd_remove_is_finished_by_recovery(
    new_router: Runner, tmp_path: Path, point: str
) -> None:
    lab = new_router
    inventory = inventory_copy(tmp_path)
    before_files = {p.name: p.read_bytes() for p in inventory.glob("*.yml")}
    before_core = core_config(lab)
    added = pantau(lab, tmp_path, inventory, *ADD[:-1], "10")
    assert added.returncode == 0, added.stdout + added.stderr
    _killed_at(lab, tmp_path, inventory, point, ("opd", "remove", "dpmptsp", "--revert-after", "10"))
    assert "dpmptsp" in _subnets(lab, tmp_path, inventory)  # killed before the subnets were released
    recovered = _recovered(lab, tmp_path, inventory)
    assert recovered["state"] == "succeeded", recovered  # the core's side was gone: rolled forward, finished
    _as_before(lab, tmp_path, inventory, before_files, before_core, point)  # the subnets released by recovery
