"""The hosting SOP's capacity arithmetic: headroom with a reserve, the growth of use and the days left, and
where a new application fits (the server with most room after it first; an unknown figure never fits)."""

from __future__ import annotations

import pytest

from core.capacity import GIB, Headroom, Need, Reading, headroom, place, trend

DAY = 86_400.0


def server(
    vcpus: int = 8, load: float = 0.5, ram: int = 32, ram_used: int = 8, disk: int = 500, used: int = 100
) -> Reading:
    return Reading(0.0, vcpus, vcpus * load, ram * GIB, ram_used * GIB, disk * GIB, used * GIB)


def test_headroom_keeps_the_reserve_of_each_resource_free() -> None:
    room = headroom(server(), reserve=0.2)
    assert room == Headroom(pytest.approx(8 * 0.8 - 4), int(32 * 0.8 * GIB - 8 * GIB), int(500 * 0.8 * GIB - 100 * GIB))
    assert headroom(server(load=0.95), reserve=0.2).vcpus == 0.0  # over the line: nothing, never negative
    unknown = Reading(0.0, 4, None, None, None, None, None)
    assert headroom(unknown) == Headroom(None, None, None)


def test_growth_is_the_least_squares_slope_and_the_days_left_until_the_reserve() -> None:
    points = [(i * DAY, (100 + 2 * i) * GIB) for i in range(10)]  # 2 GiB a day, at 118 GiB now
    grown = trend(points, 500 * GIB, reserve=0.2)
    assert grown is not None and grown.per_day == pytest.approx(2 * GIB)
    assert grown.days_left == pytest.approx((400 - 118) / 2)
    assert trend(points[:1], 500 * GIB) is None  # one reading says nothing
    assert trend([(0.0, 1.0), (3600.0, 2.0)], 10.0) is None  # nor an hour of them
    shrinking = trend([(0.0, 5.0), (2 * DAY, 4.0)], 10.0)
    assert shrinking is not None and shrinking.days_left is None


def test_an_application_goes_where_it_leaves_most_room_and_a_server_short_of_one_resource_does_not_fit() -> None:
    servers = {
        "srv-big": server(vcpus=16, load=0.25, ram=64, ram_used=16),
        "srv-small": server(vcpus=4, load=0.25),
        "srv-full-disk": server(vcpus=32, load=0.1, disk=100, used=79),
        "srv-silent-ram": Reading(0.0, 8, 1.0, None, None, 100 * GIB, 0),
    }
    fits = place(servers, Need(vcpus=2, ram_gib=8, disk_gib=20))
    assert [(f.server, f.fits, f.short) for f in fits] == [
        ("srv-big", True, ()),
        ("srv-small", True, ()),
        ("srv-full-disk", False, ("disk",)),
        ("srv-silent-ram", False, ("unknown:ram",)),  # not known is not room
    ]
    assert fits[0].left_after.vcpus == pytest.approx(16 * 0.8 - 4 - 2)
    assert not any(f.fits for f in place(servers, Need(vcpus=64, ram_gib=1, disk_gib=1)))
