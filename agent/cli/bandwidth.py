"""``pantau bandwidth``: SOP 13's bandwidth map, planned from a month's measurements."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent.cli.common import ConfigOption, InventoryOption, JsonOption, StateOption, out, wired
from agent.lang import current, tr
from core.bandwidth_plan import MBIT, Plan
from i18n import in_language
from playbooks.bandwidth import month_plan, write_plan

bandwidth_app = typer.Typer(no_args_is_help=True, help="SOP 13's bandwidth map: each OPD's share of the capacity.")


@bandwidth_app.command("plan")
def bandwidth_plan(
    month: Annotated[str, typer.Option(help="YYYY-MM: the month whose measurements the plan uses")],
    capacity: Annotated[
        float | None, typer.Option(help="Mbit/s the OPDs share (default: agency.bandwidth.capacity_mbps)")
    ] = None,
    config: ConfigOption = None,
    inventory: InventoryOption = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    output: Annotated[Path | None, typer.Option(help="also write the plan (Markdown, HTML and PDF) here")] = None,
) -> None:
    """SOP 13 step 'map the bandwidth': each OPD's guaranteed rate and ceiling within the capacity, by
    weighted max-min fair share of the month's 95th percentiles (times the headroom), within each OPD's
    floor, cap and weight from the inventory."""
    deps = wired(config, inventory=inventory, state_dir=state_dir)
    cfg = deps.config
    planned, _ = month_plan(deps.existing_store, deps.inventory, month, cfg.timezone, cfg.bandwidth, capacity)
    written = [] if output is None else write_plan(planned, deps.inventory, month, output, current())
    if as_json:
        payload = {**_json(planned, month), "paths": [str(p) for p in written]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=tr("Bandwidth map from {month}", month=month), show_header=True)
    for col in ("OPD", tr("p95 (Mbit/s)"), tr("asks"), tr("guaranteed"), tr("ceiling"), tr("why")):
        table.add_column(col, justify="left" if col in ("OPD", tr("why")) else "right")
    for s in planned.shares:
        table.add_row(
            s.opd,
            "—" if s.measured_bps is None else f"{s.measured_bps / MBIT:.1f}",
            f"{s.asked_bps / MBIT:.1f}",
            f"{s.guaranteed_bps / MBIT:.1f}",
            f"{s.ceiling_bps / MBIT:.1f}",
            in_language(s.why, current()),
        )
    out.print(table)
    out.print(
        tr(
            "guaranteed {guaranteed:.1f} of {capacity:.1f} Mbit/s (headroom {headroom:g})",
            guaranteed=planned.guaranteed_bps / MBIT,
            capacity=planned.capacity_bps / MBIT,
            headroom=planned.headroom,
        )
    )
    if planned.unmet:
        out.print(tr("[red]floors not met[/]: {opds}", opds=", ".join(planned.unmet)))
    for path in written:
        out.print(tr("written: {path}", path=path))


def _json(planned: Plan, month: str) -> dict[str, object]:
    return {
        "month": month,
        "capacity_mbps": planned.capacity_bps / MBIT,
        "headroom": planned.headroom,
        "guaranteed_mbps": planned.guaranteed_bps / MBIT,
        "unmet": list(planned.unmet),
        "opds": [
            {
                "opd": s.opd,
                "measured_mbps": None if s.measured_bps is None else s.measured_bps / MBIT,
                "asked_mbps": s.asked_bps / MBIT,
                "guaranteed_mbps": s.guaranteed_bps / MBIT,
                "ceiling_mbps": s.ceiling_bps / MBIT,
                "why": in_language(s.why, current()),
            }
            for s in planned.shares
        ],
    }
