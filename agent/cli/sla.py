"""``pantau report sla``: SOP 15's month of tickets, as a table, JSON or a document (attached to the
report group by agent.cli.maintenance)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, Table, out, wired
from agent.lang import current, tr
from playbooks.tickets import month_report, write_sla_report
from store.tickets import Tickets


def report_sla(
    month: Annotated[str, typer.Option(help="YYYY-MM, a month in the agency's time zone")],
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    output: Annotated[
        Path | None, typer.Option(help="also write the report (Markdown, HTML and PDF, with a chart) here")
    ] = None,
) -> None:
    """SOP 15's month: tickets per OPD and cause, each step's time against its allowance, the breaches, and
    the time to restore (median, 90th percentile)."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    cfg = deps.config
    report = month_report(Tickets(deps.existing_store, deps.sops), month, cfg.timezone)
    written = []
    if output is not None:
        written = write_sla_report(report, deps.inventory, output, current())
    if as_json:
        sys.stdout.write(json.dumps(report | {"paths": [str(p) for p in written]}, indent=2) + "\n")
        return
    table = Table(title=tr("Fault handling {month} (SOP 15)", month=month))
    for col in ("OPD", tr("tickets"), tr("resolved"), tr("causes")):
        table.add_column(col)
    for opd, counts in report["per_opd"].items():
        causes = ", ".join(f"{c}: {n}" for c, n in report["per_opd_cause"][opd].items())
        table.add_row(opd, str(counts["total"]), str(counts["resolved"]), causes)
    out.print(table)
    r = report["restore"]
    if r["count"]:
        out.print(
            tr(
                "time to restore: median {median_minutes:.0f} min, p90 {p90_minutes:.0f} min ({count} resolved); "
                "{breaches} steps over their allowance",
                median_minutes=r["median_minutes"],
                p90_minutes=r["p90_minutes"],
                count=r["count"],
                breaches=len(report["breaches"]),
            )
        )
    if not report["per_opd"]:
        out.print(tr("no tickets in {month}", month=month))
    for path in written:
        out.print(tr("written: {path}", path=path))
