"""Errors of the lab package.

LabError
 ├── TopologyError   the .clab.yml file is wrong (names the node or link and what to fix)
 ├── LabConflict     another lab, or an overlapping subnet, is in the way
 └── LabCommandError a command the runner ran inside a node failed
"""

from __future__ import annotations


class LabError(Exception):
    """Base of every lab error."""


class TopologyError(LabError):
    """The topology file is wrong."""


class LabConflict(LabError):
    """Something on the host is in the lab's way; nothing was changed."""


class LabCommandError(LabError):
    """A command run by the lab failed."""

    def __init__(self, command: list[str], returncode: int, stderr: str, node: str | None = None) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        self.node = node
        where = f" in node {node}" if node else ""
        super().__init__(f"command failed{where} (exit {returncode}): {' '.join(command)}\n{stderr.strip()}")
