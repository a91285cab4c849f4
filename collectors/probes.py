"""The probes a process reaches devices with, built once by the composition root and passed down: a
playbook asks this for an ICMP prober, an SNMP collector or an SSH session instead of making its own, so
every probe of one process uses the same inventory secrets, known_hosts file and platform registry, and a
test can hand a playbook a recorded device where that is the point.

pysnmp is imported when an SNMP collector is first asked for, netmiko when a session opens (about half a
second each)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from collectors.cli import CliCollector
from collectors.errors import CollectorError
from collectors.icmp import IcmpProber
from collectors.ssh import SshConnector
from i18n import Msg
from platforms import Registry

if TYPE_CHECKING:
    from collectors.snmp import SnmpCollector


class Probes:
    """Factories of the collectors, for one inventory and one platform registry."""

    def __init__(self, inventory_dir: Path, known_hosts: Path | None, platforms: Registry) -> None:
        self.inventory_dir = inventory_dir
        self.known_hosts = known_hosts
        self.platforms = platforms

    def icmp(self, count: int = 5, interval: float = 0.05, timeout: float = 1.0) -> IcmpProber:
        """An ICMP prober (one socket: close it).

        Raises:
            ProbeError: no permission to open an ICMP socket.
        """
        return IcmpProber(count=count, interval=interval, timeout=timeout)

    def snmp(
        self, timeout: float = 2.0, retries: int = 1, max_in_flight: int = 64, bulk: bool | None = None
    ) -> SnmpCollector:
        """An SNMP collector that follows each device's platform quirks (close it)."""
        from collectors.snmp import SnmpCollector  # noqa: PLC0415 (pysnmp takes ~0.4 s: only when polled)

        registry = self.platforms
        return SnmpCollector(
            self.inventory_dir,
            timeout=timeout,
            retries=retries,
            max_in_flight=max_in_flight,
            bulk=bulk,
            quirks=lambda device: registry.get(device.platform).snmp,
        )

    def ssh(self, timeout: float = 10.0) -> SshConnector:
        """Sessions to devices, their host keys checked against ``known_hosts``.

        Raises:
            CollectorError: no known_hosts file configured (host keys are always checked).
        """
        if self.known_hosts is None:
            raise CollectorError(
                Msg("SSH needs known_hosts: set known_hosts in pantau.yml (host keys are always checked)"), reason="ssh"
            )
        return SshConnector(self.inventory_dir, self.known_hosts, timeout)

    def cli(self, timeout: float = 10.0) -> CliCollector:
        """The read commands of each device's platform, over :meth:`ssh`."""
        return CliCollector(self.ssh(timeout))
