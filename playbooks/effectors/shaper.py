"""The shapers: where each OPD's traffic is shaped (device and queue, from the inventory), and the limits
there read and changed over SSH, line by line, each answer checked by the device's platform. One session
per operation: a session that drops takes nothing else with it, and the revert armed on the device does
not depend on any session staying open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collectors.ssh import SshConnector
from i18n import Msg
from inventory.models import Inventory
from platforms import Limit, Registry, Shaper
from platforms.errors import PlatformError
from playbooks.errors import PlaybookError


class ShaperError(PlaybookError):
    """A shaping device refused a line, or its limits could not be read."""


@dataclass(frozen=True)
class Place:
    """Where one OPD's traffic is shaped: a device and the queue there."""

    opd: str
    device: str
    queue: str


class Shapers:
    """The inventory's shaping devices, each driven through its platform's :class:`Shaper`."""

    def __init__(self, inventory: Inventory, platforms: Registry, ssh: SshConnector | None) -> None:
        self.inventory = inventory
        self.platforms = platforms
        self._ssh = ssh

    def places(self, opd: str) -> list[Place]:
        """Where ``opd``'s traffic is shaped: one place per WAN link of it.

        Raises:
            PlaybookError: no such OPD, no WAN link, or a device whose platform pantau does not shape.
        """
        self.inventory.opd(opd)  # an unknown slug is named, with the known ones
        links = self.inventory.links_of(opd)
        if not links:
            raise PlaybookError(Msg("OPD {opd} has no WAN link in the inventory: nothing shapes it", opd=opd))
        out = []
        for link in links:
            device = link.shaper_device
            shaper = self.shaper(device)
            out.append(Place(opd, device, link.shaper.queue or shaper.queue_of(opd)))
        return out

    def shaper(self, device: str) -> Shaper:
        """The shaping operations of ``device``'s platform (its ``shaping`` platform, if set).

        Raises:
            PlaybookError: the platform has none.
        """
        dev = self.inventory.device(device)
        platform = self.platforms.get(dev.shaping_platform)
        if platform.shaper is None:
            raise PlaybookError(
                Msg(
                    "device {device}: pantau does not change the shaping of platform {platform}; shaped platforms: "
                    "{known}",
                    device=device,
                    platform=platform.name,
                    known=", ".join(sorted(p.name for p in self.platforms if p.shaper is not None)),
                )
            )
        return platform.shaper

    def _connector(self) -> SshConnector:
        if self._ssh is None:
            raise PlaybookError(
                Msg("SSH needs known_hosts: set known_hosts in pantau.yml (host keys are always checked)")
            )
        return self._ssh

    def read(self, device: str, queues: Sequence[str]) -> dict[str, Limit]:
        """The limits of ``queues`` on ``device`` as it holds them now.

        Raises:
            ShaperError: the answer cannot be read, or a queue is not on the device.
            SshError: the device cannot be reached.
        """
        shaper = self.shaper(device)
        dev = self.inventory.device(device)
        platform = self.platforms.get(dev.shaping_platform)
        profile = self.inventory.ssh_profile(_profile(dev.shaping_ssh, device))
        try:
            command = shaper.show(queues)
        except PlatformError as exc:  # a queue the platform cannot name: the inventory's to fix
            raise ShaperError(
                Msg("{device}: {error}; fix the link's shaper.queue in the inventory", device=device, error=str(exc))
            ) from None
        with self._connector().session(dev, profile, platform.driver) as session:
            answer = session.send(command)
        try:
            limits = shaper.limits(answer)
        except PlatformError as exc:
            raise ShaperError(
                Msg("{device}: '{command}': {error}", device=device, command=command, error=str(exc))
            ) from None
        missing = [q for q in queues if q not in limits]
        if missing:
            raise ShaperError(
                Msg(
                    "{device} has no queue {queues} (it has: {known}); fix the link's shaper.queue in the inventory",
                    device=device,
                    queues=", ".join(missing),
                    known=", ".join(sorted(limits)) or "none",
                )
            )
        return {q: limits[q] for q in queues}

    def send(self, device: str, lines: Sequence[str]) -> None:
        """Send ``lines`` to ``device`` in one session, each answer checked; stops at the first refused.

        Raises:
            ShaperError: a line was refused; names it and the device's answer.
            SshError: the device cannot be reached, or the session dropped.
        """
        if not lines:
            return
        shaper = self.shaper(device)
        dev = self.inventory.device(device)
        platform = self.platforms.get(dev.shaping_platform)
        profile = self.inventory.ssh_profile(_profile(dev.shaping_ssh, device))
        with self._connector().session(dev, profile, platform.driver) as session:
            for line in lines:
                error = shaper.failed(session.send(line))
                if error is not None:
                    raise ShaperError(
                        Msg("{device} refused '{line}': {answer}", device=device, line=line, answer=error)
                    )


def _profile(name: str | None, device: str) -> str:
    if name is None:
        raise PlaybookError(
            Msg("device {device} has no SSH profile: set ssh (or shaping.ssh) in the inventory", device=device)
        )
    return name
