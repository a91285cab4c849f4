"""Errors of the inventory package.

InventoryError
 ├── InventoryLoadError   one or more problems in the YAML files, each with its place
 ├── UnknownName          a look-up by name found nothing (names the kind, the name and what exists)
 └── SecretError          a secret reference could not be resolved
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from i18n import Msg


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in the inventory, at a file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        """``file:line: message``; a problem of a whole file or folder (line 0) has no line."""
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class InventoryError(Exception):
    """Base of every inventory error."""


class InventoryLoadError(InventoryError):
    """The inventory has problems; all of them are in ``problems``, sorted by place."""

    def __init__(self, directory: Path, problems: list[Problem]) -> None:
        self.directory = directory
        # by place; what concerns the whole folder (a missing section, checks not made) after the files
        self.problems = sorted(set(problems), key=lambda p: (p.file == str(directory), p))
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"inventory {directory} has {len(self.problems)} problem(s):\n{lines}")


class UnknownName(InventoryError):
    """A look-up by name (device, OPD, profile, link) found nothing in the inventory."""

    def __init__(
        self, kind: str, name: str, known: list[str], known_as: str | None = None, message: Msg | None = None
    ) -> None:
        self.kind = kind
        self.name = name
        listed = ", ".join(known) if known else "none"
        super().__init__(
            message
            or Msg(
                "no {kind} '{name}' in the inventory; {known_as}: {known}",
                kind=kind,
                name=name,
                known_as=known_as or kind + "s",
                known=listed,
            )
        )


class SecretError(InventoryError):
    """A secret reference (``env:NAME`` or ``file:PATH``) could not be resolved."""

    def __init__(self, reference: str, reason: Msg) -> None:
        self.reference = reference
        super().__init__(Msg("secret {reference}: {reason}", reference=reference, reason=reason))
