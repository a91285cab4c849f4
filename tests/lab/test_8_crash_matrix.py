"""The crash matrix: colocate and decommission killed (kill -9) at every step boundary and on both sides of
every DNS update (facts kept but the update not sent; the server applied it but its answer not kept), then
``pantau runs recover`` twice and the playbook again. After each case the invariants hold: no live
allocation without a succeeded run that owns it, no DNS record without its allocation, a record that was in
the zone before unchanged (value and TTL), a monitoring target only for a live allocation, and the second
recover finds nothing to do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lab.runner import Runner
from store.schema import IpAllocation, PlaybookRun, ProbeTargetRow
from tests.conftest import INVENTORY, in_nms
from tests.lab.test_4_colocation import CLEANUP, DNS, ZONE, pantau, wait_stopped

HOST, SUB, OPD = "sikrash", "portal", "bappeda"
PRIOR = f"prior.{ZONE}"  # a record of somebody else, in the zone before every case
PRIOR_RECORD = f"""
from pathlib import Path
from inventory.loader import load_inventory
from playbooks.effectors.dns import DnsUpdater, Record
inv = load_inventory(Path({str(INVENTORY)!r}))
DnsUpdater(inv, Path({str(INVENTORY)!r})).{{action}}(Record("{ZONE}", "{PRIOR}", "A", "10.10.20.240", 600))
"""
COLOCATE_POINTS = [
    *(f"{step}" for step in ("validate", "allocate", "dns-forward", "dns-reverse", "subdomain", "verify")),
    "monitoring",
    *(f"{step}:{side}" for step in ("dns-forward", "dns-reverse", "subdomain") for side in ("sending", "sent")),
]
DECOMMISSION_POINTS = [
    *("find", "monitoring", "dns", "release", "verify"),
    *(f"dns:{side}-{rtype}" for rtype in ("CNAME", "PTR", "A") for side in ("deleting", "deleted")),
]


def answers(lab: Runner, name: str, rtype: str = "A") -> list[str]:
    """``TTL value`` of each record the primary holds at ``name``."""
    args = ["dig", "+noall", "+answer", "+time=2", "+tries=2", f"@{DNS}"]
    args += ["-x", name] if rtype == "PTR" else [name, rtype]
    lines = lab.exec("nms", args).stdout.split("\n")
    return sorted(" ".join((f[1], f[4])) for f in (line.split() for line in lines) if len(f) >= 5)


def killed_at(lab: Runner, state: Path, point: str, *args: str) -> None:
    argv = [sys.executable, "-m", "agent", *args, "--json", "--stop-after", point]
    argv += ["--state-dir", str(state), "--inventory", str(INVENTORY)]
    proc = subprocess.Popen(lab.in_node("nms", argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_stopped(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


def recover_twice(lab: Runner, state: Path) -> None:
    first = pantau(lab, state, "runs", "recover")
    assert first.returncode == 0, first.stderr
    runs_after_first = run_states(state)
    second = pantau(lab, state, "runs", "recover", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {"recovered": []}, second.stdout  # idempotent: the first finished the job
    assert run_states(state) == runs_after_first


def run_states(state: Path) -> dict[int, str]:
    with Session(create_engine(f"sqlite:///{state / 'pantau.db'}")) as s:
        return {r.id: r.state for r in s.scalars(select(PlaybookRun))}


def violations(lab: Runner, state: Path, prior: list[str]) -> list[str]:
    """Every invariant the store and the zone break now (empty: consistent)."""
    out = []
    with Session(create_engine(f"sqlite:///{state / 'pantau.db'}")) as s:
        runs = {r.id: r for r in s.scalars(select(PlaybookRun))}
        live = list(s.scalars(select(IpAllocation).where(IpAllocation.live_address.is_not(None))))
        targets = list(s.scalars(select(ProbeTargetRow)))
    for a in live:
        owner = runs.get(a.run_id) if a.run_id is not None else None
        if owner is None or owner.state != "succeeded":
            out.append(
                f"allocation {a.address} ({a.hostname}) owned by run {a.run_id} in state {owner and owner.state}"
            )
    mine = {a.address for a in live if a.hostname == HOST}
    tried = {json.loads(r.facts).get("address") for r in runs.values() if r.facts} - {None}
    forward = answers(lab, f"{HOST}.{ZONE}")
    if sorted(v.split()[1] for v in forward) != sorted(mine):
        out.append(f"A {HOST}: {forward}, live allocations {sorted(mine)}")
    for address in tried | mine:
        ptr = answers(lab, address, "PTR")
        if bool(ptr) != (address in mine):
            out.append(f"PTR {address}: {ptr}, live: {address in mine}")
    cname = answers(lab, f"{SUB}.{OPD}.{ZONE}", "CNAME")
    if bool(cname) != bool(mine):
        out.append(f"CNAME {SUB}: {cname}, live allocations {sorted(mine)}")
    for t in targets:
        if t.address not in {a.address for a in live}:
            out.append(f"monitoring target {t.name} {t.address} without a live allocation")
    now = answers(lab, PRIOR)
    if now != prior:
        out.append(f"the record that was there before changed: {prior} -> {now}")
    return out


@pytest.fixture
def prior(lab: Runner, tmp_path: Path) -> Iterator[list[str]]:
    result = in_nms(lab, PRIOR_RECORD.format(action="add"))
    assert result.returncode == 0, result.stderr
    yield answers(lab, PRIOR)
    in_nms(lab, PRIOR_RECORD.format(action="delete"))
    if (tmp_path / "pantau.db").exists():  # whatever a failed case left in the zone
        in_nms(lab, CLEANUP.format(inventory=str(INVENTORY), url=f"sqlite:///{tmp_path / 'pantau.db'}"))


COLOCATE = ("colocate", "--opd", OPD, "--hostname", HOST, "--subdomain", SUB)


@pytest.mark.parametrize("point", COLOCATE_POINTS)
def test_colocate_killed_then_recovered_twice_and_run_again_stays_consistent(
    lab: Runner, tmp_path: Path, prior: list[str], point: str
) -> None:
    assert prior and prior[0].startswith("600 ")
    killed_at(lab, tmp_path, point, *COLOCATE)
    recover_twice(lab, tmp_path)
    assert violations(lab, tmp_path, prior) == []
    again = pantau(lab, tmp_path, *COLOCATE, "--json")
    assert again.returncode == 0, again.stderr
    assert violations(lab, tmp_path, prior) == []
    assert answers(lab, f"{HOST}.{ZONE}") != []
    done = pantau(lab, tmp_path, "decommission", HOST, "--json")
    assert done.returncode == 0, done.stderr
    assert violations(lab, tmp_path, prior) == []


@pytest.mark.parametrize("point", DECOMMISSION_POINTS)
def test_decommission_killed_then_recovered_twice_and_run_again_stays_consistent(
    lab: Runner, tmp_path: Path, prior: list[str], point: str
) -> None:
    placed = pantau(lab, tmp_path, *COLOCATE, "--json")
    assert placed.returncode == 0, placed.stderr
    killed_at(lab, tmp_path, point, "decommission", HOST)
    recover_twice(lab, tmp_path)
    assert violations(lab, tmp_path, prior) == []
    again = pantau(lab, tmp_path, "decommission", HOST, "--json")
    assert again.returncode == 0, again.stderr
    assert violations(lab, tmp_path, prior) == []
    assert answers(lab, f"{HOST}.{ZONE}") == []
