"""The prefix overlap sweep finds exactly the pairs a comparison of every pair finds, in the same order."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.crosscheck import _overlapping
from inventory.located import Located

v4 = st.builds(lambda a, n: IPv4Network((f"10.0.0.{a}", n), strict=False), st.integers(0, 255), st.integers(24, 32))
v6 = st.integers(120, 128).map(lambda length: IPv6Network(f"2001:db8::/{length}", strict=False))


def located(nets: list[IPv4Network | IPv6Network]) -> list[Located]:
    return [Located(SimpleNamespace(prefix=n), "prefixes.yml", ("prefixes", i), {}) for i, n in enumerate(nets)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(v4, v6), max_size=40))
def test_the_sweep_finds_the_pairs_every_pair_comparison_finds(nets: list[IPv4Network | IPv6Network]) -> None:
    every_pair = [
        (i, k)
        for k in range(len(nets))
        for i in range(k)
        if nets[i].version == nets[k].version and nets[i].overlaps(nets[k])  # type: ignore[arg-type]
    ]
    assert _overlapping(located(nets)) == every_pair
