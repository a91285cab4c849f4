"""The shapers of the platform registry on transcripts written in each vendor's documented form
(fixtures/SOURCES.md): today's limits read from the device's answer, and the lines that set one OPD's."""

from __future__ import annotations

from pathlib import Path

import pytest

from platforms import Limit, discover
from platforms._rates import parse_rate, rate_text
from platforms.errors import PlatformError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGISTRY = discover()


def test_rates_read_as_cli_write_them_and_are_written_back_exactly() -> None:
    assert [parse_rate(t) for t in ("10M", "512k", "1.5G", "64000", "0", " 2M ")] == [
        10_000_000, 512_000, 1_500_000_000, 64_000, 0, 2_000_000,
    ]  # fmt: skip
    assert [rate_text(b) for b in (10_000_000, 12_500_000, 1_000_000_000, 64_000, 1_234, 0)] == [
        "10M", "12500k", "1G", "64k", "1234", "0",
    ]  # fmt: skip
    for bps in (1, 999, 1_000, 12_345_000, 7_000_000_000):
        assert parse_rate(rate_text(bps)) == bps
    with pytest.raises(PlatformError, match="'10 Mbps' is not a rate"):
        parse_rate("10 Mbps")


def test_routeros_queues_read_towards_the_opd_with_disabled_ones_marked() -> None:
    shaper = REGISTRY.get("mikrotik_routeros").shaper
    assert shaper is not None and shaper.show(["opd-dinkes"]) == "/queue simple print terse without-paging"
    limits = shaper.limits((FIXTURES / "mikrotik_routeros" / "queue_simple_print_terse_without-paging.raw").read_text())
    assert limits["opd-dinkes"] == Limit("opd-dinkes", 10_000_000, 5_000_000)
    assert limits["opd-disdik"] == Limit("opd-disdik", 20_000_000, 8_000_000)  # download: towards the OPD
    assert limits["opd-dishub"] == Limit("opd-dishub", 50_000_000, 0, enabled=False)  # X: shapes nothing
    assert limits["opd-bappeda"] == Limit("opd-bappeda", 25_000_000, 12_500_000)  # quoted name, plain bit/s
    assert limits["<hotspot-tamu>"].ceiling_bps == 2_000_000  # a dynamic queue is read, not an OPD's
    assert shaper.queue_of("dinkes") == "opd-dinkes"


def test_routeros_sets_one_queue_both_ways_and_reads_back_what_it_set() -> None:
    shaper = REGISTRY.get("mikrotik_routeros").shaper
    assert shaper is not None
    wanted = Limit("opd-dinkes", 12_000_000, 6_000_000)
    (line,) = shaper.set_lines(wanted)
    assert line == '/queue simple set [find name="opd-dinkes"] limit-at=6M/6M max-limit=12M/12M'
    # the device prints the queue back with the values set: the same limit is read
    echoed = f" 0    name=opd-dinkes target=10.20.1.0/24 parent=none {line.split('] ')[1]} burst-limit=0/0"
    assert shaper.limits(echoed) == {"opd-dinkes": wanted}
    with pytest.raises(PlatformError, match="queue 'opd-x': 'lots' is not a rate"):
        shaper.limits(" 0    name=opd-x target=10.0.0.0/24 limit-at=0/0 max-limit=lots/lots")


def test_ios_policy_maps_read_the_class_default_shaper_and_set_it() -> None:
    shaper = REGISTRY.get("cisco_ios").shaper
    assert shaper is not None and shaper.show(["opd-dinkes"]) == "show running-config | section policy-map"
    limits = shaper.limits((FIXTURES / "cisco_ios" / "show_running-config_section_policy-map.raw").read_text())
    assert limits == {
        "opd-dinkes": Limit("opd-dinkes", 10_000_000),
        "opd-disdik": Limit("opd-disdik", 20_000_000),
        "opd-dishub": Limit("opd-dishub", 50_000_000),  # class-default's, not the VIDEO class's 5M
    }  # QOS-VOICE shapes nothing: not a limit
    lines = shaper.set_lines(Limit("opd-dinkes", 15_000_000, 5_000_000))
    assert lines == ("policy-map opd-dinkes", " class class-default", "  shape average 15000000")
    assert shaper.limits("\n".join(lines)) == {"opd-dinkes": Limit("opd-dinkes", 15_000_000)}


def test_platforms_without_a_shaper_say_so() -> None:
    assert {p.name for p in REGISTRY if p.shaper is not None} == {"linux", "mikrotik_routeros", "cisco_ios"}
    assert REGISTRY.get("frr").shaper is None and REGISTRY.get("huawei_vrp").shaper is None


def test_linux_htb_classes_read_per_interface_from_a_lab_recording() -> None:
    shaper = REGISTRY.get("linux").shaper
    assert shaper is not None
    assert shaper.show(["eth2/10:1", "eth1/10:1", "eth1/10:2"]) == (
        'for d in eth1 eth2; do echo "== $d"; tc class show dev "$d"; done'
    )
    # recorded from the lab's core (tc of iproute2 6.1): each OPD's class 10:10 under its port's 10:1; the
    # tbf's own class is not HTB's and is skipped
    limits = shaper.limits((FIXTURES / "linux" / "htb_classes.raw").read_text())
    assert limits == {
        "eth1/10:10": Limit("eth1/10:10", 7_344_000, 2_500_000),
        "eth1/10:1": Limit("eth1/10:1", 1_000_000_000, 1_000_000_000),
        "eth2/10:10": Limit("eth2/10:10", 20_000_000, 20_000_000),
        "eth2/10:1": Limit("eth2/10:1", 1_000_000_000, 1_000_000_000),
    }
    (line,) = shaper.set_lines(Limit("eth1/10:1", 7_344_000, 2_500_000))
    assert line == (
        "tc class change dev eth1 classid 10:1 htb rate 2500kbit ceil 7344kbit burst 3125b cburst 9180b quantum 1514"
    )  # bursts of 10 ms of each rate
    assert shaper.set_lines(Limit("eth3/10:1", 6_000_000)) == (
        "tc class change dev eth3 classid 10:1 htb rate 6000kbit ceil 6000kbit burst 7500b cburst 7500b quantum 1514",
    )  # no guarantee asked: the whole ceiling is guaranteed
    with pytest.raises(PlatformError, match="queue 'eth1' is not DEV/CLASSID"):
        shaper.set_lines(Limit("eth1", 6_000_000))
    # tc answers a change it took with nothing; anything else is its error
    assert shaper.failed("") is None
    assert shaper.failed('Cannot find device "eth9"\n') == 'Cannot find device "eth9"'


def test_linux_revert_is_a_detached_job_that_replays_the_saved_classes_unless_its_file_is_removed() -> None:
    shaper = REGISTRY.get("linux").shaper
    assert shaper is not None
    saved = (Limit("eth1/10:1", 10_000_000, 10_000_000), Limit("eth2/10:1", 20_000_000, 5_000_000))
    *write, job = shaper.revert.arm("r1a2b3", 90, saved)
    assert write == [  # one command a class here: each under the line an interactive shell echoes whole
        "printf '%s\\n' 'class change dev eth1 classid 10:1 htb rate 10000kbit ceil 10000kbit burst 12500b "
        'cburst 12500b quantum 1514\' > "$HOME/pantau-revert-r1a2b3.tc"',
        "printf '%s\\n' 'class change dev eth2 classid 10:1 htb rate 5000kbit ceil 20000kbit burst 6250b "
        'cburst 25000b quantum 1514\' >> "$HOME/pantau-revert-r1a2b3.tc"',
    ]
    assert all(len(c) <= 240 for c in write)
    assert job.startswith("setsid -f sh -c 'sleep 90; ") and job.endswith(">/dev/null 2>&1 </dev/null")
    assert 'tc -batch "$f"' in job
    assert shaper.revert.confirm("r1a2b3") == ('rm "$HOME/pantau-revert-r1a2b3.tc"',)
    assert shaper.revert.seconds(7) == 7
    with pytest.raises(PlatformError, match="revert token"):
        shaper.revert.arm("x; reboot", 90, saved)


def test_routeros_revert_is_a_scheduler_entry_that_sets_the_saved_queues_and_removes_itself() -> None:
    shaper = REGISTRY.get("mikrotik_routeros").shaper
    assert shaper is not None
    (line,) = shaper.revert.arm("r9", 120, (Limit("opd-dinkes", 10_000_000, 5_000_000),))
    assert line == (
        '/system scheduler add name=pantau-revert-r9 interval=120s on-event="'
        '/queue simple set [find name=\\"opd-dinkes\\"] limit-at=5M/5M max-limit=10M/10M; '
        '/system scheduler remove [find name=\\"pantau-revert-r9\\"]"'
    )
    assert shaper.revert.confirm("r9") == ('/system scheduler remove [find name="pantau-revert-r9"]',)
    assert shaper.revert.close == ()


def test_ios_revert_is_its_own_revert_timer_in_whole_minutes_confirmed_after_end() -> None:
    shaper = REGISTRY.get("cisco_ios").shaper
    assert shaper is not None
    revert = shaper.revert
    assert revert.seconds(90) == 120 and revert.seconds(10) == 60  # the timer counts minutes
    assert revert.arm("r1", 120, (Limit("opd-dinkes", 10_000_000),)) == ("configure terminal revert timer 2",)
    assert revert.close == ("end",) and revert.confirm("r1") == ("configure confirm",)
    assert shaper.failed("") is None
    assert shaper.failed("                        ^\n% Invalid input detected at '^' marker.") is not None
    assert shaper.failed("Rollback Confirmed Change: Rollback will be aborted") is None
