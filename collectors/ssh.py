"""The SSH session layer (netmiko over paramiko), shared by the read collectors and the effectors that
change a device: host keys always checked against a known_hosts file, credentials resolved from the
inventory's references, and every netmiko or paramiko failure translated once, here, into a
:class:`SshError` whose ``reason`` names the cause."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.errors import CollectorError
from i18n import Msg
from inventory.models import Device, SshProfile
from inventory.secrets import resolve_secret

if TYPE_CHECKING:
    from netmiko import BaseConnection


class SshError(CollectorError):
    reason = "ssh"


class SshConnector:
    """Opens sessions to devices; the host key must be in ``known_hosts``."""

    def __init__(self, inventory_dir: Path, known_hosts: Path, timeout: float = 10.0) -> None:
        self.inventory_dir = inventory_dir
        self.known_hosts = known_hosts
        self.timeout = timeout

    def _params(self, device: Device, profile: SshProfile, driver: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "device_type": driver,
            "host": str(device.mgmt_address),
            "port": profile.port,
            "username": profile.username,
            "ssh_strict": True,
            "system_host_keys": False,
            "alt_host_keys": True,
            "alt_key_file": str(self.known_hosts),
            "allow_agent": False,
            "conn_timeout": self.timeout,
            "fast_cli": True,
        }
        if profile.key is not None:
            params |= {"use_keys": True, "key_file": str(_secret_path(profile.key, self.inventory_dir))}
        if profile.password is not None:
            params["password"] = resolve_secret(profile.password, self.inventory_dir)
        return params

    @contextlib.contextmanager
    def session(self, device: Device, profile: SshProfile, driver: str | None) -> Iterator[Session]:
        """An open session to ``device`` with netmiko's ``driver``; closed on leaving.

        Raises:
            SshError: no driver (a platform pantau reads by SNMP only), cannot connect, host key unknown or
                changed, authentication failed, a command's answer incomplete; ``reason`` says which.
        """
        if driver is None:  # the inventory refuses ssh: on such a platform; this is the last line of defence
            raise SshError(
                Msg(
                    "{device}: its platform {platform} is read by SNMP only",
                    device=device.name,
                    platform=device.platform,
                ),
                device.name,
                "ssh-unsupported",
            )
        from netmiko import ConnectHandler  # noqa: PLC0415 (netmiko and paramiko take ~0.5 s to import: only when SSH is used)
        from netmiko.exceptions import (  # noqa: PLC0415 (with netmiko, above)
            NetmikoAuthenticationException,
            NetmikoTimeoutException,
            ReadException,
        )
        from paramiko.ssh_exception import BadHostKeyException, SSHException  # noqa: PLC0415 (with netmiko, above)

        params = self._params(device, profile, driver)
        where = f"{device.name} ({device.mgmt_address}) as {profile.username} (profile '{profile.name}')"
        session = Session(device.name, self.timeout)
        try:
            with ConnectHandler(**params) as conn:
                session.channel = conn
                yield session
        except ReadException:  # netmiko's ReadTimeout: the prompt never came back after the command
            raise SshError(
                Msg(
                    "{where}: '{last}' gave no complete answer within {timeout:g} s; the device is "
                    "slow or its prompt is not the one expected",
                    where=where,
                    last=session.last,
                    timeout=self.timeout,
                ),
                device.name,
                "ssh-slow",
            ) from None
        except BadHostKeyException:
            raise SshError(
                Msg(
                    "{where}: the SSH host key differs from {known_hosts}; verify the device before updating it",
                    where=where,
                    known_hosts=self.known_hosts,
                ),
                device.name,
                "hostkey-changed",
            ) from None
        except NetmikoAuthenticationException:
            raise SshError(
                Msg("{where}: SSH authentication failed; check the profile's key or password", where=where),
                device.name,
                "ssh-auth",
            ) from None
        except NetmikoTimeoutException:
            raise SshError(
                Msg("{where}: no SSH answer within {timeout:g} s", where=where, timeout=self.timeout),
                device.name,
                "ssh-timeout",
            ) from None
        except (SSHException, OSError) as exc:
            text, reason = str(exc), "ssh"
            if "known_hosts" in text:
                text = f"host key not in {self.known_hosts}; add it (ssh-keyscan, then verify) before connecting"
                reason = "hostkey-unknown"
            raise SshError(Msg("{where}: {text}", where=where, text=text), device.name, reason) from None


class Session:
    """One open SSH session; remembers the last command, which an error names."""

    def __init__(self, device: str, timeout: float) -> None:
        self.device = device
        self.timeout = timeout
        self.last = "(connecting)"
        self.channel: BaseConnection | None = None

    def send(self, command: str) -> str:
        """The device's answer to ``command`` (up to its prompt)."""
        if self.channel is None:
            raise SshError(Msg("{device}: the session is not open", device=self.device), self.device)
        self.last = command
        return str(self.channel.send_command(command, read_timeout=self.timeout))


def _secret_path(ref: str, base: Path) -> Path:
    """A key file reference (``file:PATH``) as a path; netmiko reads the file itself."""
    if not ref.startswith("file:"):
        raise SshError(Msg("SSH key reference '{ref}' must be file:PATH (a private key file)", ref=ref))
    path = Path(ref[5:])
    return path if path.is_absolute() else (base / path).resolve()
