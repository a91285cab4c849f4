"""Device CLI over SSH (netmiko, host keys checked) and parsing of its output with TextFSM.

What to type on each platform and how to read the answer is data, in :data:`PLATFORMS`: a command per
fact, and a template per command, either ntc-templates' (``ntc:``) or ours in ``collectors/templates``
(FRR has no ntc-templates: its output silently parses to nothing with the Cisco ones). Parsed rows
are dicts with lowercase keys.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import textfsm

from collectors.errors import CollectorError
from inventory.models import Device, SshProfile
from inventory.secrets import resolve_secret

TEMPLATES = Path(__file__).resolve().parent / "templates"


class CliError(CollectorError):
    reason = "ssh"


class ParseError(CollectorError):
    reason = "parse"


@dataclass(frozen=True)
class PlatformCli:
    """How to ask one platform for each fact, and how to parse the answer."""

    device_type: str  # netmiko's
    commands: dict[str, str]
    templates: dict[str, str] = field(default_factory=dict)  # fact -> own file, or "ntc:<command>"
    volatile: tuple[str, ...] = ()  # config lines that change without anyone changing the config


PLATFORMS: dict[str, PlatformCli] = {
    # FRR with vtysh as the login shell: netmiko's cisco_ios driver fits its prompt and modes
    "frr": PlatformCli(
        "cisco_ios",
        {"running_config": "show running-config", "routes": "show ip route", "ospf_neighbors": "show ip ospf neighbor"},
        {"routes": "frr_show_ip_route.textfsm", "ospf_neighbors": "frr_show_ip_ospf_neighbor.textfsm"},
        (r"^Building configuration", r"^Current configuration"),
    ),
    "linux": PlatformCli("linux", {"disk": "df -P /"}, {"disk": "linux_df_p.textfsm"}),
    "cisco_ios": PlatformCli(
        "cisco_ios",
        {"running_config": "show running-config", "routes": "show ip route", "ospf_neighbors": "show ip ospf neighbor"},
        {"routes": "ntc:show ip route", "ospf_neighbors": "ntc:show ip ospf neighbor"},
        (r"^Building configuration", r"^Current configuration :", r"^! Last configuration change", r"^! NVRAM config"),
    ),
    "mikrotik_routeros": PlatformCli(
        "mikrotik_routeros",
        {
            "running_config": "/export terse",
            "routes": "/ip route print terse without-paging",
            "ospf_neighbors": "/routing ospf neighbor print",
        },
        {"routes": "ntc:ip route print terse without-paging", "ospf_neighbors": "ntc:routing ospf neighbor print"},
        (r"^# \w{3}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} by RouterOS", r"^# [a-z]{3}/\d{2}/\d{4}", r"^# software id"),
    ),
    "huawei_vrp": PlatformCli(
        "huawei_vrp",
        {"running_config": "display current-configuration", "routes": "display ip routing-table verbose"},
        {"routes": "ntc:display ip routing-table verbose"},
        (r"^!Software Version", r"^!Last configuration was", r"^!Time:"),
    ),
}


def parse(platform: str, fact: str, output: str) -> list[dict[str, Any]]:
    """Parse ``output`` of the command for ``fact`` on ``platform`` into rows (lowercase keys).

    Raises:
        ParseError: no template for it, or the output does not fit the template.
    """
    spec = PLATFORMS.get(platform)
    template = spec.templates.get(fact) if spec else None
    if template is None:
        raise ParseError(f"no template for {fact} on platform {platform}")
    try:
        if template.startswith("ntc:"):
            from ntc_templates.parse import parse_output  # noqa: PLC0415 (ntc_templates loads TextFSM indexes: only when output is parsed)

            rows: list[dict[str, Any]] = parse_output(platform=platform, command=template[4:], data=output)
            return [{k.lower(): v for k, v in row.items()} for row in rows]
        with (TEMPLATES / template).open() as handle:
            fsm = textfsm.TextFSM(handle)
        table = fsm.ParseText(output)
    except (textfsm.TextFSMError, textfsm.parser.TextFSMTemplateError) as exc:
        raise ParseError(f"{platform} {fact}: output does not fit template {template}: {exc}") from None
    except Exception as exc:  # ntc-templates raises its own errors for unknown commands
        raise ParseError(f"{platform} {fact}: cannot parse with {template}: {exc}") from None
    keys = [h.lower() for h in fsm.header]
    return [dict(zip(keys, row, strict=True)) for row in table]


def installed_routes(platform: str, rows: list[dict[str, Any]]) -> list[str]:
    """The prefixes in the forwarding table, from parsed route rows (each platform names them its way)."""
    out: set[str] = set()
    for r in rows:
        if platform == "frr" and r.get("selected") == ">":
            out.add(r["network"])
        elif platform == "cisco_ios" and r.get("network"):
            out.add(f"{r['network']}/{r['prefix_length']}")
        elif platform == "mikrotik_routeros" and "A" in r.get("flags", ""):
            out.add(f"{r['destination_address']}/{r['destination_address_subnet']}")
        elif platform == "huawei_vrp" and str(r.get("state", "")).startswith("Active"):
            out.add(r["destination"])
    return sorted(out)


def normalize_config(platform: str, text: str) -> str:
    """The configuration without lines that change by themselves (banners, timestamps), for diffing."""
    spec = PLATFORMS.get(platform)
    patterns = [re.compile(p) for p in (spec.volatile if spec else ())]
    lines = [line.rstrip() for line in io.StringIO(text) if not any(p.search(line) for p in patterns)]
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"


class CliCollector:
    """Runs read-only commands on a device over SSH; the host key must be in ``known_hosts``."""

    def __init__(self, inventory_dir: Path, known_hosts: Path, timeout: float = 10.0) -> None:
        self.inventory_dir = inventory_dir
        self.known_hosts = known_hosts
        self.timeout = timeout

    def run(self, device: Device, profile: SshProfile, facts: list[str]) -> dict[str, str]:
        """Output of the command for each of ``facts`` the device's platform knows.

        Raises:
            CliError: cannot connect, host key unknown or changed, authentication failed, command failed.
        """
        from netmiko import ConnectHandler  # noqa: PLC0415 (netmiko and paramiko take ~0.5 s to import: only when SSH is used)
        from netmiko.exceptions import (  # noqa: PLC0415 (with netmiko, above)
            NetmikoAuthenticationException,
            NetmikoTimeoutException,
            ReadException,
        )
        from paramiko.ssh_exception import BadHostKeyException, SSHException  # noqa: PLC0415 (with netmiko, above)

        spec = PLATFORMS.get(str(device.platform))
        if spec is None:
            raise CliError(f"{device.name}: no CLI knowledge for platform {device.platform}", device.name)
        wanted = {f: spec.commands[f] for f in facts if f in spec.commands}
        params: dict[str, Any] = {
            "device_type": spec.device_type,
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
        where = f"{device.name} ({device.mgmt_address}) as {profile.username} (profile '{profile.name}')"
        command = "(connecting)"
        try:
            with ConnectHandler(**params) as conn:
                out = {}
                for fact, command in wanted.items():
                    out[fact] = str(conn.send_command(command, read_timeout=self.timeout))
                return out
        except ReadException:  # netmiko's ReadTimeout: the prompt never came back after the command
            raise CliError(
                f"{where}: '{command}' gave no complete answer within {self.timeout:g} s; the device is slow or "
                "its prompt is not the one expected",
                device.name,
                "ssh-slow",
            ) from None
        except BadHostKeyException:
            raise CliError(
                f"{where}: the SSH host key differs from {self.known_hosts}; verify the device before updating it",
                device.name,
                "hostkey-changed",
            ) from None
        except NetmikoAuthenticationException:
            raise CliError(
                f"{where}: SSH authentication failed; check the profile's key or password", device.name, "ssh-auth"
            ) from None
        except NetmikoTimeoutException:
            raise CliError(f"{where}: no SSH answer within {self.timeout:g} s", device.name, "ssh-timeout") from None
        except (SSHException, OSError) as exc:
            text, reason = str(exc), "ssh"
            if "not found in known_hosts" in text or "known_hosts" in text:
                text = f"host key not in {self.known_hosts}; add it (ssh-keyscan, then verify) before connecting"
                reason = "hostkey-unknown"
            raise CliError(f"{where}: {text}", device.name, reason) from None


def _secret_path(ref: str, base: Path) -> Path:
    """A key file reference (``file:PATH``) as a path; netmiko reads the file itself."""
    if not ref.startswith("file:"):
        raise CliError(f"SSH key reference '{ref}' must be file:PATH (a private key file)")
    path = Path(ref[5:])
    return path if path.is_absolute() else (base / path).resolve()


async def ssh_banner(address: str, port: int = 22, timeout: float = 2.0) -> str | None:
    """The SSH server's identification line (RFC 4253 §4.2, e.g. ``SSH-2.0-OpenSSH_9.2p1``), or None when
    nothing answers with one in ``timeout``: reachability of the SSH service, without logging in."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except (OSError, TimeoutError):
        return None
    try:
        async with asyncio.timeout(timeout):
            while line := await reader.readline():  # servers may send other lines before it
                if line.startswith(b"SSH-"):
                    return line.decode("ascii", "replace").strip()
        return None
    except (OSError, TimeoutError, ValueError):
        return None
    finally:
        writer.close()
