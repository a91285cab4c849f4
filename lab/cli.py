"""``pantau lab``: bring the lab up and down, look at it, run commands in it, inject traffic and faults."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from lab import on_demand
from lab.errors import LabError
from lab.faults import Faults
from lab.runner import Runner
from lab.topology import load_topology

DEFAULT_TOPOLOGY = Path(__file__).resolve().parent / "kominfo.clab.yml"

app = typer.Typer(no_args_is_help=True, help="The lab: a containerlab topology on network namespaces.")
out = Console()
err = Console(stderr=True, soft_wrap=True)

TopologyArg = Annotated[Path, typer.Argument(help="containerlab topology file")]
TopologyOpt = Annotated[Path, typer.Option("--topology", "-t", help="containerlab topology file")]


def runner(path: Path) -> Runner:
    return Runner(load_topology(path), progress=lambda msg: err.print(f"[dim]… {msg}[/dim]"))


@app.command()
def up(topology: TopologyArg = DEFAULT_TOPOLOGY) -> None:
    """Bring the lab up (idempotent) and wait until routing converged and every service answers."""
    r = runner(topology)
    with err.status("bringing the lab up"):
        report = r.up()
    if report.already_up:
        out.print(f"lab {r.topo.name} already up ({report.seconds_total:.2f} s to check)")
        return
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in report.steps.items())
    out.print(f"lab {r.topo.name} up in {report.seconds_total:.2f} s ({steps})")


opd_app = typer.Typer(help="The lab's on-demand OPD routers (a new OPD's office, its circuit delivered).")
app.add_typer(opd_app, name="opd")


@opd_app.command("add")
def opd_add(
    name: Annotated[str, typer.Argument(help="the OPD's slug (node opd-SLUG)")],
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
) -> None:
    """Bring the on-demand router of OPD NAME, linked to the core (a new port there), unconfigured."""
    node = on_demand.add(runner(topology), name)
    out.print(f"{node} is there, unconfigured; its WAN port is linked to the core")


@opd_app.command("configure")
def opd_configure(
    name: Annotated[str, typer.Argument(help="the OPD's slug")],
    config: Annotated[Path, typer.Argument(help="the router's configuration (pantau opd add wrote it)")],
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
) -> None:
    """Apply a configuration file in the router, as the technician who installs it does (vtysh -f)."""
    addresses = on_demand.configure(runner(topology), name, config)
    out.print(f"configured; addresses: {', '.join(addresses) or 'none'}")


@opd_app.command("remove")
def opd_remove(
    name: Annotated[str, typer.Argument(help="the OPD's slug")], topology: TopologyOpt = DEFAULT_TOPOLOGY
) -> None:
    """Take the on-demand router away."""
    on_demand.remove(runner(topology), name)
    out.print(f"opd-{name.removeprefix('opd-')} removed")


@app.command()
def down(topology: TopologyOpt = DEFAULT_TOPOLOGY) -> None:
    """Stop every daemon of the lab by PID and remove its namespaces, bridge, users and files."""
    r = runner(topology)
    r.down()
    out.print(f"lab {r.topo.name} down")


@app.command()
def status(
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per node: namespace, daemons alive, addresses; and the active traffic and faults."""
    r = runner(topology)
    nodes = r.status()
    active = Faults(r).active() if r.run_dir.exists() else {"faults": [], "traffic": []}
    if as_json:
        payload = {"nodes": [n.__dict__ for n in nodes], **active}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    table = Table(title=f"lab {r.topo.name}")
    for col in ("node", "namespace", "daemons", "addresses"):
        table.add_column(col)
    for n in nodes:
        daemons = " ".join(f"[green]{d}[/green]" if ok else f"[red]{d}[/red]" for d, ok in n.daemons.items())
        table.add_row(n.name, n.netns if n.present else "[red]absent[/red]", daemons, " ".join(n.addresses))
    out.print(table)
    for kind in ("traffic", "faults"):
        for item in active[kind]:
            out.print(f"{kind}: {item['description']}")


@app.command("exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def exec_(
    node: Annotated[str, typer.Argument(help="node name")],
    command: Annotated[list[str], typer.Argument(help="command and its arguments (after --)")],
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
) -> None:
    """Run a command inside a node: pantau lab exec NODE -- CMD ARGS."""
    r = runner(topology)
    r.require_up()
    result = r.exec(node, command, check=False, timeout=3600)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    raise typer.Exit(result.returncode)


@app.command()
def traffic(
    opd: Annotated[str | None, typer.Option(help="OPD slug")] = None,
    saturate: Annotated[bool, typer.Option("--saturate", help="fill the link (TCP)")] = False,
    rate: Annotated[float | None, typer.Option("--rate", help="Mbit/s")] = None,
    direction: Annotated[str, typer.Option(help="in (to the OPD), out, or both")] = "in",
    stop: Annotated[bool, typer.Option("--stop", help="stop all lab traffic")] = False,
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
) -> None:
    """Start iperf3 traffic on an OPD link (from srv-app1), or --stop it."""
    r = runner(topology)
    r.require_up()
    f = Faults(r)
    if stop:
        out.print(f"stopped {f.stop_traffic()} traffic stream(s)")
        return
    if opd is None:
        raise typer.BadParameter("give --opd SLUG (or --stop)")
    for line in f.start_traffic(opd, direction, mbit=rate, saturate=saturate):
        out.print(line)


@app.command()
def fault(
    kind: Annotated[
        str,
        typer.Argument(
            help="link-down, lan-down, loss, uplink-down, shape, daemon-stop, snmpd-restart, congestion; or 'clear'"
        ),
    ],
    opd: Annotated[str | None, typer.Option(help="OPD slug")] = None,
    node: Annotated[str | None, typer.Option(help="lab node")] = None,
    daemon: Annotated[str | None, typer.Option(help="frr, sshd, snmpd, named, iperf3")] = None,
    percent: Annotated[float | None, typer.Option(help="loss percentage")] = None,
    mbit: Annotated[float | None, typer.Option(help="shaping rate, Mbit/s")] = None,
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
) -> None:
    """Inject a fault (undone by 'pantau lab fault clear')."""
    r = runner(topology)
    r.require_up()
    f = Faults(r)
    if kind == "clear":
        out.print(f"cleared {f.clear()} fault(s) and all traffic")
        return
    out.print(f.inject(kind, opd=opd, node=node, daemon=daemon, percent=percent, mbit=mbit))


@app.command()
def demo(
    topology: TopologyOpt = DEFAULT_TOPOLOGY,
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds")] = None,
) -> None:
    """The main job on the lab: traffic, the agent on nms, Prometheus scraping it; Ctrl-C ends it."""
    from lab.demo import run_demo  # noqa: PLC0415 (the demo pulls in the whole agent: only for pantau lab demo)

    run_demo(runner(topology), lambda line: out.print(line, soft_wrap=True), duration)


class _LabGroup(TyperGroup):
    """``pantau lab``: a lab error is a message and exit 2, as pantau's own errors are."""

    def invoke(self, ctx: Any) -> Any:  # ctx: a context of typer's own copy of click
        try:
            return super().invoke(ctx)
        except LabError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(2) from exc


def command() -> TyperGroup:
    """The ``pantau.commands`` entry point: the lab's command group."""
    group = typer.main.get_group(app)
    group.__class__ = _LabGroup
    return group
