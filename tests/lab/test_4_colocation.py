"""Colocation and withdrawal against the lab: real BIND9 (RFC 2136 + TSIG), real ICMP/ARP, SQLite store."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lab import host
from lab.faults import Faults
from lab.runner import Runner
from store.engine import open_store
from store.schema import IpAllocation, PlaybookRun
from tests.conftest import INVENTORY, ROOT, in_nms

DNS = "10.10.53.53"
ZONE = "pemkot.test"

CLEANUP = """
import sys
from pathlib import Path
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from store.schema import DnsChange
from inventory.loader import load_inventory
from playbooks.effectors.dns import DnsUpdater, Record
inv = load_inventory(Path({inventory!r}))
updater = DnsUpdater(inv, Path({inventory!r}))
net = {{}}
with Session(create_engine({url!r})) as s:
    for c in s.scalars(select(DnsChange).order_by(DnsChange.id)):
        key = (c.zone, c.name, c.rtype, c.value)
        net[key] = c.action != "delete"
for (zone, name, rtype, value), present in net.items():
    if present:
        updater.delete(Record(zone, name, rtype, value))
"""


def pantau(
    lab: Runner, state: Path, *args: str, env: dict[str, str] | None = None, node: str = "nms"
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "agent", *args, "--state-dir", str(state)]
    if args[0] not in ("runs", "targets"):
        argv += ["--inventory", str(INVENTORY)]
    return subprocess.run(
        lab.in_node(node, argv),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PANTAU_LANG": "en", **(env or {})},  # the messages read here are the English ones
    )


def dig(lab: Runner, name: str, rtype: str = "A") -> list[str]:
    args = ["dig", "+short", "+time=1", "+tries=1", f"@{DNS}", *(["-x", name] if rtype == "PTR" else [name, rtype])]
    for _ in range(20):  # named may still be starting after a fault was cleared
        result = lab.exec("nms", args, check=False)
        if result.returncode == 0:
            return result.stdout.split()
        time.sleep(0.25)
    raise AssertionError(f"no answer from {DNS} for {name} {rtype}: {result.stdout}")


def store(state: Path) -> Any:
    return create_engine(f"sqlite:///{state / 'pantau.db'}")


def live(state: Path) -> list[IpAllocation]:
    with Session(store(state)) as s:
        return list(s.scalars(select(IpAllocation).where(IpAllocation.live_address.is_not(None))).all())


def last_run(state: Path) -> PlaybookRun:
    with Session(store(state)) as s:
        run = s.scalars(select(PlaybookRun).order_by(PlaybookRun.id.desc())).first()
        assert run is not None
        return run


def colocated(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr + result.stdout
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def state(lab: Runner, tmp_path: Path) -> Iterator[Path]:
    """A fresh store (made as the agent makes it when it starts); on teardown every DNS record its runs left
    in the lab's zones is deleted again."""
    open_store(f"sqlite:///{tmp_path / 'pantau.db'}").dispose()
    yield tmp_path
    if (tmp_path / "pantau.db").exists():
        code = CLEANUP.format(inventory=str(INVENTORY), url=f"sqlite:///{tmp_path / 'pantau.db'}")
        result = in_nms(lab, code)
        assert result.returncode == 0, result.stderr


def test_colocate_publishes_a_and_ptr_and_decommission_removes_them_and_frees_the_address(
    lab: Runner, state: Path
) -> None:
    run = colocated(pantau(lab, state, "colocate", "--opd", "dinkes", "--hostname", "simpeg", "--json"))
    address = run["facts"]["address"]
    assert run["state"] == "succeeded"
    assert [s["state"] for s in run["steps"]] == ["ok"] * 7
    assert dig(lab, f"simpeg.{ZONE}") == [address]
    assert dig(lab, address, "PTR") == [f"simpeg.{ZONE}."]

    gone = colocated(pantau(lab, state, "decommission", "simpeg", "--json"))
    assert gone["state"] == "succeeded"
    assert dig(lab, f"simpeg.{ZONE}") == []
    assert dig(lab, address, "PTR") == []
    assert live(state) == []
    shown = json.loads(pantau(lab, state, "ipam", "show", "servers", "--json").stdout)
    assert address not in shown[0]["allocations"]
    history = json.loads(pantau(lab, state, "ipam", "history", address, "--json").stdout)
    assert [(e["event"], e["hostname"]) for e in history["events"]] == [("allocated", "simpeg"), ("released", "simpeg")]
    again = colocated(pantau(lab, state, "colocate", "--opd", "dinkes", "--hostname", "simpeg2", "--json"))
    assert again["facts"]["address"] == address  # free again: the lowest free address is handed out


def test_subdomain_points_at_the_server_and_goes_with_it(lab: Runner, state: Path) -> None:
    args = ("colocate", "--opd", "dinkes", "--hostname", "sikda", "--subdomain", "layanan", "--json")
    colocated(pantau(lab, state, *args))
    assert dig(lab, f"layanan.dinkes.{ZONE}", "CNAME") == [f"sikda.{ZONE}."]
    colocated(pantau(lab, state, "decommission", "sikda", "--json"))
    assert dig(lab, f"layanan.dinkes.{ZONE}", "CNAME") == []


def test_same_hostname_twice_gets_the_same_address_and_no_duplicate_records(lab: Runner, state: Path) -> None:
    first = colocated(pantau(lab, state, "colocate", "--opd", "disdik", "--hostname", "dapodik", "--json"))
    second = colocated(pantau(lab, state, "colocate", "--opd", "disdik", "--hostname", "dapodik", "--json"))
    assert first["facts"]["address"] == second["facts"]["address"]
    assert second["facts"]["allocation_existing"] is True
    assert second["facts"]["forward_result"] == "already present"
    assert dig(lab, f"dapodik.{ZONE}") == [first["facts"]["address"]]
    assert len(live(state)) == 1


def test_a_record_of_another_host_is_not_overwritten_without_replace(lab: Runner, state: Path) -> None:
    first = colocated(pantau(lab, state, "colocate", "--opd", "dishub", "--hostname", "sitra", "--json"))
    address = first["facts"]["address"]
    other = state / "other"  # a second store that does not know sitra (say, another agent's)
    other.mkdir()
    result = pantau(lab, other, "colocate", "--opd", "dishub", "--hostname", "sitra", "--ip", "10.10.20.99", "--json")
    assert result.returncode == 2
    assert f"already has A {address}" in result.stderr and "--replace" in result.stderr
    assert live(other) == []  # its claim was compensated
    assert last_run(other).state == "failed"
    assert dig(lab, f"sitra.{ZONE}") == [address]  # untouched


def wait_stopped(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not reach its breakpoint")


def start_stopping(lab: Runner, state: Path, hostname: str, after: str, *extra: str) -> subprocess.Popen[str]:
    # the errors in English, as the log has them (the next test reads one in Bahasa Indonesia)
    argv = [sys.executable, "-m", "agent", "--lang", "en", "colocate", "--opd", "bappeda", "--hostname", hostname]
    argv += ["--json", *extra]
    argv += ["--stop-after", after, "--state-dir", str(state), "--inventory", str(INVENTORY)]
    proc = subprocess.Popen(lab.in_node("nms", argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # ip netns exec execs in place: the PID is pantau's own
    wait_stopped(proc.pid)
    return proc


def test_dns_server_down_before_the_dns_step_fails_the_run_and_leaves_nothing(
    lab: Runner, state: Path, faults: Faults
) -> None:
    proc = start_stopping(lab, state, "sipd", "allocate")
    assert len(live(state)) == 1
    faults.inject("daemon-stop", node="dns1", daemon="named")
    os.kill(proc.pid, signal.SIGCONT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"zone {ZONE} on primary {DNS}" in stderr
    assert live(state) == []
    run = last_run(state)
    assert run.state == "failed" and run.reason is not None and run.reason.startswith("dns-forward:")
    faults.clear()
    assert dig(lab, f"sipd.{ZONE}") == []


def test_wrong_tsig_secret_names_zone_and_key_and_leaves_nothing(lab: Runner, state: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "logo.svg").write_bytes((INVENTORY / "logo.svg").read_bytes())  # agency.logo's file
    for f in INVENTORY.glob("*.yml"):
        text = f.read_text().replace("file:../../lab/", f"file:{ROOT}/lab/")
        text = text.replace(f"secret: file:{ROOT}/lab/kominfo/secrets/tsig-pantau-ddns", "secret: env:WRONG_TSIG")
        (inventory / f.name).write_text(text)
    argv = [sys.executable, "-m", "agent", "colocate", "--opd", "dinkes", "--hostname", "siwrong"]
    argv += ["--state-dir", str(state), "--inventory", str(inventory)]
    env = {**os.environ, "WRONG_TSIG": "d3JvbmctYnV0LXZhbGlkLWJhc2U2NC1zZWNyZXQtMzJieXRlcyE="}
    result = subprocess.run(lab.in_node("nms", argv), check=False, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2, result.stdout
    # in Bahasa Indonesia, the CLI's default: the zone, the server and the key named
    assert f"zona {ZONE} di server utama {DNS} menolak kunci TSIG 'pantau-ddns'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "d3JvbmctYnV0" not in result.stderr + result.stdout  # the secret is never printed
    assert live(state) == []
    assert dig(lab, f"siwrong.{ZONE}") == []


def test_squatter_address_is_skipped_recorded_shown_and_cleared_once_it_is_gone(lab: Runner, state: Path) -> None:
    free = json.loads(pantau(lab, state, "ipam", "show", "servers", "--json").stdout)
    assert free[0]["used"] == 0
    squat = "10.10.20.10"  # the lowest free address of the servers prefix (.2-.9 reserved, .11 .12 static)
    lab.exec("srv-db1", ["ip", "addr", "add", f"{squat}/24", "dev", "eth1"])
    try:
        mac = lab.exec("srv-db1", ["cat", "/sys/class/net/eth1/address"]).stdout.strip()
        run = colocated(pantau(lab, state, "colocate", "--opd", "dinkes", "--hostname", "simrs", "--json"))
        refused = pantau(lab, state, "ipam", "conflicts", "clear", squat)
        assert refused.returncode == 2 and "still answers" in refused.stderr, refused.stderr
    finally:
        lab.exec("srv-db1", ["ip", "addr", "del", f"{squat}/24", "dev", "eth1"])
        lab.exec("core", ["ip", "neigh", "flush", "to", squat], check=False)
    assert run["facts"]["address"] != squat
    assert squat in run["steps"][1]["output"] and mac in run["steps"][1]["output"]
    shown = json.loads(pantau(lab, state, "ipam", "show", "servers", "--json").stdout)[0]
    assert shown["conflict"] == 1
    assert mac in shown["conflicts"][squat]
    cleared = pantau(lab, state, "ipam", "conflicts", "clear", squat)
    assert cleared.returncode == 0 and "conflict cleared" in cleared.stdout, cleared.stderr
    assert json.loads(pantau(lab, state, "ipam", "conflicts", "list", "--json").stdout) == []
    history = json.loads(pantau(lab, state, "ipam", "history", squat, "--json").stdout)["events"]
    assert [e["event"] for e in history] == ["conflict", "conflict cleared"]
    nxt = colocated(pantau(lab, state, "colocate", "--opd", "dinkes", "--hostname", "simpus", "--json"))
    assert nxt["facts"]["address"] == squat  # handed out again


def test_squatter_ignoring_icmp_is_found_by_an_arp_probe_from_its_segment(lab: Runner, state: Path) -> None:
    """pantau on the server segment (here in srv-app1): a host that ignores ICMP answers ARP all the same.
    From there the gateway's ARP table would not know it either (no packet to it crossed the gateway)."""
    squat = "10.10.20.10"
    lab.exec("srv-db1", ["ip", "addr", "add", f"{squat}/24", "dev", "eth1"])
    lab.exec("srv-db1", ["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"])
    try:
        mac = lab.exec("srv-db1", ["cat", "/sys/class/net/eth1/address"]).stdout.strip()
        assert lab.exec("srv-app1", ["fping", "-q", "-r", "1", squat], check=False).returncode != 0  # ICMP: silent
        args = ("colocate", "--opd", "dinkes", "--hostname", "simrs", "--json")
        run = colocated(pantau(lab, state, *args, node="srv-app1"))
    finally:
        lab.exec("srv-db1", ["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0"])
        lab.exec("srv-db1", ["ip", "addr", "del", f"{squat}/24", "dev", "eth1"])
        for node in ("core", "srv-app1"):
            lab.exec(node, ["ip", "neigh", "flush", "to", squat], check=False)
    assert run["facts"]["address"] != squat
    allocate = run["steps"][1]["output"]
    assert squat in allocate and "arp-probe on eth1" in allocate and mac in allocate, allocate


def test_kill_9_after_allocation_is_undone_by_runs_recover(lab: Runner, state: Path) -> None:
    proc = start_stopping(lab, state, "sikeu", "allocate")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    (orphan,) = live(state)  # the orphan the crash left
    result = pantau(lab, state, "runs", "recover")
    assert result.returncode == 0, result.stderr
    assert "recovered" in result.stdout
    assert live(state) == []
    assert last_run(state).state == "failed"
    events = json.loads(pantau(lab, state, "ipam", "history", orphan.address, "--json").stdout)["events"]
    assert [(e["event"], e["run"]) for e in events] == [("allocated", orphan.run_id), ("released", orphan.run_id)]


#: what the agency's staff wrote in its zones before pantau (with nsupdate, as they do): pantau knows none
BY_HAND = (
    "update add victim.pemkot.test 300 A 10.10.20.10",
    "update add legacy.pemkot.test 300 A 10.10.20.13",
    "update add 14.20.10.10.in-addr.arpa 300 PTR old-app.pemkot.test",
)
UNDO_BY_HAND = (
    "update delete victim.pemkot.test A",
    "update delete legacy.pemkot.test A",
    "update delete 14.20.10.10.in-addr.arpa PTR",
)


def by_hand(lab: Runner, *commands: str) -> None:
    secret = (ROOT / "lab" / "kominfo" / "secrets" / "tsig-pantau-ddns").read_text().strip()
    script = f"server {DNS}\n" + "".join(f"{command}\nsend\n" for command in commands)
    argv = lab.in_node("nms", ["nsupdate", "-t", "5", "-y", f"hmac-sha256:pantau-ddns:{secret}"])
    result = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_addresses_the_zones_name_are_never_handed_out_and_import_dns_takes_them_in_once(
    lab: Runner, state: Path
) -> None:
    """Nothing answers at .10, .13 or .14, but the zone names them: a colocation steps over each (a conflict
    naming the record), and ``ipam import-dns`` takes them into IPAM, once however often it runs."""
    by_hand(lab, *BY_HAND)
    try:
        run = colocated(pantau(lab, state, "colocate", "--opd", "dinkes", "--hostname", "simrs", "--json"))
        seen = {c["address"]: c["seen_by"] for c in json.loads(pantau(lab, state, "ipam", "conflicts", "list",
                                                                         "--json").stdout)}  # fmt: skip
        dry = json.loads(pantau(lab, state, "ipam", "import-dns", "--json").stdout)
        applied = json.loads(pantau(lab, state, "ipam", "import-dns", "--apply", "--json").stdout)
        again = json.loads(pantau(lab, state, "ipam", "import-dns", "--apply", "--json").stdout)
    finally:
        by_hand(lab, *UNDO_BY_HAND)
    assert run["facts"]["address"] == "10.10.20.15"  # .11 and .12 are the plan's, the others the zone's
    assert seen == {
        "10.10.20.10": "dns victim.pemkot.test A 10.10.20.10",
        "10.10.20.13": "dns legacy.pemkot.test A 10.10.20.13",
        "10.10.20.14": "dns 14.20.10.10.in-addr.arpa PTR old-app.pemkot.test",
    }
    actions = {a["address"]: (a["name"], a["action"]) for a in dry["addresses"]}
    assert actions == {
        "10.10.20.10": ("victim", "import"),  # kept as colocate keeps names: decommission finds it too
        "10.10.20.11": ("srv-app1", "plan"),  # assigned by hand in the IP plan
        "10.10.20.12": ("srv-db1", "plan"),
        "10.10.20.13": ("legacy", "import"),
        "10.10.20.14": ("old-app", "import"),  # a PTR alone names its host too
        "10.10.20.15": ("simrs", "present"),  # pantau's own
        "10.10.53.53": ("dns1", "plan"),
    }
    assert not dry["applied"] and [a["action"] for a in applied["addresses"]].count("imported") == 3
    assert {a["address"]: a["action"] for a in again["addresses"]} == {**{k: v[1] for k, v in actions.items()},
        "10.10.20.10": "present", "10.10.20.13": "present", "10.10.20.14": "present"}  # fmt: skip
    assert json.loads(pantau(lab, state, "ipam", "conflicts", "list", "--json").stdout) == []  # IPAM knows them now
    assert sorted(a.hostname for a in live(state)) == ["legacy", "old-app", "simrs", "victim"]


def test_kill_9_after_the_a_record_is_undone_by_the_next_colocate(lab: Runner, state: Path) -> None:
    proc = start_stopping(lab, state, "sigap", "dns-forward")
    assert dig(lab, f"sigap.{ZONE}") != []
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    nxt = pantau(lab, state, "colocate", "--opd", "bappeda", "--hostname", "sakip", "--json")
    assert nxt.returncode == 0, nxt.stderr
    assert "recovered run 1: failed" in nxt.stderr
    assert dig(lab, f"sigap.{ZONE}") == []
    assert [a.hostname for a in live(state)] == ["sakip"]


def spawn(lab: Runner, state: Path, *args: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "agent", *args, "--json", "--state-dir", str(state), "--inventory", str(INVENTORY)]
    return subprocess.Popen(lab.in_node("nms", argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_twenty_concurrent_colocations_never_share_an_address(lab: Runner, tmp_path: Path) -> None:
    """10 rounds, each a fresh store and 20 colocate processes at once (without the ICMP/ARP check, which the
    squatter test covers: here the race for the database row is the point). Round 0 also withdraws all 20 at
    once; every round's leftover DNS records are then cleaned in one go (a no-op after round 0's withdrawals)."""
    for rnd in range(10):
        state = tmp_path / f"round{rnd}"
        state.mkdir()
        open_store(f"sqlite:///{state / 'pantau.db'}").dispose()  # the store exists before the crowd arrives
        names = [f"c{rnd}-{i}" for i in range(20)]
        procs: list[subprocess.Popen[str]] = []
        try:
            args = ("colocate", "--opd", "dinkes", "--no-live-check", "--hostname")
            procs = [spawn(lab, state, *args, n) for n in names]
            for p in procs:
                out, err = p.communicate(timeout=300)
                assert p.returncode == 0, err + out
            addresses = [a.address for a in live(state)]
            assert len(addresses) == 20, sorted(addresses)
            assert len(set(addresses)) == 20, sorted(addresses)
            for n in names:  # every server got exactly its own A record
                answer = dig(lab, f"{n}.{ZONE}")
                assert len(answer) == 1 and answer[0] in addresses
            if rnd == 0:
                procs = [spawn(lab, state, "decommission", n) for n in names]
                for p in procs:
                    out, err = p.communicate(timeout=300)
                    assert p.returncode == 0, err + out
                assert live(state) == []
        finally:  # also after a failure, so no record of this round is left for the next test to trip on
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            cleanup = in_nms(lab, CLEANUP.format(inventory=str(INVENTORY), url=f"sqlite:///{state / 'pantau.db'}"))
            assert cleanup.returncode == 0, cleanup.stderr
        assert dig(lab, f"{names[0]}.{ZONE}") == []


def test_running_agent_probes_a_colocated_server_without_restart(lab: Runner, state: Path) -> None:
    listen = "127.0.0.1:9470"
    env = {**os.environ, "PANTAU_POLL__ICMP_INTERVAL": "1", "PANTAU_POLL__JITTER": "0", "PANTAU_LOG_FORMAT": "json"}
    argv = [sys.executable, "-m", "agent", "run", "--inventory", str(INVENTORY), "--state-dir", str(state)]
    log = (state / "agent.log").open("wb")
    agent = subprocess.Popen(lab.in_node("nms", [*argv, "--listen", listen]), env=env, stdout=log, stderr=log)

    def metric(name: str, **labels: str) -> float | None:
        result = lab.exec("nms", ["curl", "-sf", f"http://{listen}/metrics"], check=False)
        if result.returncode != 0:
            return None
        for family in text_string_to_metric_families(result.stdout):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
        return None

    def wait_for(name: str, want: float | None, timeout: float = 30, **labels: str) -> None:
        deadline = time.monotonic() + timeout
        while (got := metric(name, **labels)) != want:
            assert agent.poll() is None, (state / "agent.log").read_text()
            assert time.monotonic() < deadline, f"{name}{labels} is {got}, not {want}"
            time.sleep(0.3)

    server = f"simpeg.{ZONE}"
    address = None
    try:
        wait_for("pantau_ipam_addresses", 0, prefix="servers", state="used")
        address = colocated(pantau(lab, state, "colocate", "--opd", "dinkes", "--hostname", "simpeg", "--json"))[
            "facts"
        ]["address"]
        wait_for("pantau_probe_up", 0, target=server)  # registered; the server is not racked yet
        wait_for("pantau_ipam_addresses", 1, prefix="servers", state="used")
        lab.exec("srv-app1", ["ip", "addr", "add", f"{address}/24", "dev", "eth1"])  # it arrives and boots
        wait_for("pantau_probe_up", 1, target=server)
        colocated(pantau(lab, state, "decommission", "simpeg", "--json"))
        wait_for("pantau_probe_up", None, target=server)  # no longer a target: absent
        wait_for("pantau_ipam_addresses", 0, prefix="servers", state="used")
    finally:
        agent.terminate()
        agent.wait(10)
        log.close()
        if address is not None:
            lab.exec("srv-app1", ["ip", "addr", "del", f"{address}/24", "dev", "eth1"], check=False)


LOSE_ANSWERS = """table inet pantau_lost_answers {
 chain out {
  type filter hook output priority 0; policy accept;
  tcp sport 53 tcp flags & psh == psh counter drop
 }
}
"""


@contextlib.contextmanager
def answers_lost(lab: Runner) -> Iterator[None]:
    """dns1 takes and applies updates (over TCP) but its answers never arrive: the handshake passes, every
    segment carrying data from port 53 is dropped."""
    host.run(lab.in_node("dns1", ["nft", "-f", "-"]), node="dns1", input_text=LOSE_ANSWERS)
    try:
        yield
    finally:
        lab.exec("dns1", ["nft", "delete", "table", "inet", "pantau_lost_answers"])


def test_a_lost_answer_on_a_rerun_never_deletes_the_records_the_server_had_before(lab: Runner, state: Path) -> None:
    first = colocated(pantau(lab, state, "colocate", "--opd", "bappeda", "--hostname", "sidik", "--json"))
    address = first["facts"]["address"]
    proc = start_stopping(lab, state, "sidik", "allocate", "--subdomain", "portal")  # the same server, again
    with answers_lost(lab):
        os.kill(proc.pid, signal.SIGCONT)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    assert "no answer within" in stderr
    run = last_run(state)
    assert run.state == "failed" and run.reason is not None and run.reason.startswith("dns-forward:"), run.reason
    assert dig(lab, f"sidik.{ZONE}") == [address]  # there before the run: kept
    assert dig(lab, address, "PTR") == [f"sidik.{ZONE}."]
    assert [a.hostname for a in live(state)] == ["sidik"]


def test_an_applied_update_whose_answer_and_undo_are_lost_ends_broken_and_runs_recover_finishes_it(
    lab: Runner, state: Path
) -> None:
    proc = start_stopping(lab, state, "siapel", "allocate")
    with answers_lost(lab):
        os.kill(proc.pid, signal.SIGCONT)
        _, stderr = proc.communicate(timeout=120)  # the server applied the A record and its undo; pantau heard neither
    assert proc.returncode == 2, stderr
    assert last_run(state).state == "broken"
    assert "is broken" in stderr and "pantau runs recover" in stderr, stderr
    recovered = pantau(lab, state, "runs", "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert last_run(state).state == "failed"
    assert dig(lab, f"siapel.{ZONE}") == [] and live(state) == []
    again = pantau(lab, state, "runs", "recover")  # nothing left: recover is idempotent
    assert again.returncode == 0 and last_run(state).state == "failed"


def test_the_primary_stopped_between_a_and_ptr_leaves_a_broken_run_that_recover_finishes(
    lab: Runner, state: Path, faults: Faults
) -> None:
    proc = start_stopping(lab, state, "sidara", "dns-forward")
    assert dig(lab, f"sidara.{ZONE}") != []
    faults.inject("daemon-stop", node="dns1", daemon="named")
    os.kill(proc.pid, signal.SIGCONT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "is broken" in stderr and "undoing dns-forward failed" in stderr and "pantau runs recover" in stderr
    assert last_run(state).state == "broken" and live(state) == []  # the address is back; the A record is not
    faults.clear()  # named again (the lab's named starts from its zone files: the A record is gone with it)
    recovered = pantau(lab, state, "runs", "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert last_run(state).state == "failed"
    assert dig(lab, f"sidara.{ZONE}") == []
