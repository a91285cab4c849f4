"""IPAM claims on a real SQLite store: always the lowest free address, also below the floor a claim
starts from, across pages of live addresses and after the IP plan changes."""

from __future__ import annotations

import random
from ipaddress import ip_address
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

import store.allocations as allocations_module
from inventory.ipam import NoFreeAddress, choose
from inventory.models import Prefix
from store.allocations import Allocations
from store.engine import open_store
from store.schema import IpamPrefix


def plan(**extra: object) -> Prefix:
    fields = {
        "name": "srv",
        "prefix": "10.7.0.0/26",
        "purpose": "server",
        "gateway": "10.7.0.1",
        "reserved": [{"start": "10.7.0.2", "end": "10.7.0.9", "reason": "network gear"}],
        "static": [{"address": "10.7.0.20", "hostname": "legacy"}],
    }
    return Prefix.model_validate({**fields, **extra})


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_store(f"sqlite:///{tmp_path / 'pantau.db'}")


def take(a: Allocations, p: Prefix, host: str) -> str:
    return a.allocate(p, host, "dinkes", None, "test", None).address


def test_an_address_released_below_the_floor_is_the_next_one_given(store: Engine) -> None:
    a, p = Allocations(store), plan()
    assert [take(a, p, f"h{i}") for i in range(4)] == ["10.7.0.10", "10.7.0.11", "10.7.0.12", "10.7.0.13"]
    (row,) = [r for r in a.live("h1")]
    assert a.release(row.id, "test")
    assert take(a, p, "again") == "10.7.0.11"
    assert take(a, p, "next") == "10.7.0.14"


def test_a_plan_change_that_frees_addresses_below_the_floor_is_seen(store: Engine) -> None:
    a = Allocations(store)
    assert [take(a, plan(), f"h{i}") for i in range(3)] == ["10.7.0.10", "10.7.0.11", "10.7.0.12"]
    shrunk = plan(reserved=[{"start": "10.7.0.2", "end": "10.7.0.4", "reason": "fewer"}])
    assert take(a, shrunk, "after") == "10.7.0.5"


def test_a_floor_above_a_free_address_is_not_trusted(store: Engine) -> None:
    """Whatever wrote the floor (a hand edit, an older version), a count shows it is wrong."""
    a, p = Allocations(store), plan()
    take(a, p, "first")
    with store.begin() as conn:
        conn.execute(
            update(IpamPrefix).where(IpamPrefix.name == "srv").values(floor=format(int(ip_address("10.7.0.30")), "08x"))
        )
    assert take(a, p, "second") == "10.7.0.11"


def test_claims_agree_with_the_pure_chooser_through_pages_releases_and_repeats(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(allocations_module, "PAGE", 4)  # the walk crosses many pages of live addresses
    a, p = Allocations(store), plan(prefix="10.7.0.0/25")
    rng = random.Random(5227)
    live: dict[str, str] = {}
    for step in range(300):
        if live and rng.random() < 0.35:
            host = rng.choice(sorted(live))
            (row,) = a.live(host)
            assert a.release(row.id, "test")
            del live[host]
        elif live and rng.random() < 0.1:
            host = rng.choice(sorted(live))
            assert take(a, p, host) == live[host]  # asking again: the same address
        else:
            try:
                expected = str(choose(p, {ip_address(x) for x in live.values()}, set()))
            except NoFreeAddress:
                with pytest.raises(NoFreeAddress, match="has no free address"):
                    take(a, p, f"s{step}")
                continue
            live[f"s{step}"] = take(a, p, f"s{step}")
            assert live[f"s{step}"] == expected, f"step {step}"
    assert len(set(live.values())) == len(live)


def test_an_undone_release_takes_its_address_back_and_the_next_claim_steps_over_it(store: Engine) -> None:
    a, p = Allocations(store), plan()
    assert [take(a, p, h) for h in ("one", "two")] == ["10.7.0.10", "10.7.0.11"]
    (row,) = a.live("one")
    assert a.release(row.id, "test") and a.relive(row.id)  # a decommission that failed later, compensated
    assert [r.address for r in a.live("one")] == ["10.7.0.10"]
    assert take(a, p, "three") == "10.7.0.12"


def test_every_release_names_the_run_that_made_it_an_undone_run_included(store: Engine) -> None:
    """``ipam history`` links each release to its run: a decommission's, and a failed or recovered run's
    compensation (which releases what that run allocated, as that run)."""
    a, p = Allocations(store), plan()
    undone = a.allocate(p, "app1", "dinkes", None, "test", 41)
    kept = a.allocate(p, "app2", "dinkes", None, "test", 42)
    assert a.release_run(41, "recover") == [undone.address]
    assert a.release(kept.id, "test", 43)
    rows = [*a.history(undone.address), *a.history(kept.address)]
    assert [(r.hostname, r.run_id, r.released_run_id, r.released_by) for r in rows] == [
        ("app1", 41, 41, "recover"),
        ("app2", 42, 43, "test"),
    ]
