"""What every command group shares: the consoles, the options, loading the configuration, and local time
for display. (Nothing here opens the store: ``pantau inventory`` starts without a database driver.)"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from agent.config import Config, load_config

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="pantau.yml (default: ./pantau.yml, else /etc/pantau/pantau.yml)")
]
InventoryOption = Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")]
StateOption = Annotated[Path | None, typer.Option("--state-dir", help="state directory (SQLite store)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def config(path: Path | None, **overrides: Any) -> Config:
    return load_config(path, overrides=overrides)


def local(dt: datetime | None, tz: str) -> str:
    """A stored (UTC) time in the agency's zone, for people."""
    return "—" if dt is None else dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
