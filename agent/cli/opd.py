"""``pantau opd``: a new OPD connected (subnets, both ends' configuration, the data center's side pushed
with a revert, the inventory, the watch) and removed again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.bandwidth import RevertOption, StopOption
from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, err, out, wired
from agent.cli.playbooks import playbook_runner, run_and_report
from agent.lang import current, tr
from agent.topology import write_topology
from agent.wiring import App
from core.connection import cpe_name
from i18n import Msg
from playbooks.engine import operator
from playbooks.errors import PlaybookError
from playbooks.opd_connect import OPD_ADD, OpdRequest
from playbooks.opd_documents import write_installation_report
from playbooks.opd_remove import OPD_REMOVE, removal_request
from store.prefix_pools import Pools
from store.status import live_addresses_of

opd_app = typer.Typer(help="Connect a new OPD to the network, or remove one.", no_args_is_help=True)

OutputOption = Annotated[
    Path | None,
    typer.Option(help="where both ends' configuration files are written (default: the state dir's opd/SLUG)"),
]


ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report-dir", help="where the Berita Acara Pemasangan is written (default: the state dir's reports/opd)"
    ),
]


def _report(deps: App, run_id: int, directory: Path | None) -> list[Path]:
    """The Berita Acara Pemasangan of run ``run_id``, from the inventory as the run left it."""
    fresh = deps.reload_inventory()
    where = directory or deps.config.state_dir / "reports" / "opd"
    return write_installation_report(deps.store, fresh, run_id, where, [current()], datetime.now(UTC))


def _redraw(deps: App) -> list[Path]:
    """The topology drawn again from the inventory the run left (the state dir's topology)."""
    return write_topology(deps.reload_inventory(), deps.config.state_dir / "topology", current())


def _output(deps: App, slug: str, output: Path | None) -> str:
    return str((output or deps.config.state_dir / "opd" / slug).resolve())


def _dc_device(deps: App, given: str | None) -> str:
    if given:
        return given
    wan = deps.inventory.agency.wan
    if wan.dc_device:
        return wan.dc_device
    cores = [d.name for d in deps.inventory.devices if d.role.value == "core"]
    if len(cores) != 1:
        raise PlaybookError(
            Msg(
                "name the device the circuit lands on with --dc-device (cores: {cores}), or set agency.wan.dc_device",
                cores=", ".join(cores) or "none",
            )
        )
    return cores[0]


# size: one option per field of the request (typer declares them in the signature), then the run
@opd_app.command("add")
def opd_add(
    slug: Annotated[str, typer.Option("--slug", help="the OPD's short name (DNS label): labels, names, files")],
    name: Annotated[str, typer.Option("--name", help="the OPD's full name, as in official letters")],
    site: Annotated[str, typer.Option("--site", help="its office (a site of the inventory, or a new one)")],
    provider: Annotated[str, typer.Option("--provider", help="the circuit's provider")],
    circuit: Annotated[str, typer.Option("--circuit", help="the provider's circuit id")],
    mbit: Annotated[int, typer.Option("--mbit", min=1, help="the subscribed bandwidth, Mbit/s")],
    dc_interface: Annotated[str, typer.Option("--dc-interface", help="the data-center port the circuit lands on")],
    address: Annotated[str | None, typer.Option("--address", help="the office's street address (a new site)")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="the OPD router's platform (default: agency.wan.cpe_platform)")
    ] = None,
    dc_device: Annotated[str | None, typer.Option("--dc-device", help="default: agency.wan.dc_device")] = None,
    cpe_wan: Annotated[
        str | None, typer.Option("--cpe-wan", help="the router's WAN port (default: its platform's)")
    ] = None,
    cpe_lan: Annotated[
        str | None, typer.Option("--cpe-lan", help="the router's LAN port (default: its platform's)")
    ] = None,
    contact_name: Annotated[str | None, typer.Option("--contact-name")] = None,
    contact_phone: Annotated[str | None, typer.Option("--contact-phone")] = None,
    revert_after: RevertOption = 120,
    output: OutputOption = None,
    report_dir: ReportOption = None,
    stop_after: StopOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Connect a new OPD: its link's and LAN's subnets from the IP plan's pools, both ends' configuration
    rendered, the data center's side applied with a revert the device performs by itself, the inventory
    files updated (comments kept), and the link watched as pending until the OPD's router answers."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    inv = deps.inventory
    cpe_platform = platform or inv.agency.wan.cpe_platform
    prov = deps.platforms.get(cpe_platform).provisioning
    if prov is None:
        known = sorted(p.name for p in deps.platforms if p.provisioning is not None)
        raise PlaybookError(
            Msg(
                "--platform {platform}: pantau has no configuration templates for it; it has: {known}",
                platform=cpe_platform,
                known=", ".join(known),
            )
        )
    request = OpdRequest(
        slug=slug,
        output_dir=_output(deps, slug, output),
        name=name,
        site=site,
        address=address,
        provider=provider,
        circuit_id=circuit,
        mbit=mbit,
        platform=cpe_platform,
        dc_device=_dc_device(deps, dc_device),
        dc_interface=dc_interface,
        cpe_wan=cpe_wan or prov.cpe_interfaces[0],
        cpe_lan=cpe_lan or prov.cpe_interfaces[1],
        contact_name=contact_name,
        contact_phone=contact_phone,
        revert_seconds=revert_after,
    )
    runner = playbook_runner(deps, live_check=False)
    run_id = run_and_report(runner, OPD_ADD, request, operator(), stop_after, deps.store, deps.config, as_json)
    for path in [*_report(deps, run_id, report_dir), *_redraw(deps)]:
        (err if as_json else out).print(tr("written: {path}", path=path), markup=False)
    if not as_json:
        files = sorted(Path(request.output_dir).glob(f"{slug}-opd.*.conf"))
        for path in files:
            out.print(
                tr(
                    "for the technician at {opd}'s router ({device}): {path}",
                    opd=slug,
                    device=cpe_name(slug),
                    path=path,
                ),
                markup=False,
            )
        out.print(tr("on the status page, after logging in: /opd/{opd}/router.conf", opd=slug), markup=False)
        out.print(tr("run {run}: the link is pending until the OPD's router answers", run=run_id), markup=False)


@opd_app.command("remove")
def opd_remove(
    slug: Annotated[str, typer.Argument(help="the OPD's slug")],
    force: Annotated[
        bool, typer.Option("--force", help="remove it although servers of the OPD still hold addresses")
    ] = False,
    revert_after: RevertOption = 120,
    stop_after: StopOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove an OPD connected with opd add: the data center's side taken away with the same safety net, its
    inventory entries removed (the files as before it was added), its subnets released."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    servers = _server_addresses(deps, slug)
    if servers and not force:
        raise PlaybookError(
            Msg(
                "OPD {opd} still has colocated servers with addresses ({servers}); decommission them first, or "
                "give --force",
                opd=slug,
                servers=", ".join(servers),
            )
        )
    request = removal_request(deps.inventory, slug, _output(deps, slug, None), revert_after)
    runner = playbook_runner(deps, live_check=False)
    run_and_report(runner, OPD_REMOVE, request, operator(), stop_after, deps.store, deps.config, as_json)
    for path in _redraw(deps):
        (err if as_json else out).print(tr("written: {path}", path=path), markup=False)


def _server_addresses(deps: App, slug: str) -> list[str]:
    return [f"{host} {address}" for host, address in live_addresses_of(deps.store, slug)]


@opd_app.command("report")
def opd_report(
    run: Annotated[int, typer.Argument(help="the opd add run (pantau runs list)")],
    report_dir: ReportOption = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
) -> None:
    """The Berita Acara Pemasangan of a succeeded opd add, written (again)."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    for path in _report(deps, run, report_dir):
        out.print(tr("written: {path}", path=path), markup=False)


@opd_app.command("subnets")
def opd_subnets(
    slug: Annotated[str | None, typer.Argument(help="one OPD's; default: every OPD connected by opd add")] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
) -> None:
    """The subnets carved from the pools, by OPD."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    for row in Pools(deps.existing_store).live(slug):
        out.print(f"{row.opd:<16} {row.role:<9} {row.prefix:<20} {row.pool}", markup=False)
