"""SOP 13's monthly bandwidth survey (every OPD link's month from the store, in the agency's time zone) and
the bandwidth map planned from it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from collectors.errors import CollectorError
from core.bandwidth import LinkSurvey, SurveyThresholds, down_intervals, survey
from core.bandwidth_plan import MBIT, Demand, Plan, plan
from core.period import month_bounds
from exporters.bandwidth_report import render_bandwidth
from exporters.change_report import ChangeData, QueueRow, render_change
from exporters.plan_report import render_plan
from i18n import Msg, message_of
from inventory.models import Inventory
from playbooks.documents import letterhead, write_document
from playbooks.effectors.shaper import Place, Shapers
from playbooks.errors import PlaybookError
from playbooks.maintenance.reports import report_number
from playbooks.shaping import ShapingFacts, ShapingRequest
from store import bandwidth_plans, links, runs, sequences
from store.bandwidth_plans import PlanRecord
from store.engine import Store
from store.runs import RunState


def month_survey(
    store: Store, inv: Inventory, month: str, tz: str, thresholds: SurveyThresholds, opd: str | None = None
) -> list[LinkSurvey]:
    """One survey per OPD link of the inventory (of ``opd`` only, when given), for ``month`` (YYYY-MM)."""
    start, end = month_bounds(month, tz)
    samples, states = links.month_of_links(store, start, end)
    out = []
    for link in inv.links:
        if opd is not None and link.opd != opd:
            continue
        before, changes = states.get(link.name, ("up", []))
        down = down_intervals(changes, before, start, end)
        out.append(survey(link.opd, link.name, link.subscribed_bps, samples.get(link.name, []), down, tz, thresholds))
    return out


def write_month_report(
    rows: list[LinkSurvey],
    inv: Inventory,
    month: str,
    tz: str,
    thresholds: SurveyThresholds,
    directory: Path,
    lang: str,
    opd: str | None = None,
) -> list[Path]:
    """The survey as Markdown, HTML (with the charts) and PDF in ``directory``; the paths written."""
    kop = letterhead(inv)
    names = {o.slug: o.name for o in inv.opds}
    stem = f"survei-bandwidth-{month}" + (f"-{opd}" if opd else "") + f".{lang}"
    sop = inv.agency.sops.bandwidth.label
    markdown = render_bandwidth(rows, month, tz, kop, names, thresholds, lang, "md", sop)
    return write_document(
        directory, stem, markdown, render_bandwidth(rows, month, tz, kop, names, thresholds, lang, "html", sop)
    )


def month_plan(
    store: Store,
    inv: Inventory,
    month: str,
    tz: str,
    thresholds: SurveyThresholds,
    capacity_mbps: float | None = None,
) -> tuple[Plan, list[LinkSurvey]]:
    """SOP 13's bandwidth map made from ``month``'s measurements: each OPD's guaranteed rate and ceiling
    within the capacity (``capacity_mbps``, else the inventory's ``agency.bandwidth.capacity_mbps``), from
    that month's survey and the OPDs' floors, caps and weights; and the survey it was made from.

    Raises:
        PlaybookError: no capacity to share.
    """
    policy = inv.agency.bandwidth
    capacity = capacity_mbps if capacity_mbps is not None else policy.capacity_mbps
    if capacity is None or capacity <= 0:
        raise PlaybookError(
            Msg(
                "no capacity to share: set agency.bandwidth.capacity_mbps in the inventory (the uplinks' "
                "committed rate) or give --capacity in Mbit/s"
            )
        )
    rows = month_survey(store, inv, month, tz, thresholds)
    demands = []
    for o in inv.opds:
        mine = [r for r in rows if r.opd == o.slug]
        if not mine:
            continue  # an OPD without a WAN link has nothing to shape
        p95s = [max(both) for r in mine if (both := [v for v in (r.p95_in_bps, r.p95_out_bps) if v is not None])]
        share = o.bandwidth
        demands.append(
            Demand(
                opd=o.slug,
                measured_bps=sum(p95s) if p95s else None,
                link_bps=sum(r.subscribed_bps for r in mine),
                floor_bps=share.floor_mbps * MBIT,
                cap_bps=None if share.cap_mbps is None else share.cap_mbps * MBIT,
                weight=share.weight,
            )
        )
    return plan(capacity * MBIT, demands, policy.headroom), rows


def read_today(shapers: Shapers) -> tuple[dict[str, float], list[Msg | str]]:
    """Each OPD's ceiling as its shaping device holds it now, and a line per device that could not be read
    (its OPDs are left out: a plan is still made without them)."""
    by_device: dict[str, list[Place]] = {}
    for opd in shapers.inventory.opds:
        if shapers.inventory.links_of(opd.slug):
            try:
                for place in shapers.places(opd.slug):
                    by_device.setdefault(place.device, []).append(place)
            except PlaybookError as exc:
                return {}, [message_of(exc) or str(exc)]  # the inventory names no shaper pantau can read
    today: dict[str, float] = {}
    problems: list[Msg | str] = []
    for device, places in sorted(by_device.items()):
        try:
            limits = shapers.read(device, [p.queue for p in places])
        except (CollectorError, PlaybookError) as exc:
            problems.append(message_of(exc) or f"{device}: {exc}")
            continue
        for place in places:
            today[place.opd] = today.get(place.opd, 0.0) + limits[place.queue].ceiling_bps
    return today, problems


def write_plan(
    planned: Plan,
    inv: Inventory,
    month: str,
    directory: Path,
    lang: str,
    kept: PlanRecord | None = None,
    today: dict[str, float] | None = None,
) -> list[Path]:
    """The bandwidth map as Markdown, HTML (with its chart) and PDF in ``directory``; the paths written. A
    plan ``kept`` in the store carries its number (in the file name too), the Kabid's approval and the
    limits read from the devices when it was made (``today``, OPD to ceiling)."""
    if today is None and kept is not None:
        today = kept.plan.get("today")
    kop = letterhead(inv)
    names = {o.slug: o.name for o in inv.opds}
    links: dict[str, float] = {}
    for link in inv.links:
        links[link.opd] = links.get(link.opd, 0.0) + link.subscribed_bps
    kabid = inv.agency.people.kabid
    stem = f"peta-bandwidth-{month}" + (f"-{kept.id}" if kept else "") + f".{lang}"
    number, approval = None, None
    if kept is not None:
        number = kept.number
        if kept.approved_by and kept.approved_at:
            approval = (kept.approved_by, kept.approved_at.astimezone(ZoneInfo(inv.agency.timezone)))
    sop = inv.agency.sops.bandwidth.label
    html = render_plan(planned, month, links, kop, names, kabid, lang, "html", number, approval, today, sop)
    markdown = render_plan(planned, month, links, kop, names, kabid, lang, "md", number, approval, today, sop)
    return write_document(directory, stem, markdown, html)


def keep_plan(
    store: Store,
    inv: Inventory,
    planned: Plan,
    month: str,
    by: str,
    directory: Path,
    langs: list[str],
    now: datetime,
    today: dict[str, float] | None = None,
) -> tuple[PlanRecord, list[Path]]:
    """Keep ``planned`` in the store, numbered in the agency's pattern (the year in its time zone), with the
    limits read from the devices (``today``), and write its documents in ``directory``; drafted until the
    Kabid approves it."""

    def number(seq: int) -> str:
        return report_number(inv, "peta_bandwidth", seq, now, "*")

    year = now.astimezone(ZoneInfo(inv.agency.timezone)).year
    kept_json = planned.to_json() | ({"today": today} if today else {})
    kept = bandwidth_plans.save(store, month, planned.capacity_bps, kept_json, by, year, number)
    bandwidth_plans.set_directory(store, kept.id, str(directory))
    paths = [p for lang in langs for p in write_plan(planned, inv, month, directory, lang, kept)]
    return kept, paths


def approve_plan(
    store: Store, inv: Inventory, plan_id: int, name: str, langs: list[str]
) -> tuple[PlanRecord, list[Path]]:
    """The Kabid's approval of a kept plan: recorded, and its documents written again with it (in each
    language it was written in, and in ``langs``).

    Raises:
        PlaybookError: no name to record.
        RuleError: approved already.
    """
    if not name.strip():
        raise PlaybookError(Msg("--name is empty: write the Kabid's name (or set agency.people.kabid)"))
    kept = bandwidth_plans.approve(store, bandwidth_plans.get(store, plan_id), name.strip())
    planned = Plan.from_json(kept.plan)
    if not kept.directory:
        return kept, []
    directory = Path(kept.directory)
    # every language it was written in, and those asked for now
    written = {p.name.split(".")[-2] for p in directory.glob(f"peta-bandwidth-{kept.month}-{kept.id}.*.md")}
    again = sorted(written | set(langs))
    return kept, [p for lang in again for p in write_plan(planned, inv, kept.month, directory, lang, kept)]


def plan_changes(kept: PlanRecord) -> list[dict[str, Any]]:
    """The changes that put an approved plan on the shapers: each OPD's ceiling and guarantee.

    Raises:
        PlaybookError: the plan is not approved (only the Kabid's approved plan is applied).
    """
    if kept.state != bandwidth_plans.APPROVED:
        raise PlaybookError(
            Msg(
                "plan {number} is {state}: only a plan the Kabid approved is applied (pantau bandwidth approve {id})",
                number=kept.number,
                state=kept.state,
                id=kept.id,
            )
        )
    planned = Plan.from_json(kept.plan)
    return [
        {"opd": s.opd, "ceiling_bps": round(s.ceiling_bps), "guaranteed_bps": round(s.guaranteed_bps)}
        for s in planned.shares
    ]


def write_change_report(
    store: Store, inv: Inventory, run_id: int, directory: Path, langs: list[str], now: datetime
) -> list[Path]:
    """The Berita Acara Perubahan Bandwidth of a succeeded change (run ``run_id``), numbered in the agency's
    pattern, in ``directory``; the paths written (none when the run changed nothing)."""
    run = runs.get(store, run_id)
    if run is None or run.state is not RunState.SUCCEEDED:
        raise PlaybookError(Msg("run {run} is not a succeeded bandwidth change", run=run_id))
    request = ShapingRequest(**run.params)
    facts = ShapingFacts.model_validate(run.facts)
    if not facts.devices:
        return []  # nothing was changed (a boost's end finding its queues changed since): nothing to record
    tz = ZoneInfo(inv.agency.timezone)
    plan = None
    if request.plan_id is not None:
        kept = bandwidth_plans.get(store, request.plan_id)
        plan = (kept.number, kept.approved_by or "")
    names = {o.slug: o.name for o in inv.opds}
    rows = tuple(
        QueueRow(
            names.get(q.opd, q.opd),
            f"{d.device} {q.queue}",
            str(q.before),
            str(q.after),
            f"{facts.measured[q.opd] / MBIT:.2f}" if q.opd in facts.measured else "—",
        )
        for d in facts.devices
        for q in d.queues
    )
    confirmed = (run.ended_at or now).astimezone(tz)
    seq = sequences.take(store, "ba_bandwidth", confirmed.year)
    data = ChangeData(
        number=report_number(inv, "ba_bandwidth", seq, confirmed, "*"),
        run_id=run.id,
        by=run.started_by,
        confirmed_at=confirmed,
        revert_seconds=max((d.revert_seconds for d in facts.devices), default=request.revert_seconds),
        rows=rows,
        measured=bool(facts.measured),
        plan=plan,
        until=None if request.until is None else datetime.fromisoformat(request.until).astimezone(tz),
        ends_run=request.restores_run,
        officer=inv.agency.people.officer,
        kabid=inv.agency.people.kabid,
        sop=inv.agency.sops.bandwidth.number,
    )
    kop = letterhead(inv)
    paths = []
    for lang in langs:
        stem = f"ba-perubahan-bandwidth-{run.id}.{lang}"
        md = render_change(data, kop, lang, "md")
        paths += write_document(directory, stem, md, render_change(data, kop, lang, "html"))
    return paths
