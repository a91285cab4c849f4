"""What pantau does with each device of the zoo: real recordings (Windows, Linux) and one device per
hostile behaviour, polled together with the lab's real core router in the same rounds.

For every device a test states the outcome; across all of them: every other device's rates arrive in
the same round, a failing device is down with a named reason and its series are absent, memory stays
bounded, and each round ends within its deadline."""

from __future__ import annotations

import asyncio
import itertools
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from agent.poller import Agent
from agent.wiring import build, configuration
from core.snapshot import LinkView, Snapshot
from tests.zoo.conftest import TIMEOUT, Zoo
from tests.zoo.recordings import MIKROTIK_BPS, WRAP_IN_BPS, WRAP_OUT_BPS

ROUNDS = 4
# seconds between rounds: with rounds of 10-14 s (the endless device takes its deadline), reads of wrap32
# come 16-20 s apart, under its 30.7 s wrap period (at most one wrap between two), and the three
# intervals span at least 48 s (at least one wrap, and one restart of the device that restarts every 30 s)
SPACING = 6.0
DEVICE_DEADLINE = 10.0  # every-other needs a retry for most requests: about 4 x the 2 s timeout
ROUND_DEADLINE = 14.0
MEMORY_PEAK = 64 * 2**20  # bytes Python may allocate during a round (the 1 MB ifAlias, endless walks)


@dataclass
class Observed:
    snapshots: list[Snapshot] = field(default_factory=list)
    wrap_reads: list[int] = field(default_factory=list)  # wrap32's ifInOctets at each round
    durations: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    agent: Agent | None = None


@pytest.fixture(scope="module")
def observed(zoo: Zoo) -> Iterator[Observed]:
    config = configuration(
        None,
        environ={},
        inventory=zoo.inventory,
        poll={
            "snmp_timeout": TIMEOUT,
            "snmp_retries": 1,
            "device_deadline": DEVICE_DEADLINE,
            "round_deadline": ROUND_DEADLINE,
        },
    )
    agent = Agent(build(config))
    seen = Observed(agent=agent)

    async def rounds() -> None:
        agent.start()
        try:
            for n in range(ROUNDS):
                if n:
                    await asyncio.sleep(SPACING)
                tracemalloc.start()
                await agent.poll_snmp()
                seen.peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
                seen.snapshots.append(agent.snapshot)
                seen.durations.append(agent.durations["snmp"])
                sample = agent.samples.get("zoo-wrap32")
                if sample is not None and sample.interfaces["wan0"].in_octets is not None:
                    seen.wrap_reads.append(sample.interfaces["wan0"].in_octets)
        finally:
            agent.close()

    asyncio.run(rounds())
    yield seen


def device(snap: Snapshot, name: str) -> tuple[bool, str | None]:
    view = next(d for d in snap.devices if d.name == name)
    return view.up, view.error


def reason_of(snap: Snapshot, name: str) -> str | None:
    return next(d.reason for d in snap.devices if d.name == name)


def link_on(snap: Snapshot, name: str) -> LinkView:
    return next(v for v in snap.links if v.device == name)


DOWN = {
    "zoo-nosecret": "secret",
    "zoo-truncate": "timeout",
    "zoo-wrong-id": "timeout",
    "zoo-other-port": "timeout",
    "zoo-slow-over": "timeout",
    "zoo-loop": "non-increasing",
}
UP = (
    "zoo-linux",
    "zoo-winxp",
    "zoo-wrap32",
    "zoo-reset",
    "zoo-frozen",
    "zoo-badtypes",
    "zoo-nosuch",
    "zoo-hexname",
    "zoo-bigalias",
    "zoo-missing",
    "zoo-slow-under",
    "zoo-every-other",
    "zoo-cisco-long",
    "zoo-cisco-short",
    "zoo-cisco-alias",
    "zoo-nodata",
    "zoo-nouptime",
    "zoo-fortigate",
    "zoo-junos",
    "zoo-mikrotik-pppoe",
    "zoo-mikrotik-wlan",
    "zoo-ruijie",
    "zoo-edgerouter",
    "core",
)


@pytest.mark.parametrize("name", UP)
def test_devices_that_answer_within_the_rules_are_up_every_round(observed: Observed, name: str) -> None:
    for snap in observed.snapshots:
        assert device(snap, name) == (True, None), name


@pytest.mark.parametrize(("name", "reason"), sorted(DOWN.items()))
def test_each_misbehaving_device_is_down_with_its_reason_every_round(
    observed: Observed, name: str, reason: str
) -> None:
    for snap in observed.snapshots:
        up, error = device(snap, name)
        assert not up and error, name
        assert reason_of(snap, name) == reason, (name, error)  # its own reason, not one another device counted
        assert snap.collector_errors[("snmp", reason)] >= 1, (name, snap.collector_errors)
    assert observed.agent is not None and observed.agent.errors[("snmp", reason)] >= ROUNDS


def test_an_endless_table_is_stopped_by_the_row_limit_or_the_device_deadline(observed: Observed) -> None:
    for snap in observed.snapshots:
        up, error = device(snap, "zoo-endless")
        assert not up and error is not None
        assert "does not end" in error or "did not finish within" in error, error


def test_a_missing_secret_names_the_profile_and_the_reference(observed: Observed) -> None:
    _, error = device(observed.snapshots[-1], "zoo-nosecret")
    assert error is not None and "zoo-unset" in error and "env:PANTAU_ZOO_UNSET_COMMUNITY" in error


def test_every_real_opd_link_has_its_rates_each_round_beside_the_hostile_devices(observed: Observed) -> None:
    for snap in observed.snapshots[1:]:  # a rate needs two rounds
        core = [v for v in snap.links if v.device == "core"]
        assert len(core) == 4
        for view in core:
            assert view.receive_bps is not None and view.transmit_bps is not None, view.name
            assert view.state.value in ("up", "degraded", "unknown"), view


def test_a_failed_devices_series_are_absent_not_stale(observed: Observed) -> None:
    snap = observed.snapshots[-1]
    for name in DOWN:
        assert all(d.uptime_seconds is None for d in snap.devices if d.name == name)
    assert all(v.receive_bytes is None for v in snap.links if v.device in DOWN)


def test_windows_names_ending_in_nul_and_sparse_indexes_are_found(observed: Observed) -> None:
    view = link_on(observed.snapshots[-1], "zoo-winxp")
    assert not view.interface_missing and view.receive_bytes is not None
    assert view.receive_bps == 0.0  # the recording's counters do not move


def test_a_latin_1_name_with_padding_is_found(observed: Observed) -> None:
    view = link_on(observed.snapshots[-1], "zoo-hexname")
    assert not view.interface_missing and view.receive_bps == pytest.approx(1_000_000, rel=0.05)


@pytest.mark.parametrize("name", ["zoo-cisco-long", "zoo-cisco-short", "zoo-cisco-alias"])
def test_a_port_is_found_by_its_long_short_or_described_name_and_the_short_name_wins_a_clash(
    observed: Observed, name: str
) -> None:
    view = link_on(observed.snapshots[-1], name)
    assert not view.interface_missing, view.reasons
    assert view.receive_bps == pytest.approx(1_000_000, rel=0.05)  # port 1's rate, never port 2's (2 Mbit/s)


def test_the_sample_says_which_column_named_the_port(observed: Observed) -> None:
    """What ``pantau poll`` prints per interface: where the inventory's name was found."""
    assert observed.agent is not None
    expected = {"zoo-cisco-long": ("GigabitEthernet1/0/1", "ifDescr"), "zoo-cisco-short": ("Gi1/0/1", "ifName"),
                "zoo-cisco-alias": ("ke-dinkes", "ifAlias")}  # fmt: skip
    for device, (port, column) in expected.items():
        assert observed.agent.samples[device].interfaces[port].name_column == column, device


def test_a_port_with_no_readable_status_or_counters_is_unknown_for_no_data_never_up(observed: Observed) -> None:
    for snap in observed.snapshots:
        view = link_on(snap, "zoo-nodata")
        assert not view.interface_missing and "no-data" in view.reasons and view.state.value != "up", view


def test_without_sysuptime_the_port_status_counts_and_the_rates_do_not(observed: Observed) -> None:
    for snap in observed.snapshots:
        view = link_on(snap, "zoo-nouptime")
        assert view.oper_up is True and "no-sysuptime" in view.reasons, view
        assert view.receive_bytes is None and view.receive_bps is None  # untimed counters are left out
    assert observed.agent is not None and observed.agent.errors[("snmp", "no-sysuptime")] >= ROUNDS


def test_32_bit_wraps_give_the_exact_rate_across_them(observed: Observed) -> None:
    reads = observed.wrap_reads
    assert len(reads) == ROUNDS
    assert any(b < a for a, b in itertools.pairwise(reads)), "no wrap seen in the rounds"
    for snap in observed.snapshots[1:]:
        view = link_on(snap, "zoo-wrap32")
        assert view.receive_bps == pytest.approx(WRAP_IN_BPS, rel=0.01)
        assert view.transmit_bps == pytest.approx(WRAP_OUT_BPS, rel=0.01)


def test_a_restart_gives_no_rate_and_no_spike(observed: Observed) -> None:
    assert observed.agent is not None and observed.agent.meter.discarded["device-restart"] >= 1
    for snap in observed.snapshots[1:]:
        rate = link_on(snap, "zoo-reset").receive_bps
        assert rate is None or rate == pytest.approx(8_000_000, rel=0.05)


def test_frozen_counters_give_a_rate_of_zero(observed: Observed) -> None:
    assert [link_on(s, "zoo-frozen").receive_bps for s in observed.snapshots[1:]] == [0.0] * (ROUNDS - 1)


def test_values_of_the_wrong_type_are_left_out_and_counted(observed: Observed) -> None:
    assert observed.agent is not None
    assert observed.agent.errors[("snmp", "wrong-type")] >= ROUNDS
    sample = observed.agent.samples["zoo-badtypes"]
    # the text ifHighSpeed is left out; the speed comes from ifSpeed, read once the 64-bit counter (text too)
    # made pantau fall back to the 32-bit ifTable
    assert sample.interfaces["eth0"].speed_bps == 100_000_000 and sample.interfaces["eth0"].in_octets is None
    assert "wrong-type:high_speed" in sample.problems


def test_missing_objects_leave_their_values_absent(observed: Observed) -> None:
    view = link_on(observed.snapshots[-1], "zoo-nosuch")
    assert view.oper_up is None and view.transmit_bytes is None and view.receive_bps is None
    assert view.receive_bytes is not None


def test_an_interface_the_device_does_not_have_is_exported_never_a_silent_up(observed: Observed) -> None:
    view = link_on(observed.snapshots[-1], "zoo-missing")
    assert view.interface_missing and "interface-missing" in view.reasons and view.state.value != "up"


def test_memory_stays_bounded_and_each_round_ends_within_its_deadline(observed: Observed) -> None:
    assert max(observed.peaks) < MEMORY_PEAK
    assert max(observed.durations) < ROUND_DEADLINE + 2.0  # the deadline, plus cancelling what was left


def test_a_fortigate_port_is_found_by_its_name_though_its_description_is_empty(observed: Observed) -> None:
    view = link_on(observed.snapshots[-1], "zoo-fortigate")
    assert not view.interface_missing and view.receive_bps == pytest.approx(1_000_000, rel=0.05), view
    assert (
        observed.agent is not None
        and observed.agent.samples["zoo-fortigate"].interfaces["port1"].name_column == "ifName"
    )


def test_a_junos_logical_unit_is_found_by_its_description_without_an_ifname_column(observed: Observed) -> None:
    view = link_on(observed.snapshots[-1], "zoo-junos")
    assert not view.interface_missing and view.receive_bps == pytest.approx(1_000_000, rel=0.05), (
        view
    )  # not ge-0/0/1's 3
    assert (
        observed.agent is not None
        and observed.agent.samples["zoo-junos"].interfaces["ge-0/0/1.0"].name_column == "ifDescr"
    )


@pytest.mark.parametrize("name", ["zoo-mikrotik-pppoe", "zoo-mikrotik-wlan"])
def test_a_virtual_interface_faster_than_the_nominal_speed_it_reports_keeps_its_rate(
    observed: Observed, name: str
) -> None:
    """RouterOS gives PPPoE and wireless interfaces a nominal ifHighSpeed (10 Mbit/s here, with 20 Mbit/s
    through them): the rate stands, since the link's subscription allows it."""
    for snap in observed.snapshots[1:]:
        view = link_on(snap, name)
        assert view.receive_bps == pytest.approx(MIKROTIK_BPS, rel=0.05), view


@pytest.mark.parametrize(
    ("name", "port", "column"),
    [("zoo-ruijie", "TenGigabitEthernet 0/30", "ifDescr"), ("zoo-edgerouter", "eth1.20", "ifName")],
)
def test_a_ruijie_port_written_with_a_space_and_an_edgerouter_vlan_are_found_with_their_own_rates(
    observed: Observed, name: str, port: str, column: str
) -> None:
    view = link_on(observed.snapshots[-1], name)
    assert not view.interface_missing and view.receive_bps == pytest.approx(1_000_000, rel=0.05), view  # not 3
    assert observed.agent is not None and observed.agent.samples[name].interfaces[port].name_column == column
