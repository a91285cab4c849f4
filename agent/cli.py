"""The ``pantau`` command line (Typer + Rich)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agent import __version__
from agent.config import Config, load_config
from agent.errors import AgentError
from inventory.errors import InventoryError, InventoryLoadError
from inventory.loader import load_inventory
from inventory.models import Inventory, InventoryFile
from lab.errors import LabError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="pantau: the data center's operations agent.")
inventory_app = typer.Typer(no_args_is_help=True, help="Validate and show the inventory.")
app.add_typer(inventory_app, name="inventory")


def _add_lab_commands() -> None:
    # The lab is a development tool, not product code: only its CLI is attached here.
    from lab.cli import app as lab_app  # noqa: PLC0415

    app.add_typer(lab_app, name="lab")


_add_lab_commands()

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="pantau.yml (default: ./pantau.yml)")]
DirArgument = Annotated[Path | None, typer.Argument(help="inventory folder (default: from the configuration)")]


def _config(path: Path | None, **overrides: Any) -> Config:
    return load_config(path, overrides=overrides)


def _inventory(directory: Path | None, config: Path | None) -> Inventory:
    cfg = _config(config, inventory=directory)
    return load_inventory(cfg.inventory)


@app.command()
def version() -> None:
    """Print pantau's version."""
    out.print(f"pantau {__version__}")


@inventory_app.command("validate")
def inventory_validate(directory: DirArgument = None, config: ConfigOption = None) -> None:
    """Check the inventory; list every problem with file:line (exit 2) or print a summary (exit 0)."""
    inv = _inventory(directory, config)
    table = Table(title=f"{inv.agency.name} — zone {inv.agency.zone}", show_header=True)
    table.add_column("section")
    table.add_column("count", justify="right")
    for name in ("sites", "opds", "devices", "links", "prefixes", "zones"):
        table.add_row(name, str(len(getattr(inv, name))))
    creds = inv.credentials
    table.add_row("credential profiles", str(len(creds.snmp) + len(creds.ssh) + len(creds.tsig)))
    out.print(table)
    out.print("[green]inventory OK[/green]")


@inventory_app.command("show")
def inventory_show(
    directory: DirArgument = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show OPDs and their links."""
    inv = _inventory(directory, config)
    if as_json:
        payload = inv.model_dump(mode="json", include={"agency", "opds", "devices", "links", "prefixes", "zones"})
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"OPD — {inv.agency.name}")
    for col in ("OPD", "name", "link", "data center", "CPE", "provider", "circuit", "Mbit/s"):
        table.add_column(col, justify="right" if col == "Mbit/s" else "left")
    for opd in inv.opds:
        links = inv.links_of(opd.slug) or (None,)
        for link in links:
            if link is None:
                table.add_row(opd.slug, opd.name, "—", "", "", "", "", "")
                continue
            table.add_row(
                opd.slug,
                opd.name,
                link.name,
                f"{link.dc.device}:{link.dc.interface}",
                f"{link.cpe.device}:{link.cpe.interface}",
                link.provider,
                link.circuit_id,
                str(link.subscribed_mbps),
            )
    out.print(table)


@inventory_app.command("schema")
def inventory_schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")] = None,
) -> None:
    """Write the JSON Schema of an inventory file, for editors (yaml-language-server)."""
    schema = InventoryFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "pantau inventory file"
    text = json.dumps(schema, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"schema written to {output}")


def main() -> None:
    """Entry point: user errors print a clear message and exit 2, never a traceback."""
    try:
        app()
    except InventoryLoadError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        err.print(f"{len(exc.problems)} problem(s) in {exc.directory}", markup=False)
        sys.exit(2)
    except (InventoryError, AgentError, LabError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
