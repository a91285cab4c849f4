"""The rate each OPD link carries towards its OPD over a window: two SNMP polls of the link's data-center
port, ``window`` seconds apart, every device at once. A change of the shaper is checked with it where no
iperf3 server stands at the OPD: the traffic must not exceed the new ceiling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from collectors.errors import CollectorError
from collectors.samples import DeviceSample
from core.rates import Reading, counter_rate
from inventory.models import Inventory, Link

if TYPE_CHECKING:
    from collectors.snmp import SnmpCollector  # pysnmp: imported when the collector is made


def transmit_rates(
    collector: Callable[[], SnmpCollector], inventory: Inventory, links: Sequence[Link], window: float
) -> dict[str, float | None]:
    """Bit/s out of each link's data-center port (towards the OPD) between two polls ``window`` s apart, by
    link name; None where the device did not answer both polls or gave no rate (a restart, a reset)."""

    async def measure() -> tuple[dict[str, DeviceSample | None], dict[str, DeviceSample | None]]:
        snmp = collector()
        try:
            devices = sorted({link.dc.device for link in links})

            async def poll(name: str) -> DeviceSample | None:
                device = inventory.device(name)
                if device.snmp is None:
                    return None
                ports = [link.dc.interface for link in links if link.dc.device == name]
                try:
                    return await snmp.poll(device, inventory.snmp_profile(device.snmp), ports)
                except CollectorError:
                    return None

            async def all_devices() -> dict[str, DeviceSample | None]:
                return dict(zip(devices, await asyncio.gather(*(poll(d) for d in devices)), strict=True))

            first = await all_devices()
            await asyncio.sleep(window)
            return first, await all_devices()
        finally:
            snmp.close()

    first, second = asyncio.run(measure())
    rates: dict[str, float | None] = {}
    for link in links:
        a_sample, b_sample = first.get(link.dc.device), second.get(link.dc.device)
        a = a_sample.interfaces.get(link.dc.interface) if a_sample else None
        b = b_sample.interfaces.get(link.dc.interface) if b_sample else None
        if (
            a_sample is None
            or b_sample is None
            or a is None
            or b is None
            or a.out_octets is None
            or b.out_octets is None
        ):
            rates[link.name] = None
            continue
        rates[link.name] = counter_rate(
            Reading(a.out_octets, a_sample.timestamp, a_sample.uptime_ticks, a.counter_bits),
            Reading(b.out_octets, b_sample.timestamp, b_sample.uptime_ticks, b.counter_bits),
            b.speed_bps,
        ).bps
    return rates
