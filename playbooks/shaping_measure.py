"""Whether a change of the shapers acts on the OPDs' traffic: through iperf3 towards a server at the OPD
where its link names one, else on the link's SNMP counters over a window, as the agent polls them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from collectors.samples import DeviceSample
from core.rates import Reading, counter_rate, plausible_bps
from i18n import Msg
from inventory.models import Inventory, Link
from playbooks.effectors.shaper import ShaperError

#: how far a measured rate may stray from the new ceiling: above it, iperf3's own timing (a shaper never
#: lets more through: more means the limit does not act); below it, also TCP's ramp and a busy host (seen:
#: 5.6 % short on a loaded CI machine), yet a limit raised on the wrong class stays far below (the old one);
#: SNMP counters, which devices refresh every few seconds (net-snmp: 3 s, so up to 10 % of a 30 s window)
MEASURE_TOLERANCE = 0.05
MEASURE_SHORTFALL = 0.15
SNMP_TOLERANCE = 0.10
MEASURE_SECONDS = 5
MBIT = 1_000_000


class Meter(Protocol):
    """Bit/s on the wire towards an iperf3 server (``collectors.iperf3.wire_rate``)."""

    def __call__(self, address: str, port: int = 5201, seconds: int = 5) -> float: ...


class LinkRates(Protocol):
    """Bit/s each link carries towards its OPD over a window of SNMP polls, by link name
    (``collectors.link_rate.transmit_rates``)."""

    def __call__(self, links: Sequence[Link], window: float) -> dict[str, float | None]: ...


def measure(
    changed: Sequence[tuple[str, int]],
    inv: Inventory,
    meter: Meter | None,
    link_rates: LinkRates | None,
    window: int,
    record: Callable[[str, float], None],
) -> list[str]:
    """Each changed OPD's traffic after the change (``changed``: OPD and its new ceiling): through iperf3
    towards the server its link names, the new ceiling, not above it by 5 % nor under it by 15 %; else the
    link's SNMP counters over the
    window (as the agent polls), never above the ceiling by more than 10 % (what the counters' refresh
    allows). ``record`` keeps each measurement as it comes; a line per OPD.

    Raises:
        ShaperError: the limit does not act on the OPD's traffic.
    """
    notes: list[str] = []
    by_snmp: list[tuple[str, Link, int]] = []
    for opd, ceiling in changed:
        for link in inv.links_of(opd):
            expected = min(ceiling, link.subscribed_bps)
            if link.shaper.iperf3 is None or meter is None:
                by_snmp.append((opd, link, expected))
                continue
            got = meter(str(link.shaper.iperf3), link.shaper.iperf3_port, MEASURE_SECONDS)
            record(opd, got)
            if not (1 - MEASURE_SHORTFALL) * expected <= got <= (1 + MEASURE_TOLERANCE) * expected:
                raise _does_not_act(
                    opd, got, link.name, str(link.shaper.iperf3), expected, MEASURE_TOLERANCE, MEASURE_SHORTFALL
                )
            notes.append(f"{opd} {got / MBIT:.2f} Mbit/s (iperf3)")
    if not by_snmp or link_rates is None:
        return notes
    rates = link_rates([link for _, link, _ in by_snmp], window)
    for opd, link, expected in by_snmp:
        rate = rates.get(link.name)
        if rate is None:
            notes.append(f"{opd}: SNMP tidak memberi laju (no rate)")
            continue
        record(opd, rate)
        if rate > (1 + SNMP_TOLERANCE) * expected:
            raise _does_not_act(opd, rate, link.name, "SNMP", expected, SNMP_TOLERANCE, None)
        untested = "" if rate >= 0.8 * expected else ", di bawah batas: batas belum teruji lalu lintas"
        notes.append(f"{opd} {rate / MBIT:.2f} Mbit/s (SNMP {window} s{untested})")
    return notes


def _does_not_act(
    opd: str, got: float, link: str, how: str, want: float, over: float, under: float | None
) -> ShaperError:
    margin = f"+{over * 100:.0f}" + (f"/-{under * 100:.0f}" if under is not None else "")
    return ShaperError(
        Msg(
            "{opd}: {got:.2f} Mbit/s measured through {link} ({how}), not the {want:.2f} Mbit/s set ({margin} "
            "%): the limit does not act on the OPD's traffic; check the link's shaper.queue",
            opd=opd,
            got=got / MBIT,
            link=link,
            how=how,
            want=want / MBIT,
            margin=margin,
        )
    )


def transmit_rates(
    polls: tuple[Mapping[str, DeviceSample | None], Mapping[str, DeviceSample | None]], links: Sequence[Link]
) -> dict[str, float | None]:
    """Bit/s out of each link's data-center port (towards the OPD) between two polls, by link name; None where
    a device did not answer both or gave no rate (a restart, a reset)."""
    first, second = polls
    rates: dict[str, float | None] = {}
    for link in links:
        a_sample, b_sample = first.get(link.dc.device), second.get(link.dc.device)
        a = a_sample.interfaces.get(link.dc.interface) if a_sample else None
        b = b_sample.interfaces.get(link.dc.interface) if b_sample else None
        if not (a_sample and b_sample and a and b) or a.out_octets is None or b.out_octets is None:
            rates[link.name] = None
            continue
        rates[link.name] = counter_rate(
            Reading(a.out_octets, a_sample.timestamp, a_sample.uptime_ticks, a.counter_bits),
            Reading(b.out_octets, b_sample.timestamp, b_sample.uptime_ticks, b.counter_bits),
            plausible_bps(b.speed_bps, link.subscribed_bps, b.counter_bits),
        ).bps
    return rates
