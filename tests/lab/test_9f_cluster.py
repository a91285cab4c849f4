"""Three agents in three lab nodes (nms, nms-b, nms-c, on the NMS segment's switch) on one PostgreSQL store
in the nms node, reached over TCP, share the lab's devices out by rendezvous hashing: every device is polled
by exactly one of them (their own counters, and the core's snmpd's record of who asked it); kill -9 one and
the other two take its devices over within a lease and two SNMP rounds (every link has a rate again);
restarted, it rejoins and takes back its own share, no more. Cut off from the store (nftables in its node),
an agent gives its devices up within a lease and its late writes are refused. Maintenance, the plan's cron
and a run staff scheduled, runs once per firing, on one of the three."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from inventory.models import Inventory
from lab.runner import Runner, UpReport
from tests.conftest import INVENTORY
from tests.lab.running import Browser, agent_in
from tests.lab.test_7_store_postgresql import Cluster, cluster  # noqa: F401 (the PostgreSQL fixture)

#: each agent's node, and its addresses there (the NMS segment's, and the management network's)
NODES = {"nms-a": "nms", "nms-b": "nms-b", "nms-c": "nms-c"}
ADDRESSES = {"nms-a": ("10.10.99.10", "172.20.20.100"), "nms-b": ("10.10.99.11", "172.20.20.101"),
             "nms-c": ("10.10.99.12", "172.20.20.102")}  # fmt: skip
AGENTS = {name: f"{ADDRESSES[name][0]}:{9481 + i}" for i, name in enumerate(NODES)}  # /metrics
PAGES = {name: f"{ADDRESSES[name][0]}:{9581 + i}" for i, name in enumerate(NODES)}  # the status page
STORE_AT = "10.10.99.10"  # PostgreSQL, in the nms node
PASSWORD = "kata-sandi-lab-9f"
LEASE, BEAT, SNMP, ROLLUP = 6, 2, 3, 10


def env(url: str, agent: str, maintenance: bool = False) -> dict[str, str]:
    """An agent's environment; with ``maintenance``, the plan fires every minute (its checks read the
    devices too, so the tests that count polls leave it out)."""
    schedule = {"PANTAU_MAINTENANCE__SCHEDULE": "* * * * *"} if maintenance else {}  # each firing: one agent
    return {
        **os.environ,
        "PANTAU_STORE_URL": url,
        "PANTAU_CLUSTER__ENABLED": "true",
        "PANTAU_CLUSTER__AGENT_ID": agent,
        "PANTAU_CLUSTER__LEASE_SECONDS": str(LEASE),
        "PANTAU_CLUSTER__HEARTBEAT_SECONDS": str(BEAT),
        "PANTAU_POLL__SNMP_INTERVAL": str(SNMP),
        "PANTAU_POLL__ICMP_INTERVAL": "2",
        "PANTAU_POLL__ROLLUP_SECONDS": str(ROLLUP),
        **schedule,
        "PANTAU_MAINTENANCE__LOCATIONS": '["dinkes"]',
        **({"PANTAU_WEB__LISTEN": PAGES[agent]} if agent in PAGES else {}),
    }


def metrics(lab: Runner, listen: str) -> str:
    return lab.exec("nms", ["curl", "-sf", "--max-time", "5", f"http://{listen}/metrics"], check=False).stdout


def polled(text: str) -> set[str]:
    """The devices an agent reports on (its pantau_device_up series)."""
    return set(re.findall(r'^pantau_device_up\{[^}]*device="([^"]+)"', text, re.MULTILINE))


def gauge(text: str, name: str) -> float | None:
    match = re.search(rf"^{name}\{{[^}}]*\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def with_rates(text: str) -> set[str]:
    return set(re.findall(r'^pantau_link_receive_bytes_per_second\{[^}]*link="([^"]+)"', text, re.MULTILINE))


def wait_for(what: str, seconds: float, check: Callable[[], object]) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


class PollWatch:
    """Every few tenths of a second, each agent's own count of its polls of each device
    (pantau_device_polls_total), the three read at once: the moments each agent polled each device, each
    seen within about half a second of it."""

    def __init__(self, lab: Runner) -> None:
        self.lab = lab
        self.polls: list[tuple[float, str, str]] = []  # (when seen, agent, device)
        self._last: dict[tuple[str, str], float] = {}
        self._known: set[str] = set()  # the agents whose counts were read once
        self._stop = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(len(AGENTS))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self, listen: str) -> tuple[float, str]:
        answer = metrics(self.lab, listen)
        return time.monotonic(), answer

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for agent, (seen, answer) in zip(AGENTS, self._pool.map(self._read, AGENTS.values()), strict=True):
                counts = re.findall(r'^pantau_device_polls_total\{device="([^"]+)"\} (\S+)$', answer, re.M)
                if agent not in self._known and counts:  # its first answer: the polls before the watch began
                    self._known.add(agent)
                    self._last.update({(agent, device): float(count) for device, count in counts})
                    continue
                for device, count in counts:
                    before = self._last.get((agent, device), 0.0)
                    if float(count) != before:  # more polls, or a restarted agent counting afresh
                        self.polls.append((seen, agent, device))
                    self._last[agent, device] = float(count)

    def stop(self) -> list[tuple[float, str, str]]:
        self._stop.set()
        self._thread.join(10)
        self._pool.shutdown()
        return self.polls


def polled_twice(polls: list[tuple[float, str, str]], apart: float) -> list[tuple[str, str, str, float, float]]:
    """The devices two agents polled within ``apart`` seconds of each other: (device, one, other, gap, when)."""
    last: dict[str, tuple[float, str]] = {}
    found = []
    for seen, agent, device in sorted(polls):
        before = last.get(device)
        if before is not None and before[1] != agent and seen - before[0] < apart:
            found.append((device, before[1], agent, round(seen - before[0], 2), round(seen, 1)))
        last[device] = (seen, agent)
    return found


#: a request in net-snmp's packet dump (snmpd -d): "Received 43 byte packet from UDP: [10.10.99.11]:40123->[...]"
REQUEST = re.compile(r"^Received \d+ byte packet from UDP: \[([\d.]+)\]:\d+->", re.MULTILINE)


class RequestLog:
    """A device's own record of who polled it: its snmpd's packet dump, read as it grows (every few tenths
    of a second); each request as (when seen, the agent whose node's address sent it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[tuple[float, str]] = []
        self.strangers: set[str] = set()  # senders that are none of the agents
        self._agent_at = {address: name for name, addresses in ADDRESSES.items() for address in addresses}
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with self.path.open("rb") as dump:
            dump.seek(self._offset)
            data = dump.read()
        whole = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._offset += whole
        seen = time.monotonic()
        for source in REQUEST.findall(data[:whole].decode(errors="replace")):
            agent = self._agent_at.get(source)
            if agent is None:
                self.strangers.add(source)
            else:
                self.requests.append((seen, agent))

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            if self.path.exists():
                self._read()

    def stop(self) -> list[tuple[float, str]]:
        self._stop.set()
        self._thread.join(10)
        if self.path.exists():
            self._read()
        return self.requests


def polls_asked(requests: list[tuple[float, str]], gap: float = 1.0) -> list[tuple[float, str]]:
    """The polls in a request log: an agent's requests less than ``gap`` apart are one poll, seen at its first."""
    polls: list[tuple[float, str]] = []
    last: dict[str, float] = {}
    for seen, agent in requests:
        if seen - last.get(agent, float("-inf")) >= gap:
            polls.append((seen, agent))
        last[agent] = seen
    return polls


def turns(agents: Iterable[str]) -> list[str]:
    """The agents in the order they took turns (a run of polls by one agent is one turn)."""
    return [agent for agent, _ in itertools.groupby(agents)]


@pytest.fixture
def core_requests(lab: Runner, tmp_path: Path) -> Iterator[RequestLog]:
    """The core's snmpd started again with its request log (before the agents start: sysUpTime restarts);
    started as ``lab up`` starts it afterwards."""
    path = tmp_path / "core-snmpd-requests.log"
    lab.restart_snmpd("core", path)
    log = RequestLog(path)
    try:
        yield log
    finally:
        log.stop()
        lab.restart_snmpd("core")


@pytest.fixture
def watch(lab: Runner) -> Iterator[PollWatch]:
    watching = PollWatch(lab)
    yield watching
    watching.stop()  # stopped whatever the test did


@pytest.fixture(scope="module")
def store_url(lab_up: tuple[Runner, UpReport], cluster: Cluster) -> Iterator[str]:  # noqa: F811
    """The lab's PostgreSQL moved into the nms node, listening there on the NMS segment (and on its Unix
    socket, the test's own way in, as before); the agents' URL. Back on the Unix socket alone afterwards."""
    lab = lab_up[0]
    hba = cluster.base / "data" / "pg_hba.conf"
    saved = hba.read_text()
    hba.write_text(saved + "host all all 10.10.99.0/24 trust\n")
    cluster.stop()
    options = f"-k {cluster.base} -c listen_addresses='{STORE_AT}' -c fsync=off -c max_connections=60"
    pg_ctl = [str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.base / "data"), "-l", str(cluster.base / "log")]
    start = lab.in_node("nms", ["runuser", "-u", "postgres", "--", *pg_ctl, "-o", options, "-w", "start"])
    try:
        subprocess.run(start, check=True, capture_output=True, timeout=120)
        yield f"postgresql+psycopg://pantau@{STORE_AT}:5432/pantau"
    finally:
        for node in NODES.values():
            lab.exec(node, ["nft", "delete", "table", "inet", CUT_TABLE], check=False)
        cluster.stop()
        hba.write_text(saved)
        cluster.start()


@contextmanager
def three_agents(
    lab: Runner, store: str, tmp_path: Path, maintenance: bool = False
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """The three agents, each in its node, each healthy; stopped (by PID) whatever happens."""
    with ExitStack() as stack:
        running = {}
        for name, listen in AGENTS.items():
            state = tmp_path / name
            state.mkdir()
            running[name] = stack.enter_context(
                agent_in(lab, NODES[name], state, listen, env=env(store, name, maintenance))
            )
        yield running


@pytest.fixture
def agents(lab: Runner, store_url: str, tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    with three_agents(lab, store_url, tmp_path) as running:
        yield running


def test_three_agents_share_the_devices_and_take_over_a_killed_ones(
    lab: Runner,
    inventory: Inventory,
    cluster: Cluster,  # noqa: F811 (the fixture imported above)
    store_url: str,
    core_requests: RequestLog,
    agents: dict[str, subprocess.Popen[bytes]],
    watch: PollWatch,
    tmp_path: Path,
) -> None:
    snmp_devices = {d.name for d in inventory.devices if d.snmp is not None}
    links = {lk.name for lk in inventory.links}

    def shares() -> dict[str, set[str]]:
        return {name: polled(metrics(lab, listen)) for name, listen in AGENTS.items() if name in alive}

    alive = set(AGENTS)
    wait_for(
        "three agents, each device polled by exactly one",
        30,
        lambda: (
            (s := shares())
            and sorted(d for share in s.values() for d in share) == sorted(snmp_devices)
            and all(gauge(metrics(lab, AGENTS[n]), "pantau_cluster_members") == 3 for n in alive)
        ),
    )
    before = shares()
    formed = time.time()  # the three have joined and settled: from the next period on, no period is lost
    settled = time.monotonic() + SNMP  # from here on, the core's poller is its owner's (by both records)
    assert all(before.values()), before  # 9 devices over 3 agents: none idle
    user = subprocess.run(
        [sys.executable, "-m", "agent", "user", "add", "sari", "--role", "viewer", "--password-stdin", "--state-dir",
         str(tmp_path)], input=PASSWORD + "\n", env=env(cluster.url, "staff"), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert user.returncode == 0, user.stderr
    browser = Browser(lab, tmp_path / "cookies", name="pantau.kominfo.test")  # the three pages behind one name
    browser.log_in(PAGES["nms-a"], "sari", PASSWORD)
    poller_of = {lk.name: next(n for n, share in before.items() if lk.dc.device in share) for lk in inventory.links}

    def whole_board(page: str, alive: set[str]) -> bool:  # every link, each from the agent that polls it now
        board = browser.board(page)
        return set(board) == links and all(
            row["agent"] in alive and row["state"] != "unknown" for row in board.values()
        )

    for name in ("nms-b", "nms-c"):  # logged in on nms-a: the session is in the store, good on any agent
        page = PAGES[name]
        wait_for(f"the whole board on {name}'s page", 2 * SNMP + 10, partial(whole_board, page, set(AGENTS)))
        assert {lk: row["agent"] for lk, row in browser.board(page).items()} == poller_of
    for name, share in before.items():
        assert gauge(metrics(lab, AGENTS[name]), "pantau_agent_devices") == len(share)

    victim = next(n for n, share in before.items() if "core" in share)  # the links' device: its links must move
    while time.time() // ROLLUP == formed // ROLLUP:  # the kill's period is one the check below covers
        time.sleep(0.5)
    time.sleep((ROLLUP - 2 - time.time() % ROLLUP) % ROLLUP)  # late in a period: the others take over in the next
    killed_at, killed_wall = time.monotonic(), time.time()
    os.kill(agents[victim].pid, signal.SIGKILL)  # its heartbeat stops; nothing tells the others
    alive.discard(victim)
    wait_for(
        "the other two poll every device",
        LEASE + 2 * SNMP + 10,
        lambda: sorted(d for share in shares().values() for d in share) == sorted(snmp_devices),
    )
    taken_over = time.monotonic() - killed_at
    wait_for(
        "every link has a rate again within two SNMP rounds of the takeover",
        2 * SNMP + 5,
        lambda: set().union(*(with_rates(metrics(lab, AGENTS[n])) for n in alive)) == links,
    )
    rates_back = time.monotonic() - killed_at
    survivor = sorted(alive)[0]
    wait_for("the survivors' board has every link again", 2 * SNMP + 10, lambda: whole_board(PAGES[survivor], alive))
    print(f"{victim} (the core's poller) killed: devices taken over {taken_over:.1f} s later, rates {rates_back:.1f} s")
    assert taken_over >= LEASE - BEAT - 1  # not before its lease could have run out
    after = shares()
    for name in alive:  # the survivors kept what they had and split the lost share
        assert before[name] <= after[name], (name, before[name], after[name])
    kill_period = int(killed_wall - killed_wall % ROLLUP)
    time.sleep(max(0.0, kill_period + ROLLUP + 5 - time.time()))
    engine = create_engine(cluster.url)
    with engine.connect() as conn:  # before the victim is back: what the survivors wrote
        query = text("SELECT link FROM link_rollups WHERE period_start = :start")
        covered = {r.link for r in conn.execute(query, {"start": datetime.fromtimestamp(kill_period, UTC)})}
    engine.dispose()
    assert covered == links  # the victim's part of its last period, taken up by the survivors from the store

    state = tmp_path / f"{victim}-again"
    state.mkdir()
    with agent_in(lab, NODES[victim], state, AGENTS[victim], env=env(store_url, victim)):
        alive.add(victim)
        wait_for("the restarted agent rejoins with its own share", LEASE + 2 * SNMP + 10, lambda: shares() == before)
        back_wall, back_at = time.time(), time.monotonic()
        time.sleep(ROLLUP + 2 * SNMP)  # the hand-back's period closed, and written
    left_at = time.monotonic()  # stopped cleanly: the others take its devices a round later, not a lease later
    alive.discard(victim)
    wait_for(
        "the two poll every device again after the clean stop",
        SNMP + BEAT + 2 * SNMP + 5,
        lambda: sorted(d for share in shares().values() for d in share) == sorted(snmp_devices),
    )
    handed_over = time.monotonic() - left_at
    time.sleep(2 * SNMP)  # and poll them again
    polls = watch.stop()
    moved = {d for _, agent, d in polls if agent != victim} & {d for _, agent, d in polls if agent == victim}
    assert moved and "core" in moved  # the victim's devices went to the others and came back
    twice = polled_twice(polls, SNMP - 1)  # never by two agents in one interval (seen to about 0.5 s)
    assert twice == [], (twice, f"killed at {killed_at:.1f}, back at {back_at:.1f}, stopped at {left_at:.1f}")
    # the core's own record agrees: never asked by two agents in one interval, by the same agents in turn
    asked = polls_asked(core_requests.stop())
    assert core_requests.strangers <= {"127.0.0.1"}, core_requests.strangers  # the lab's own cache setting
    twice_asked = polled_twice([(seen, agent, "core") for seen, agent in asked], SNMP - 1)
    assert twice_asked == [], twice_asked
    by_log = turns(agent for seen, agent in asked if seen > settled)
    by_counters = turns(agent for seen, agent, device in sorted(polls) if device == "core" and seen > settled)
    assert len(by_log) >= 3 and by_log == by_counters, (by_log, by_counters)  # moved, came back, moved
    print(f"the core's snmpd was asked by {' -> '.join(by_log)}: {len(asked)} polls, none two in one interval")
    print(f"{victim} stopped cleanly: its devices taken over {handed_over:.1f} s later")
    assert handed_over < LEASE  # not a lease later, as after a kill
    store = create_engine(cluster.url)
    with store.connect() as conn:
        rows = conn.execute(text("SELECT link, period_start FROM link_rollups ORDER BY period_start")).all()
    store.dispose()
    now = time.time()
    # from the first period after the cluster formed (while the agents join one by one at the start, a
    # link's period can lack its row: seen once in CI, not explained yet), to the last one closed by now
    first = int(formed - formed % ROLLUP) + ROLLUP
    closed = [p for p in range(first, int(now), ROLLUP) if p + ROLLUP <= now - 5]
    for moment in (killed_wall, back_wall):  # the periods of the kill and of the hand-back are among them
        assert int(moment - moment % ROLLUP) in closed, (first, moment, now)
    for link in links:  # each link-period once (the store's unique key), and none lost to a kill or a move
        written = {int(start.timestamp()) for lk, start in rows if lk == link}
        assert set(closed) <= written, (link, sorted(set(closed) - written))
    print(
        f"{len(rows)} rollups of {len(links)} links, every {ROLLUP} s period since the three formed: {len(polls)} polls"
    )


def test_each_maintenance_firing_runs_on_one_agent_of_three(
    lab: Runner,
    cluster: Cluster,  # noqa: F811 (the fixture imported above)
    store_url: str,
    tmp_path: Path,
) -> None:
    with three_agents(lab, store_url, tmp_path, maintenance=True):
        maintenance_runs_once_per_firing(cluster.url, tmp_path)  # staff's way in: the Unix socket


def maintenance_runs_once_per_firing(url: str, tmp_path: Path) -> None:
    at = datetime.now(ZoneInfo("Asia/Jakarta")).replace(microsecond=0) + timedelta(seconds=5)
    argv = [sys.executable, "-m", "agent", "maintenance", "schedule", "--at", f"{at:%Y-%m-%d %H:%M:%S}", "--opd",
            "dinkes", "--inventory", str(INVENTORY), "--state-dir", str(tmp_path)]  # fmt: skip
    scheduled = subprocess.run(argv, env=env(url, "staff"), capture_output=True, text=True, check=False)
    assert scheduled.returncode == 0, scheduled.stderr
    store = create_engine(url)

    def rows(query: str) -> list[tuple[str, datetime | str]]:
        with store.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(text(query))]

    def runs() -> list[tuple[str, datetime | str]]:
        return rows("SELECT trigger, started_at FROM maintenance_runs WHERE ended_at IS NOT NULL ORDER BY id")

    try:
        wait_for(
            "the run staff scheduled and a firing of the plan, done",
            90,
            lambda: {"scheduled", "plan"} <= {trigger for trigger, _ in runs()},
        )
        time.sleep(2 * 15 + 5)  # every agent has looked at the table twice since (SHARED_JOBS_INTERVAL)
        done = runs()
        assert [t for t, _ in done].count("scheduled") == 1, done
        plan_minutes = [s.replace(second=0, microsecond=0) for t, s in done if t == "plan" and isinstance(s, datetime)]
        assert len(plan_minutes) == len(set(plan_minutes)), done  # one run per firing, not one per agent
        claims = rows("SELECT job, agent FROM job_claims ORDER BY due")
        assert {agent for _, agent in claims} <= set(AGENTS), claims
        wait_for(  # each claim won has its run (one claimed a moment ago starts in a moment)
            "a run for each claim",
            10,
            lambda: len(rows("SELECT job, agent FROM job_claims")) == len(rows("SELECT id, by FROM maintenance_runs")),
        )
        assert rows("SELECT id, next_run_time FROM apscheduler_jobs") == []  # done, not pending
        print(f"maintenance over three agents: {json.dumps(claims)}")
    finally:
        store.dispose()


CUT_TABLE = "pantau_lab_cut"  # the nftables table of the cut, in the cut-off agent's node


def cut(lab: Runner, node: str) -> None:
    """Drop, in ``node``, every packet of its store connections both ways: the node is partitioned from
    PostgreSQL, and from nothing else (the devices, the other agents and the test still reach it)."""
    for command in (
        ["add", "table", "inet", CUT_TABLE],
        ["add", "chain", "inet", CUT_TABLE, "output", "{ type filter hook output priority 0; }"],
        ["add", "rule", "inet", CUT_TABLE, "output", "ip", "daddr", STORE_AT, "tcp", "dport", "5432", "drop"],
        ["add", "chain", "inet", CUT_TABLE, "input", "{ type filter hook input priority 0; }"],
        ["add", "rule", "inet", CUT_TABLE, "input", "ip", "saddr", STORE_AT, "tcp", "sport", "5432", "drop"],
    ):
        lab.exec(node, ["nft", *command])


def counter(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{name}\{{{wanted}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_an_agent_cut_off_from_the_store_gives_its_devices_up_within_a_lease_and_its_late_writes_are_refused(
    lab: Runner,
    inventory: Inventory,
    cluster: Cluster,  # noqa: F811 (the fixture imported above)
    store_url: str,
    watch: PollWatch,
    tmp_path: Path,
) -> None:
    snmp_devices = {d.name for d in inventory.devices if d.snmp is not None}
    alive = set(AGENTS)

    def shares() -> dict[str, set[str]]:
        return {name: polled(metrics(lab, listen)) for name, listen in AGENTS.items() if name in alive}

    with three_agents(lab, store_url, tmp_path):
        wait_for(
            "three agents over TCP, each device polled by exactly one",
            30,
            lambda: (
                sorted(d for share in shares().values() for d in share) == sorted(snmp_devices)
                and all(gauge(metrics(lab, AGENTS[n]), "pantau_cluster_members") == 3 for n in AGENTS)
            ),
        )
        before = shares()
        # the core's poller: it measures the links, so it has writes to make late (in the store's node or not:
        # the cut drops its own connections, by their port on its side, and no other node's)
        victim = next(n for n, share in before.items() if "core" in share)
        store = create_engine(cluster.url)  # the test's own way in: the Unix socket, never cut
        epoch = "SELECT epoch FROM agents WHERE id = :id"
        with store.connect() as conn:
            first_epoch = conn.execute(text(epoch), {"id": victim}).scalar_one()
        cut(lab, NODES[victim])
        cut_at, cut_wall = time.monotonic(), time.time()
        alive.discard(victim)
        wait_for(  # the others: when its heartbeat is older than the lease, at their next heartbeat
            "the other two poll every device",
            LEASE + BEAT + 2 * SNMP + 5,
            lambda: sorted(d for share in shares().values() for d in share) == sorted(snmp_devices),
        )
        taken_over = time.monotonic() - cut_at
        wait_for(  # itself: a lease after its last heartbeat, though the store never answers it
            "the cut-off agent polls nothing", LEASE + SNMP, lambda: polled(metrics(lab, AGENTS[victim])) == set()
        )
        given_up = time.monotonic() - cut_at
        time.sleep(ROLLUP)  # a rollup period ends while it is cut off: what it closed waits for the store
        lab.exec(NODES[victim], ["nft", "delete", "table", "inet", CUT_TABLE])
        healed_at = time.monotonic()
        alive.add(victim)
        wait_for("the cut-off agent rejoins and takes its own share back", 90, lambda: shares() == before)
        rejoined = time.monotonic() - healed_at
        fenced = counter(
            metrics(lab, AGENTS[victim]), "pantau_collector_errors_total", collector="store", reason="fenced"
        )
        with store.connect() as conn:
            epoch_now = conn.execute(text(epoch), {"id": victim}).scalar_one()
            late = conn.execute(
                text("SELECT link FROM link_board WHERE agent = :id AND epoch = :epoch AND observed_at > :after"),
                {"id": victim, "epoch": first_epoch, "after": datetime.fromtimestamp(cut_wall + LEASE, UTC)},
            ).all()
        store.dispose()
    polls = watch.stop()
    print(
        f"{victim} cut off from PostgreSQL: its devices taken over {taken_over:.1f} s later, it stopped polling "
        f"{given_up:.1f} s later; healed, back with its share {rejoined:.1f} s later; {fenced:.0f} late writes refused"
    )
    assert taken_over <= LEASE + BEAT + 2 * SNMP  # within a lease (a heartbeat and a round to notice)
    assert epoch_now > first_epoch  # it joined again: what it measured under the old epoch is not its to write
    assert fenced > 0 and late == []  # refused and counted, not stored
    # no double polling beyond one interval: it stopped, by its own clock, before the others had polled a round
    mine = [seen for seen, agent, _ in polls if agent == victim and cut_at < seen < healed_at]
    theirs = [seen for seen, agent, d in polls if agent != victim and d in before[victim] and seen > cut_at]
    assert mine and theirs
    assert max(mine) - min(theirs) <= SNMP, (max(mine) - cut_at, min(theirs) - cut_at)
