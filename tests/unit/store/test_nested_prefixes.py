"""Nested prefixes (``within:``) on a real SQLite store: an address is live in at most one prefix of a
nest, every claim takes the lowest address free in its own prefix whoever holds the others, and claims of
many processes in a parent and its child never share an address."""

from __future__ import annotations

import multiprocessing
import tempfile
from ipaddress import IPv4Network, ip_address
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.ipam import Address, bounds, free_addresses, outermost
from inventory.models import Prefix
from store.allocations import Allocations
from store.engine import open_store

ROOT = IPv4Network("10.50.0.0/24")


def prefix(name: str, net: IPv4Network, within: str | None = None) -> Prefix:
    return Prefix.model_validate({"name": name, "prefix": str(net), "purpose": "server", "within": within})


@st.composite
def trees(draw: st.DrawFn) -> list[Prefix]:
    """A /24 with children and grandchildren at random places and sizes."""
    out = [prefix("p0", ROOT)]
    for child in draw(st.sets(st.integers(0, 3), max_size=3)):  # up to three of the four /26s
        net = list(ROOT.subnets(new_prefix=26))[child]
        out.append(prefix(f"p0-{child}", net, "p0"))
        for grand in draw(st.sets(st.integers(0, 3), max_size=2)):
            out.append(prefix(f"p0-{child}-{grand}", list(net.subnets(new_prefix=28))[grand], f"p0-{child}"))
    return out


def test_the_outermost_prefix_of_a_nest_is_its_lock() -> None:
    root = prefix("root", ROOT)
    child = prefix("child", IPv4Network("10.50.0.64/26"), "root")
    grand = prefix("grand", IPv4Network("10.50.0.64/28"), "child")
    other = prefix("other", IPv4Network("10.60.0.0/24"))
    plan = [root, child, grand, other]
    assert {outermost(plan, p).name for p in (root, child, grand)} == {"root"}
    assert outermost(plan, other).name == "other"


@settings(max_examples=25, deadline=None)
@given(plan=trees(), steps=st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=40))
def test_claims_across_a_random_nest_never_give_an_address_twice_and_take_the_lowest_free(
    plan: list[Prefix], steps: list[tuple[int, bool]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a = Allocations(open_store(f"sqlite:///{Path(tmp) / 'pantau.db'}"), plan)
        live: dict[str, tuple[Address, int]] = {}  # hostname -> (address, row id)
        for n, (pick, release) in enumerate(steps):
            if release and live:
                host = sorted(live)[pick % len(live)]
                assert a.release(live.pop(host)[1], "test")
                continue
            p = plan[pick % len(plan)]
            taken = {int(addr) for addr, _ in live.values()}
            expected = next(free_addresses(p, taken, bounds(p)[0]), None)
            if expected is None:
                continue  # full: its own test elsewhere
            got = a.allocate(p, f"h{n}", None, None, "test", None)
            assert ip_address(got.address) == expected, (p.name, got.address, expected)
            live[f"h{n}"] = (ip_address(got.address), got.id)
            addresses = [addr for addr, _ in live.values()]
            assert len(addresses) == len(set(addresses))


def _claims(url: str, nest: list[Prefix], which: int, worker: int, count: int) -> list[str]:
    a = Allocations(open_store(url), nest)
    return [a.allocate(nest[which], f"w{worker}-{i}", None, None, "test", None).address for i in range(count)]


def test_twenty_processes_claiming_in_a_parent_and_its_child_never_share_an_address(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    # the child at the parent's start: both claim the same lowest addresses at the same time
    nest = [prefix("parent", IPv4Network("10.50.0.0/24")), prefix("child", IPv4Network("10.50.0.0/25"), "parent")]
    open_store(url).dispose()
    jobs = [(url, nest, worker % 2, worker, 5) for worker in range(20)]  # half in the parent, half in the child
    with multiprocessing.get_context("spawn").Pool(20) as pool:
        given = [address for chunk in pool.starmap(_claims, jobs) for address in chunk]
    assert len(given) == len(set(given)) == 100
    assert sorted(given, key=ip_address) == [f"10.50.0.{i}" for i in range(1, 101)]  # lowest first, no hole
