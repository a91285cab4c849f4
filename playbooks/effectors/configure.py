"""Configuration changes of a data-center device (a new OPD's link): its running configuration read, and
lines sent over SSH through the device's change login (``changes.ssh``, else its own), each answer checked
by its platform. One session per operation, as the shapers'."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.ssh import SshConnector
from i18n import Msg
from inventory.models import Device, Inventory, SshProfile
from platforms import Platform, Provisioning, Registry
from playbooks.errors import PlaybookError


class ConfigureError(PlaybookError):
    """A device refused a configuration line, or did not hold what was sent."""


class Configurators:
    """The inventory's devices, configured through their platform's :class:`Provisioning`."""

    def __init__(self, inventory: Inventory, platforms: Registry, ssh: SshConnector | None) -> None:
        self.inventory = inventory
        self.platforms = platforms
        self._ssh = ssh

    def platform(self, device: str) -> Platform:
        return self.platforms.get(self.inventory.device(device).platform)

    def provisioning(self, device: str, push: bool = True) -> Provisioning:
        """The platform's provisioning; with ``push``, one that can apply a change with a revert.

        Raises:
            PlaybookError: the platform has none, or only renders.
        """
        platform = self.platform(device)
        prov = platform.provisioning
        if prov is None or (push and (prov.apply is None or prov.revert is None)):
            pushable = sorted(
                p.name for p in self.platforms if p.provisioning and p.provisioning.apply and p.provisioning.revert
            )
            raise PlaybookError(
                Msg(
                    "device {device}: pantau cannot change platform {platform} with a revert yet (it can: {known}); "
                    "apply the rendered data-center file by hand",
                    device=device,
                    platform=platform.name,
                    known=", ".join(pushable) or "none",
                )
            )
        return prov

    def _session_args(self, device: str) -> tuple[SshConnector, Device, SshProfile, str | None]:
        if self._ssh is None:
            raise PlaybookError(
                Msg("SSH needs known_hosts: set known_hosts in pantau.yml (host keys are always checked)")
            )
        dev = self.inventory.device(device)
        if dev.changes_ssh is None:
            raise PlaybookError(
                Msg("device {device} has no SSH profile: set ssh (or changes.ssh) in the inventory", device=device)
            )
        platform = self.platform(device)
        prov = self.provisioning(device, push=False)
        return self._ssh, dev, self.inventory.ssh_profile(dev.changes_ssh), prov.driver or platform.driver

    def show(self, device: str) -> str:
        """The device's running configuration, as its provisioning's read command shows it.

        Raises:
            SshError: the device cannot be reached.
        """
        ssh, dev, profile, driver = self._session_args(device)
        with ssh.session(dev, profile, driver) as session:
            return session.send(self.provisioning(device, push=False).show)

    def send(self, device: str, lines: Sequence[str]) -> None:
        """Send ``lines`` in one session, each answer checked; stops at the first refused.

        Raises:
            ConfigureError: a line was refused; names it and the device's answer.
            SshError: the device cannot be reached, or the session dropped.
        """
        if not lines:
            return
        prov = self.provisioning(device, push=False)
        ssh, dev, profile, driver = self._session_args(device)
        with ssh.session(dev, profile, driver) as session:
            for line in lines:
                error = prov.failed(session.send(line))
                if error is not None:
                    shown = line if len(line) <= 120 else f"{line[:117]}..."
                    raise ConfigureError(
                        Msg("{device} refused '{line}': {answer}", device=device, line=shown, answer=error)
                    )
