"""CLI of the playbooks: colocate, decommission, runs, ipam, targets (attached to ``pantau`` by agent.cli)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, err, local, out, wired
from agent.config import Config
from agent.lang import tr
from agent.wiring import App
from i18n import Msg
from playbooks.colocate import COLOCATE, ColocationRequest, Services
from playbooks.decommission import DECOMMISSION, DecommissionRequest
from playbooks.engine import Playbook, PlaybookRunner, operator
from playbooks.errors import RunError, RunFailed
from store import runs
from store import targets as target_store
from store.engine import Store

app = typer.Typer()
runs_app = typer.Typer(no_args_is_help=True, help="Playbook runs: each step's time against its SOP allowance.")


def setup(path: Path | None, inventory: Path | None, state_dir: Path | None) -> App:
    """The App a playbook command works with (its configuration, inventory, store and probes)."""
    return wired(path, inventory=inventory, state_dir=state_dir)


def playbook_runner(deps: App, live_check: bool = True) -> PlaybookRunner[Services]:
    """A runner of every playbook with the process's services (:meth:`App.playbook_runner`)."""
    return deps.playbook_runner(live_check)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def _print_run(store: Store, run_id: int, tz: str) -> dict[str, Any]:
    run = runs.get(store, run_id)
    if run is None:
        raise RunError(Msg("no run {run}; see pantau runs list", run=run_id))
    return {
        "id": run.id,
        "playbook": run.playbook,
        "state": run.state,
        "reason": run.reason,
        "started_by": run.started_by,
        "params": run.params,
        "facts": run.facts,
        "started_at": local(run.started_at, tz),
        "ended_at": local(run.ended_at, tz),
        "steps": [
            {
                "position": st.position,
                "name": st.name,
                "title": st.title,
                "sop_step": st.sop_step,
                "state": st.state,
                "seconds": _seconds(st.started_at, st.ended_at),
                "allowance_seconds": st.allowance_seconds,
                "expected_output": st.expected_output,
                "output": st.output,
                "error": st.error,
            }
            for st in runs.steps(store, run_id)
        ],
    }


def _render_run(data: dict[str, Any]) -> None:
    colors = {"succeeded": "green", "failed": "red", "broken": "red", "running": "yellow"}
    state = data["state"]
    out.print(
        f"[bold]Run {data['id']}[/bold] {data['playbook']} — [{colors.get(state, 'white')}]{state}[/] "
        f"({tr('by')} {data['started_by']}, {data['started_at']} → {data['ended_at']})"
    )
    if data["reason"]:
        out.print(f"{tr('reason')}: {data['reason']}", markup=False)
    table = Table(show_header=True)
    for col in (
        "#",
        tr("step"),
        "SOP",
        tr("result"),
        tr("time"),
        tr("Mutu Baku allowance"),
        tr("output"),
    ):
        table.add_column(col)
    per_sop: dict[str, list[float]] = {}
    for st in data["steps"]:
        secs = st["seconds"]
        if secs is not None:
            per_sop.setdefault(st["sop_step"], [0.0, st["allowance_seconds"]])[0] += secs
        table.add_row(
            str(st["position"]),
            st["title"],
            st["sop_step"],
            st["state"],
            "—" if secs is None else f"{secs:.2f} s",
            f"{st['allowance_seconds'] / 60:.0f} {tr('min')}",
            (st["output"] or "") + (f"\n[red]{st['error']}[/red]" if st["error"] else ""),
        )
    out.print(table)
    for sop, (used, allowed) in per_sop.items():
        verdict = tr("within") if used <= allowed else tr("OVER the allowance")
        out.print(f"{sop}: {used:.2f} s {tr('of')} {allowed / 60:.0f} {tr('min')} — {verdict}")


@app.command()
def colocate(
    opd: Annotated[str, typer.Option(help="OPD slug the server belongs to")],
    hostname: Annotated[str, typer.Option(help="server host name (a DNS label); becomes HOSTNAME.<agency zone>")],
    mac: Annotated[str | None, typer.Option(help="the server's MAC address, for the record")] = None,
    public: Annotated[bool, typer.Option("--public", help="a public address (SOP 20) instead of a server one")] = False,
    ip: Annotated[str | None, typer.Option("--ip", help="a specific address instead of the next free one")] = None,
    subdomain: Annotated[str | None, typer.Option(help="application subdomain: NAME.<opd>.<zone> → the server")] = None,
    prefix: Annotated[
        str | None, typer.Option(help="prefix to allocate from (default: the first of its purpose)")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="overwrite DNS records another host holds")] = False,
    no_live_check: Annotated[
        bool, typer.Option("--no-live-check", help="skip ICMP/ARP conflict detection (not on a network)")
    ] = False,
    stop_after: Annotated[
        str | None, typer.Option(hidden=True, help="testing: SIGSTOP after this step, or at STEP:POINT inside it")
    ] = None,
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """SOP 14 steps 7-8: allocate an IP, add DNS forward and reverse (and a subdomain), put it under monitoring."""
    deps = setup(config_path, inventory, state_dir)
    cfg, store = deps.config, deps.store
    runner = playbook_runner(deps, live_check=not no_live_check)
    by = operator()
    for rec in runner.recover(by):
        err.print(tr("recovered run {run_id}: {state}", run_id=rec.run_id, state=rec.state), markup=False)
    request = ColocationRequest(opd, hostname, mac.lower() if mac else None, public, ip, subdomain, prefix, replace)
    run_and_report(runner, COLOCATE, request, by, stop_after, store, cfg, as_json)


@app.command()
def decommission(
    hostname: Annotated[str, typer.Argument(help="server host name given to colocate")],
    stop_after: Annotated[
        str | None, typer.Option(hidden=True, help="testing: SIGSTOP after this step, or at STEP:POINT inside it")
    ] = None,
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a server: stop monitoring, delete its DNS records, release its address (all recorded)."""
    deps = setup(config_path, inventory, state_dir)
    cfg, store = deps.config, deps.store
    runner = playbook_runner(deps, live_check=False)
    by = operator()
    for rec in runner.recover(by):
        err.print(tr("recovered run {run_id}: {state}", run_id=rec.run_id, state=rec.state), markup=False)
    run_and_report(runner, DECOMMISSION, DecommissionRequest(hostname), by, stop_after, store, cfg, as_json)


def run_and_report(
    runner: PlaybookRunner[Services],
    playbook: Playbook[Any, Any, Any],
    request: Any,
    by: str,
    stop_after: str | None,
    store: Store,
    cfg: Config,
    as_json: bool,
) -> int:
    """Run the playbook and show its record (also of a failed run, then raise its error); the run's id."""
    failure: RunFailed | None = None
    try:
        run_id = runner.run(playbook, request, by, stop_after=stop_after).run_id
    except RunFailed as exc:
        failure, run_id = exc, exc.run_id
    data = _print_run(store, run_id, cfg.timezone)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        _render_run(data)
    if failure is not None:
        raise failure
    return run_id


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="newest N runs")] = 20,
    config_path: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """The newest playbook runs."""
    deps = wired(config_path, state_dir=state_dir)
    cfg = deps.config
    rows: list[dict[str, Any]] = [
        {
            "id": r.id,
            "playbook": r.playbook,
            "state": r.state,
            "started_by": r.started_by,
            "started_at": local(r.started_at, cfg.timezone),
            "seconds": _seconds(r.started_at, r.ended_at),
            "params": r.params,
            "reason": r.reason,
        }
        for r in runs.newest(deps.existing_store, limit)
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    table = Table(title=tr("Playbook runs"))
    for col in (
        "run",
        "playbook",
        tr("state"),
        tr("by"),
        tr("started"),
        tr("seconds"),
        tr("reason"),
    ):
        table.add_column(col)
    for r in rows:
        secs = "—" if r["seconds"] is None else f"{r['seconds']:.2f}"
        table.add_row(
            str(r["id"]), r["playbook"], r["state"], r["started_by"], r["started_at"], secs, r["reason"] or ""
        )
    out.print(table)


@runs_app.command("show")
def runs_show(
    run: Annotated[int, typer.Argument(help="run number")],
    config_path: ConfigOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """One run: each step's time against its Mutu Baku allowance, output and error."""
    deps = wired(config_path, state_dir=state_dir)
    cfg = deps.config
    data = _print_run(deps.existing_store, run, cfg.timezone)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        _render_run(data)


@runs_app.command("recover")
def runs_recover(
    config_path: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compensate runs whose process died mid-run, and retry failed compensations."""
    results = playbook_runner(setup(config_path, inventory, state_dir), live_check=False).recover(operator())
    if as_json:
        rows = [{"run": rec.run_id, "state": rec.state, "reason": rec.reason} for rec in results]
        sys.stdout.write(json.dumps({"recovered": rows}, indent=2) + "\n")
        return
    for rec in results:
        out.print(f"run {rec.run_id}: {rec.state} — {rec.reason}", markup=False)
    if not results:
        out.print(tr("nothing to recover"))


@app.command()
def targets(config_path: ConfigOption = None, state_dir: StateOption = None, as_json: JsonOption = False) -> None:
    """Servers registered for monitoring by playbooks (probed by the agent with the inventory's targets)."""
    deps = wired(config_path, state_dir=state_dir)
    cfg = deps.config
    rows = target_store.all_targets(deps.existing_store)
    if as_json:
        sys.stdout.write(json.dumps([r.__dict__ for r in rows], indent=2, default=str) + "\n")
        return
    table = Table(title=tr("Registered probe targets"))
    for col in ("name", "address", "OPD", "added", "by"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.name, r.address, r.opd or "", local(r.added_at, cfg.timezone), r.added_by)
    out.print(table)
