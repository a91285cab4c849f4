"""The pure IPAM chooser: edges of prefixes, reserved ranges, statics, full prefixes, IPv6."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.ipam import (
    IpamError,
    NoFreeAddress,
    blocked_below,
    candidates,
    check_requested,
    choose,
    usage,
    why_unusable,
)
from inventory.models import Prefix


def prefix(net: str, **extra: object) -> Prefix:
    return Prefix.model_validate({"name": "p", "prefix": net, "purpose": "server", **extra})


def a(text: str) -> IPv4Address | IPv6Address:
    return ip_address(text)


def test_slash_24_skips_network_gateway_reserved_and_statics() -> None:
    p = prefix(
        "10.10.20.0/24",
        gateway="10.10.20.1",
        reserved=[{"start": "10.10.20.2", "end": "10.10.20.9", "reason": "net"}],
        static=[{"address": "10.10.20.10", "hostname": "x"}],
    )
    assert choose(p, set(), set()) == a("10.10.20.11")
    assert choose(p, {a("10.10.20.11")}, {a("10.10.20.12")}) == a("10.10.20.13")


def test_broadcast_is_never_chosen() -> None:
    p = prefix("10.0.0.0/29", reserved=[{"start": "10.0.0.1", "end": "10.0.0.5", "reason": "r"}])
    assert list(candidates(p, set(), set())) == [a("10.0.0.6")]


def test_slash_29_with_reserved_range_at_both_edges() -> None:
    p = prefix(
        "192.0.2.8/29",
        reserved=[
            {"start": "192.0.2.9", "end": "192.0.2.10", "reason": "low"},
            {"start": "192.0.2.13", "end": "192.0.2.14", "reason": "high"},
        ],
    )
    assert list(candidates(p, set(), set())) == [a("192.0.2.11"), a("192.0.2.12")]


def test_slash_31_uses_both_addresses() -> None:
    p = prefix("10.0.0.0/31")
    assert list(candidates(p, set(), set())) == [a("10.0.0.0"), a("10.0.0.1")]


def test_slash_32_is_its_one_address() -> None:
    assert choose(prefix("10.0.0.7/32"), set(), set()) == a("10.0.0.7")


def test_full_prefix_says_how_many_are_reserved_and_used() -> None:
    p = prefix("10.0.0.0/30", gateway="10.0.0.1")
    with pytest.raises(NoFreeAddress, match=r"prefix p \(10.0.0.0/30\) has no free address; 1 reserved, 1 used"):
        choose(p, {a("10.0.0.2")}, set())


def test_ipv6_slash_64_first_free_skips_the_anycast_address_and_gateway() -> None:
    p = prefix("2001:db8:20::/64", gateway="2001:db8:20::1")
    assert choose(p, set(), set()) == a("2001:db8:20::2")
    u = usage(p, set(), set())
    assert u.size == 2**64 - 1 and u.reserved == 1 and u.free == 2**64 - 2


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.10.20.0", "network address"),
        ("10.10.20.255", "broadcast address"),
        ("10.10.20.1", "gateway"),
        ("10.10.20.5", "reserved (10.10.20.2-10.10.20.9: net)"),
        ("10.10.20.10", "assigned statically to x"),
        ("10.10.20.20", "allocated to simpeg"),
        ("10.10.20.21", "in use by a host IPAM does not know"),
        ("10.10.21.1", "not inside prefix p"),
    ],
)
def test_requested_address_is_validated_like_a_chosen_one(address: str, reason: str) -> None:
    p = prefix(
        "10.10.20.0/24",
        gateway="10.10.20.1",
        reserved=[{"start": "10.10.20.2", "end": "10.10.20.9", "reason": "net"}],
        static=[{"address": "10.10.20.10", "hostname": "x"}],
    )
    with pytest.raises(IpamError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_requested(p, a(address), {a("10.10.20.20"): "simpeg"}, {a("10.10.20.21"): "icmp"})


def test_usage_counts_add_up_to_the_size() -> None:
    p = prefix(
        "10.10.20.0/24",
        gateway="10.10.20.1",
        reserved=[
            {"start": "10.10.20.2", "end": "10.10.20.9", "reason": "a"},
            {"start": "10.10.20.5", "end": "10.10.20.12", "reason": "overlapping"},
        ],
        static=[{"address": "10.10.20.3", "hostname": "inside-a-range"}, {"address": "10.10.20.50", "hostname": "s"}],
    )
    u = usage(p, {a("10.10.20.13"), a("10.10.20.14")}, {a("10.10.20.15"), a("10.10.20.13")})
    assert (u.size, u.reserved, u.used, u.conflict) == (254, 13, 2, 1)
    assert u.free == 254 - 13 - 2 - 1


@given(
    st.integers(min_value=24, max_value=32),
    st.sets(st.integers(min_value=0, max_value=255), max_size=40),
    st.sets(st.integers(min_value=0, max_value=255), max_size=10),
)
def test_chosen_address_is_never_unusable_and_free_count_matches(
    length: int, used_octets: set[int], conflict_octets: set[int]
) -> None:
    p = prefix(f"10.1.2.0/{length}")
    net = p.prefix
    used = {a(f"10.1.2.{o}") for o in used_octets if a(f"10.1.2.{o}") in net}
    conflicts = {a(f"10.1.2.{o}") for o in conflict_octets if a(f"10.1.2.{o}") in net}
    free = list(candidates(p, used, conflicts))
    assert usage(p, used, conflicts).free == len(free)
    for address in free:
        assert address not in used and address not in conflicts
        if length <= 30:
            assert address not in (net.network_address, net.broadcast_address)


@given(
    st.integers(min_value=26, max_value=32),
    st.lists(st.tuples(st.integers(0, 63), st.integers(0, 20)), max_size=4),
    st.sets(st.integers(min_value=0, max_value=63), max_size=30),
)
def test_free_addresses_are_exactly_those_no_rule_refuses(
    length: int, ranges: list[tuple[int, int]], used_octets: set[int]
) -> None:
    """Overlapping and nested reserved ranges, statics, gateway, used: the walk agrees with why_unusable."""
    p = Prefix.model_validate(
        {
            "name": "p",
            "prefix": f"10.1.2.0/{length}",
            "purpose": "server",
            "reserved": [{"start": f"10.1.2.{s}", "end": f"10.1.2.{min(s + w, 63)}", "reason": "r"} for s, w in ranges],
        }
    )
    net = p.prefix
    used = {a(f"10.1.2.{o}"): "h" for o in used_octets if a(f"10.1.2.{o}") in net}
    expected = [x for x in (a(f"10.1.2.{o}") for o in range(64)) if x in net and why_unusable(p, x, used, {}) is None]
    assert list(candidates(p, set(used), set())) == expected


@given(
    st.integers(min_value=26, max_value=32),
    st.lists(st.tuples(st.integers(0, 63), st.integers(0, 20)), max_size=4),
    st.sets(st.integers(min_value=0, max_value=63), max_size=6),
    st.sets(st.integers(min_value=0, max_value=63), max_size=10),
    st.integers(min_value=0, max_value=70),
)
def test_blocked_below_counts_each_address_no_allocation_may_take_once(
    length: int, ranges: list[tuple[int, int]], static_octets: set[int], conflict_octets: set[int], below: int
) -> None:
    """The count that lets a claim start above its floor: it agrees with why_unusable, overlaps counted once."""
    p = Prefix.model_validate(
        {
            "name": "p",
            "prefix": f"10.1.2.0/{length}",
            "purpose": "server",
            "gateway": "10.1.2.1" if length <= 30 else None,
            "reserved": [{"start": f"10.1.2.{s}", "end": f"10.1.2.{min(s + w, 63)}", "reason": "r"} for s, w in ranges],
            "static": [
                {"address": f"10.1.2.{o}", "hostname": f"s{o}"} for o in static_octets if o < 2 ** (32 - length)
            ],
        }
    )
    conflicts = {a(f"10.1.2.{o}"): "seen" for o in conflict_octets}
    base = int(a("10.1.2.0"))
    size = 2 ** (32 - length)
    first, last = (base, base + size - 1) if length >= 31 else (base + 1, base + size - 2)
    expected = sum(
        1 for v in range(first, min(base + below, last + 1)) if why_unusable(p, IPv4Address(v), {}, conflicts)
    )
    assert blocked_below(p, base + below, {int(x) for x in conflicts}) == expected
