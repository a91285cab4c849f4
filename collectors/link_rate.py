"""What each OPD link carries towards its OPD over a window: two SNMP polls of the links' data-center ports,
``window`` seconds apart, every device at once (the rates are ``core.rates``'s to compute). A change of the
shaper is checked with it where no iperf3 server stands at the OPD: the traffic must not exceed the new
ceiling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from collectors.errors import CollectorError
from collectors.samples import DeviceSample
from inventory.models import Inventory, Link

if TYPE_CHECKING:
    from collectors.snmp import SnmpCollector  # pysnmp: imported when the collector is made


def two_polls(
    collector: Callable[[], SnmpCollector], inventory: Inventory, links: Sequence[Link], window: float
) -> tuple[dict[str, DeviceSample | None], dict[str, DeviceSample | None]]:
    """Two polls of the data-center devices of ``links`` (their link ports), ``window`` s apart, each time
    every device at once; by device name, None where a device did not answer."""

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

    return asyncio.run(measure())
