"""The pure parts of a bandwidth change: each device's part of a request from today's limits (rounded to
what the device keeps, a guarantee never above its ceiling), the lines a dry run prints, when a boost
ends, and when a dead run's change counts as complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inventory.loader import load_inventory
from platforms import Limit, discover
from playbooks.boosts import boost_end
from playbooks.effectors.shaper import Shapers
from playbooks.errors import PlaybookError
from playbooks.shaping import DeviceChange, QueueChange, Rate, ShapingFacts, ShapingRequest, dry_run_lines, plan_devices

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
SHAPERS = Shapers(load_inventory(EXAMPLE), discover(), None)
TODAY = {  # what the lab's core holds at first: each OPD's class at its subscription
    "eth1/10:10": Limit("eth1/10:10", 10_000_000, 10_000_000),
    "eth2/10:10": Limit("eth2/10:10", 20_000_000, 20_000_000),
    "eth3/10:10": Limit("eth3/10:10", 50_000_000, 50_000_000),
    "eth4/10:10": Limit("eth4/10:10", 100_000_000, 100_000_000),
}


def read(device: str, queues: list[str]) -> dict[str, Limit]:
    assert device == "core"
    return {q: TODAY[q] for q in queues}


def test_a_request_becomes_one_change_per_device_rounded_with_its_guarantee_under_its_ceiling() -> None:
    request = ShapingRequest(
        [
            {"opd": "dinkes", "ceiling_bps": 6_123_456, "guaranteed_bps": 2_000_000},
            {"opd": "disdik", "ceiling_bps": 12_000_000, "guaranteed_bps": None},  # today's guarantee, 20: held to 12
            {"opd": "bappeda", "ceiling_bps": 150_000_000, "guaranteed_bps": None},  # a raise keeps today's 100
        ],
        revert_seconds=45,
    )
    (core,) = plan_devices(SHAPERS, request, read)
    assert core.device == "core" and core.revert_seconds == 45 and core.token.startswith("r")
    assert [(q.opd, q.queue, q.before, q.after) for q in core.queues] == [
        ("bappeda", "eth4/10:10", Rate(ceiling_bps=100_000_000, guaranteed_bps=100_000_000),
         Rate(ceiling_bps=150_000_000, guaranteed_bps=100_000_000)),
        ("dinkes", "eth1/10:10", Rate(ceiling_bps=10_000_000, guaranteed_bps=10_000_000),
         Rate(ceiling_bps=6_120_000, guaranteed_bps=2_000_000)),  # to 8 kbit/s: what tc keeps exactly
        ("disdik", "eth2/10:10", Rate(ceiling_bps=20_000_000, guaranteed_bps=20_000_000),
         Rate(ceiling_bps=12_000_000, guaranteed_bps=12_000_000)),
    ]  # fmt: skip
    assert [limit.queue for limit in core.restore()] == ["eth4/10:10", "eth1/10:10", "eth2/10:10"]


def test_an_opd_the_inventory_does_not_know_is_named() -> None:
    with pytest.raises(Exception, match="dinkess"):
        plan_devices(SHAPERS, ShapingRequest([{"opd": "dinkess", "ceiling_bps": 1_000_000}]), read)


def test_a_dry_run_prints_the_revert_then_the_change_then_the_confirmation() -> None:
    request = ShapingRequest([{"opd": "dishub", "ceiling_bps": 30_000_000}], 60)
    (core,) = dry_run_lines(SHAPERS, request, read)  # today's limits without a device: the lines are pure
    assert core["queues"] == [{"opd": "dishub", "queue": "eth3/10:10", "before": "50 Mbit/s", "after": "30 Mbit/s"}]
    write, job, change, confirm = core["commands"]
    assert write.startswith("printf '%s\\n' 'class change dev eth3 classid 10:10 htb rate 50000kbit ceil 50000kbit")
    assert job.startswith("setsid -f sh -c 'sleep 60; ")
    assert change == (
        "tc class change dev eth3 classid 10:10 htb rate 30000kbit ceil 30000kbit burst 37500b cburst 37500b "
        "quantum 1514"
    )
    assert confirm.startswith('rm "$HOME/pantau-revert-r')


def test_a_boost_ends_at_a_local_time_in_the_future() -> None:
    now = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 08:00 WIB, 09:00 WITA
    assert boost_end("2026-12-07 17:00", "Asia/Jakarta", now) == "2026-12-07T10:00:00+00:00"
    assert boost_end("2026-12-07 17:00:30", "Asia/Makassar", now) == "2026-12-07T09:00:30+00:00"
    with pytest.raises(PlaybookError, match="not in the future"):
        boost_end("2026-12-07 07:59", "Asia/Jakarta", now)
    with pytest.raises(PlaybookError, match="is not 'YYYY-MM-DD HH:MM'"):
        boost_end("besok 17:00", "Asia/Jakarta", now)


def test_a_dead_run_counts_as_complete_only_when_every_device_confirmed_and_nothing_was_undone() -> None:
    rate = Rate(ceiling_bps=1_000_000)
    queue = QueueChange(opd="dinkes", queue="q", before=rate, after=rate)
    until = datetime.now(UTC) + timedelta(seconds=60)

    def device(confirmed: bool | None) -> DeviceChange:
        return DeviceChange(
            device="core", token="r1", queues=[queue], revert_seconds=60, armed_until=until, confirmed=confirmed
        )

    assert not ShapingFacts().finished()  # nothing read yet
    assert not ShapingFacts(devices=[device(True), device(None)]).finished()
    assert ShapingFacts(devices=[device(True), device(True)]).finished()
    assert not ShapingFacts(devices=[device(True)], undoing=True).finished()
    # kept as JSON and read back, as recovery does
    kept = ShapingFacts(devices=[device(True)]).to_json()
    assert ShapingFacts.model_validate(kept).finished()


def test_a_queue_the_platform_cannot_name_is_the_inventorys_to_fix_before_any_session() -> None:
    from playbooks.effectors.shaper import ShaperError

    with pytest.raises(ShaperError, match=r"core: queue 'eth1' is not DEV/CLASSID .*fix the link's shaper.queue"):
        SHAPERS.read("core", ["eth1"])  # no SSH connector here: the error comes before any session


def test_a_links_rate_towards_its_opd_comes_from_its_ports_two_reads_or_none() -> None:
    from collectors.samples import DeviceSample, InterfaceSample
    from playbooks.shaping_measure import transmit_rates

    inv = load_inventory(EXAMPLE)
    dinkes, disdik = inv.link_of("dinkes"), inv.link_of("disdik")

    def sample(at: float, ticks: int, octets: int) -> DeviceSample:
        port = InterfaceSample("eth1", 2, 0, octets, 64, speed_bps=10_000_000_000)
        return DeviceSample("core", at, ticks, {"eth1": port})

    # 20 s apart by the device's clock, 10,000,000 octets more out of eth1: 4 Mbit/s towards dinkes
    first, second = {"core": sample(100.0, 5000, 1_000_000)}, {"core": sample(120.0, 7000, 11_000_000)}
    assert transmit_rates((first, second), [dinkes, disdik]) == {"dinkes-wan": 4_000_000.0, "disdik-wan": None}
    restarted = {"core": sample(120.0, 100, 11_000_000)}  # sysUpTime went back: no rate, not a spike
    assert transmit_rates((first, restarted), [dinkes]) == {"dinkes-wan": None}
    assert transmit_rates(({"core": None}, second), [dinkes]) == {"dinkes-wan": None}  # no answer the first time
