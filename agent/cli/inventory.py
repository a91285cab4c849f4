"""``pantau inventory``: validate and show the inventory, write its editor schema."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import ConfigOption, JsonOption, Table, err, out, wired
from agent.errors import AgentError
from agent.lang import current, error_text, label, tr
from agent.topology import write_topology
from core.topology import uplinks
from i18n import Msg, in_language
from inventory.crosscheck import interface_warnings
from inventory.models import Inventory, InventoryFile
from inventory.secrets import unresolved_secrets

app = typer.Typer(no_args_is_help=True, help="Validate and show the inventory.")
inventory_app = app
DirArgument = Annotated[Path | None, typer.Argument(help="inventory folder (default: from the configuration)")]


def _inventory(directory: Path | None, path: Path | None) -> Inventory:
    return wired(path, inventory=directory).inventory


@inventory_app.command("validate")
def inventory_validate(
    directory: DirArgument = None,
    config_path: ConfigOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="a secret that cannot be read is an error")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the inventory; list every problem with file:line (exit 2) or print a summary (exit 0).

    Every secret reference is resolved once (and dropped): one that cannot be is a warning naming the
    profile, or with --strict an error."""
    deps = wired(config_path, inventory=directory)
    cfg = deps.config
    if cfg.inventory is None:  # validate takes the folder itself, not --inventory
        raise AgentError(
            Msg(
                "no inventory to check: give its folder (pantau inventory validate FOLDER) or set 'inventory:' in "
                "{config}",
                config=config_path or "pantau.yml",
            )
        )
    inv = deps.inventory
    secrets = unresolved_secrets(inv.credentials, cfg.inventory_dir)
    notes = [] if uplinks(inv) else [no_uplink_warning()]
    notes += [in_language(m, current()) for m in interface_warnings(inv.devices, deps.platforms.traits())]
    counts = {name: len(getattr(inv, name)) for name in ("sites", "opds", "devices", "links", "prefixes", "zones")}
    if as_json:
        payload = {
            "ok": not (strict and secrets),
            "directory": str(cfg.inventory_dir),
            "counts": counts,
            "secret_problems": [{"where": where, "error": str(exc)} for where, exc in secrets],
            "warnings": notes,
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        if strict and secrets:
            raise typer.Exit(2)
        return
    for where, exc in secrets:
        err.print(
            f"{label('error' if strict else 'warning')}: {where}: {error_text(exc)}", markup=False, highlight=False
        )
    for note in notes:
        err.print(f"{label('warning')}: {cfg.inventory_dir}: {note}", markup=False, highlight=False)
    if strict and secrets:
        err.print(
            tr("{n_secrets} secret(s) cannot be read (--strict)", n_secrets=len(secrets)),
            markup=False,
        )
        raise typer.Exit(2)
    table = Table(title=f"{inv.agency.name} — zone {inv.agency.zone}", show_header=True)
    table.add_column(tr("section"))
    table.add_column(tr("count"), justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    kinds = Counter(str(d.kind) for d in inv.devices)
    table.add_row(tr("devices by kind"), ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
    creds = inv.credentials
    table.add_row("credential profiles", str(len(creds.snmp) + len(creds.ssh) + len(creds.tsig)))
    out.print(table)
    warned = tr(" ({n_secrets} secret warning(s) above)", n_secrets=len(secrets))
    out.print(tr("[green]inventory OK[/green]") + (warned if secrets else ""))


def no_uplink_warning() -> str:
    return tr(
        "no uplink: no point-to-point prefix outside the OPDs' links holds an address of a data-center "
        "interface, so the data center's link to its internet provider is not watched and PantauUpstreamDown "
        "can never fire; declare the uplink's prefix (purpose: p2p) in prefixes.yml and its address on the "
        "device's interface"
    )


@inventory_app.command("show")
def inventory_show(
    directory: DirArgument = None,
    config_path: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show OPDs and their links."""
    inv = _inventory(directory, config_path)
    if as_json:
        payload = inv.model_dump(mode="json", include={"agency", "opds", "devices", "links", "prefixes", "zones"})
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"OPD — {inv.agency.name}")
    for col in ("OPD", "name", "link", "data center", "CPE", "provider", "circuit", "Mbit/s"):
        # the circuit id is read out to the provider: whole, on one line
        table.add_column(col, justify="right" if col == "Mbit/s" else "left", no_wrap=col == "circuit")
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
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise AgentError(
                Msg("cannot write {file}: {why}; choose a folder that exists", file=output, why=exc.strerror)
            ) from exc
        err.print(tr("schema written to {output}", output=output))


@inventory_app.command("topology")
def inventory_topology(
    directory: DirArgument = None,
    output: Annotated[
        Path | None, typer.Option(help="where topology.dot and topology.svg go (default: the state dir's topology)")
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Draw the network from the inventory: the data center, its uplink, each OPD at the end of its link
    with its port, circuit, provider and subscription (topology.dot, and topology.svg drawn by graphviz)."""
    deps = wired(config_path, inventory=directory)
    for path in write_topology(deps.inventory, output or deps.config.state_dir / "topology", current()):
        out.print(tr("written: {path}", path=path), markup=False)
