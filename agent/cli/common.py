"""What every command group shares: the consoles, the options, loading the configuration and inventory,
opening the store, and local time for display."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from agent.config import Config, load_config
from inventory.loader import load_inventory
from inventory.models import Inventory
from store.engine import Store, open_store

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="pantau.yml (default: ./pantau.yml)")]
InventoryOption = Annotated[Path | None, typer.Option("--inventory", "-i", help="inventory folder")]
StateOption = Annotated[Path | None, typer.Option("--state-dir", help="state directory (SQLite store)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def config(path: Path | None, **overrides: Any) -> Config:
    return load_config(path, overrides=overrides)


def setup(path: Path | None, inventory: Path | None, state_dir: Path | None) -> tuple[Config, Inventory, Store]:
    """The configuration, the inventory and the store a playbook command works with."""
    cfg = config(path, inventory=inventory, state_dir=state_dir)
    inv = load_inventory(cfg.inventory)
    return cfg, inv, open_store(cfg.database_url)


def local(dt: datetime | None, tz: str) -> str:
    """A stored (UTC) time in the agency's zone, for people."""
    return "—" if dt is None else dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
