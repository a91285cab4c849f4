"""What every command group shares: the consoles, the options, the App a command works with (built by
:mod:`agent.wiring`, which opens what is asked for, when it is asked for), and local time for display."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import table as rich_table
from rich.console import Console

from agent import wiring
from agent.wiring import App

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Table(rich_table.Table):
    """A table whose cells wrap rather than cut (rich's default cuts with an ellipsis): at 80 columns, the
    width of a pipe or a phone's terminal, the circuit id a technician reads to the provider was ``TC-202…``.
    Every character is kept, folded onto the cell's next line where the column is narrow; a column given
    ``no_wrap=True`` (an identifier read out whole) keeps its values on one line."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)


ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="pantau.yml (default: ./pantau.yml, else /etc/pantau/pantau.yml)")
]
InventoryOption = Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")]
StateOption = Annotated[Path | None, typer.Option("--state-dir", help="state directory (SQLite store)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def wired(path: Path | None, **overrides: Any) -> App:
    """The App of a command: its ``--config`` file and the options it was given (None: not given)."""
    return wiring.app(path, **overrides)


def local(dt: datetime | None, tz: str) -> str:
    """A stored (UTC) time in the agency's zone, for people."""
    return "—" if dt is None else dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
