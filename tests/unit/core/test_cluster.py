"""Rendezvous hashing: every device has one owner, shares are even, and a member lost or joining moves
only the devices that must move."""

from __future__ import annotations

from core.cluster import owner, shard

DEVICES = [f"opd-{i}" for i in range(3000)]


def owners(members: list[str]) -> dict[str, str | None]:
    return {d: owner(d, members) for d in DEVICES}


def test_each_of_three_members_owns_about_a_third_and_every_device_one_owner() -> None:
    members = ["nms-a", "nms-b", "nms-c"]
    shards = [shard(DEVICES, members, m) for m in members]
    assert set().union(*shards) == set(DEVICES) and sum(len(s) for s in shards) == len(DEVICES)
    assert all(900 <= len(s) <= 1100 for s in shards), [len(s) for s in shards]


def test_a_member_lost_gives_up_exactly_its_own_devices() -> None:
    before, after = owners(["nms-a", "nms-b", "nms-c"]), owners(["nms-a", "nms-b"])
    moved = {d for d in DEVICES if before[d] != after[d]}
    assert moved == {d for d in DEVICES if before[d] == "nms-c"}


def test_a_member_joining_takes_about_a_third_and_nothing_else_moves() -> None:
    before, after = owners(["nms-a", "nms-b"]), owners(["nms-a", "nms-b", "nms-c"])
    moved = {d for d in DEVICES if before[d] != after[d]}
    assert all(after[d] == "nms-c" for d in moved)
    assert 900 <= len(moved) <= 1100


def test_the_order_members_are_listed_in_changes_nothing_and_none_own_nothing() -> None:
    assert owners(["nms-c", "nms-a", "nms-b"]) == owners(["nms-a", "nms-b", "nms-c"])
    assert owner("opd-1", []) is None and shard(DEVICES, ["nms-a"], "nms-b") == set()
