"""Undoing a decommission on a real SQLite store: the released address goes back to its server, and when
another allocation took it meanwhile the undo fails (the run stays broken) instead of claiming success."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.ipam import prefix_for
from inventory.loader import load_inventory
from inventory.models import Purpose
from playbooks.colocate import ServerDeps, Services
from playbooks.decommission import DecommissionRequest, Withdrawal, WithdrawalFacts, _release, _unrelease
from playbooks.effectors.dns import DnsUpdater
from playbooks.engine import RunContext
from playbooks.errors import PlaybookError
from store import runs
from store.allocations import Allocations
from store.engine import open_store

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


def withdrawal(tmp_path: Path) -> tuple[Withdrawal, Allocations]:
    inv = load_inventory(EXAMPLE)
    store = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")
    allocations = Allocations(store, inv.prefixes)
    got = allocations.allocate(prefix_for(inv, Purpose.SERVER), "simpeg", "dinkes", None, "test", None)
    services = Services(inv, DnsUpdater(inv, EXAMPLE), allocations, None)
    facts = WithdrawalFacts(allocations=[got.id], addresses=[got.address])
    run_id = runs.start(store, "decommission", {"hostname": "simpeg"}, "test", "host", 0, "")
    ctx = RunContext[DecommissionRequest, ServerDeps, WithdrawalFacts](
        run_id, DecommissionRequest("simpeg"), facts, store, "test", services
    )
    return ctx, allocations


def test_undoing_a_release_gives_the_address_back_to_its_server(tmp_path: Path) -> None:
    ctx, allocations = withdrawal(tmp_path)
    _release(ctx)
    assert allocations.live("simpeg") == []
    assert _unrelease(ctx) is not None
    assert [a.address for a in allocations.live("simpeg")] == ctx.facts.addresses


def test_an_address_taken_since_the_release_makes_the_undo_fail_naming_it(tmp_path: Path) -> None:
    ctx, allocations = withdrawal(tmp_path)
    _release(ctx)
    inv = load_inventory(EXAMPLE)
    other = allocations.allocate(prefix_for(inv, Purpose.SERVER), "sikda", "dinkes", None, "test", None)
    assert other.address == ctx.facts.addresses[0]  # the lowest free address: the one just released
    with pytest.raises(PlaybookError, match=f"cannot give {other.address} back to simpeg"):
        _unrelease(ctx)
