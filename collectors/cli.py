"""Device CLI over SSH: the read commands of a device's platform (:mod:`platforms`), their answers parsed
with TextFSM, and how those rows are read (installed routes, OSPF neighbours, disk use). Sessions come from
:mod:`collectors.ssh`, which the effectors that change a device share.

Parsed rows are dicts with lowercase keys.
"""

from __future__ import annotations

import asyncio
import io
import re

import textfsm

from collectors.errors import CollectorError
from collectors.ssh import SshConnector
from i18n import Msg
from inventory.models import Device, SshProfile
from platforms import Platform, Row


class ParseError(CollectorError):
    reason = "parse"


def parse(platform: Platform, fact: str, output: str) -> list[Row]:
    """Parse ``output`` of the command for ``fact`` on ``platform`` into rows (lowercase keys).

    Raises:
        ParseError: no template for it, or the output does not fit the template.
    """
    command = platform.command(fact)
    template = command.template if command else None
    if template is None:
        raise ParseError(Msg("no template for {fact} on platform {name}", fact=fact, name=platform.name))
    name = platform.name
    try:
        if template.startswith("ntc:"):
            # ntc-templates name platforms as netmiko does
            from ntc_templates.parse import parse_output  # noqa: PLC0415 (ntc_templates loads TextFSM indexes: only when output is parsed)

            rows: list[Row] = parse_output(platform=platform.driver, command=template[4:], data=output)
            return [{k.lower(): v for k, v in row.items()} for row in rows]
        with (platform.templates / template).open() as handle:
            fsm = textfsm.TextFSM(handle)
        table = fsm.ParseText(output)
    except (textfsm.TextFSMError, textfsm.parser.TextFSMTemplateError) as exc:
        raise ParseError(
            Msg(
                "{name} {fact}: output does not fit template {template}: {exc}",
                name=name,
                fact=fact,
                template=template,
                exc=exc,
            )
        ) from None
    except Exception as exc:  # ntc-templates raises its own errors for unknown commands
        raise ParseError(
            Msg("{name} {fact}: cannot parse with {template}: {exc}", name=name, fact=fact, template=template, exc=exc)
        ) from None
    keys = [h.lower() for h in fsm.header]
    return [dict(zip(keys, row, strict=True)) for row in table]


def installed_routes(platform: Platform, rows: list[Row]) -> list[str]:
    """The prefixes in the forwarding table, from parsed route rows (each platform names them its way)."""
    return platform.installed_routes(rows)


def ospf_full(rows: list[Row]) -> list[str]:
    """The interfaces with a Full OSPF adjacency, from parsed neighbour rows."""
    return sorted({r["interface"] for r in rows if r.get("state") == "Full"})


def disk_used_pct(rows: list[Row]) -> float | None:
    """Use of the first file system listed, in percent, from parsed ``df -P`` rows."""
    return float(rows[0]["capacity_pct"]) if rows else None


def normalize_config(platform: Platform, text: str) -> str:
    """The configuration without lines that change by themselves (banners, timestamps), for diffing."""
    patterns = [re.compile(p) for p in platform.volatile]
    lines = [line.rstrip() for line in io.StringIO(text) if not any(p.search(line) for p in patterns)]
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"


class CliCollector:
    """Runs a platform's read commands on a device over SSH (:class:`collectors.ssh.SshConnector`)."""

    def __init__(self, ssh: SshConnector) -> None:
        self.ssh = ssh

    def run(self, device: Device, platform: Platform, profile: SshProfile, facts: list[str]) -> dict[str, str]:
        """Output of the command for each of ``facts`` the device's platform knows.

        Raises:
            SshError: cannot connect, host key unknown or changed, authentication failed, command failed.
        """
        wanted = {f: c.text for f in facts if (c := platform.command(f)) is not None}
        with self.ssh.session(device, profile, platform.driver) as session:
            return {fact: session.send(command) for fact, command in wanted.items()}


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
