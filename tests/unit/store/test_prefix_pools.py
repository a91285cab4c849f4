"""Subnets of the pools claimed on a real SQLite store: two OPDs claiming at once never share one, asking
again for an OPD's role gives what it holds, and a release frees exactly what a run claimed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from inventory.models import Prefix
from inventory.pools import carve
from store.engine import open_store
from store.prefix_pools import Pools, clear_pending, mark_pending, pending

POOL = Prefix.model_validate({"name": "opd-p2p", "prefix": "10.0.0.0/24", "purpose": "p2p", "carve": 30})


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_store(f"sqlite:///{tmp_path / 'pantau.db'}")


def claim(pools: Pools, opd: str, run_id: int | None = None) -> str:
    return pools.claim(POOL, opd, "p2p", "test", run_id, lambda live: carve(POOL, live))


def test_twenty_opds_claiming_at_once_get_twenty_different_subnets(store: Engine) -> None:
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: claim(Pools(store), f"opd{i}"), range(20)))
    assert len(set(got)) == 20
    assert sorted(got, key=lambda s: int(s.split(".")[3].split("/")[0])) == [f"10.0.0.{4 * i}/30" for i in range(20)]


def test_asking_again_for_an_opds_subnet_gives_the_one_it_holds(store: Engine) -> None:
    pools = Pools(store)
    first = claim(pools, "dpmptsp", run_id=1)
    assert claim(pools, "dpmptsp", run_id=2) == first
    assert [row.prefix for row in pools.live("dpmptsp")] == [first]


def test_a_release_frees_only_what_the_run_claimed_and_keeps_the_history(store: Engine) -> None:
    pools = Pools(store)
    mine = claim(pools, "dpmptsp", run_id=7)
    other = claim(pools, "dinsos", run_id=8)
    assert pools.release("dpmptsp", "test", run_id=99) == []
    assert pools.release("dpmptsp", "test", run_id=7) == [mine]
    assert [row.prefix for row in pools.live()] == [other]
    assert claim(pools, "dishub") == mine  # free again: the lowest
    (history,) = pools.history("dpmptsp")
    assert history.released_by == "test" and history.live_prefix is None


def test_a_pending_link_is_marked_once_and_cleared(store: Engine) -> None:
    mark_pending(store, "dpmptsp-wan", "dpmptsp", 3)
    mark_pending(store, "dpmptsp-wan", "dpmptsp", 3)
    assert list(pending(store)) == ["dpmptsp-wan"]
    assert clear_pending(store, "dpmptsp-wan") is True
    assert clear_pending(store, "dpmptsp-wan") is False
    assert pending(store) == {}
