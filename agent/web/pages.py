"""The pages that show: the board and ``/api/links``, a link's day and its evidence pack for the provider,
and the Berita Acara with their sign-off."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta

import graphviz
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from agent.web.auth import may
from agent.web.site import HEADERS, Forbidden, Site, site_of
from agent.web.views import banner, local_time, shared_cause
from core.errors import RuleError
from core.sop import STAFF_REVIEWERS, cite
from exporters.charts import link_day
from exporters.runbooks import LANGS, runbooks, to_html
from exporters.topology import topology_dot, topology_svg
from i18n import Msg
from inventory.models import Link
from playbooks.bandwidth import approve_plan as approve
from playbooks.errors import PlaybookError
from playbooks.maintenance.reports import report_list
from playbooks.maintenance.reports import sign as sign_report
from playbooks.opd_documents import router_file
from playbooks.tickets import pack_text
from playbooks.triage.decide import EvidencePack
from store import bandwidth_plans
from store import links as link_store
from store.errors import NotFound
from store.users import SessionInfo

log = logging.getLogger(__name__)


async def board(request: Request) -> Response:
    site = site_of(request)
    s = await site.session(request)
    rows = await run_in_threadpool(site.rows)
    snap = site.snapshot()
    cause = shared_cause(rows, snap)
    return site.page(
        "board.html.j2",
        s=s,
        rows=rows,
        cause=cause,
        banner=banner(cause, snap, site.lang),
        updated=local_time(snap.timestamp, site.cfg.timezone, site.lang) if snap.timestamp else None,
        refresh=site.web.refresh_seconds,
        may_triage=may(s.role, "triage"),
    )


async def api_links(request: Request) -> Response:
    site = site_of(request)
    await site.session(request)
    rows = await run_in_threadpool(site.rows)
    snap = site.snapshot()
    cause = shared_cause(rows, snap)
    body = {
        "updated": snap.timestamp,
        "updated_local": local_time(snap.timestamp, site.cfg.timezone, site.lang) if snap.timestamp else None,
        "cause": cause,
        "banner": banner(cause, snap, site.lang),
        "links": rows,
    }
    return JSONResponse(body, headers=HEADERS)


async def topology(request: Request) -> Response:
    """The network drawn from the agent's inventory, each link coloured by its state now."""
    site = site_of(request)
    await site.session(request)
    states = {v.link: v.state for v in await run_in_threadpool(site.board, site.snapshot())}
    source = topology_dot(site.inv, states, site.lang)
    try:
        svg = await run_in_threadpool(topology_svg, source)
    except graphviz.ExecutableNotFound:
        return PlainTextResponse(source, headers=HEADERS)  # the DOT text: install graphviz to draw it
    return Response(svg, media_type="image/svg+xml", headers=HEADERS)


async def router_config(request: Request) -> Response:
    """A new OPD router's configuration (``pantau opd add`` wrote it), for the technician at the OPD to fetch
    on site: the address the CLI printed, behind the login."""
    site = site_of(request)
    await site.session(request)
    slug = request.path_params["slug"]
    path = await run_in_threadpool(router_file, site.store, slug)
    if path is None:
        raise NotFound(Msg("no router configuration of OPD {opd}: it was not connected with pantau opd add", opd=slug))
    disposition = f'attachment; filename="{path.name}"'
    return PlainTextResponse(path.read_text(encoding="utf-8"), headers=HEADERS | {"Content-Disposition": disposition})


def _link(site: Site, name: str) -> Link:
    found = next((x for x in site.inv.links if x.name == name), None)
    if found is None:
        raise NotFound(Msg("no link '{name}'; the board lists them", name=name))
    return found


def _pack(site: Site, link: Link) -> EvidencePack:
    return site.app.triage.recorded_pack(link, site.snapshot())


async def link(request: Request) -> Response:
    """One link: its last 24 hours of rates, loss and RTT from the rollups, its state changes, and the
    evidence pack for its provider from the agent's records."""
    site = site_of(request)
    s = await site.session(request)
    found = _link(site, request.path_params["name"])
    now = datetime.now(UTC)
    samples, _ = await run_in_threadpool(link_store.month_of_links, site.store, now - timedelta(days=1), now)
    day = samples.get(found.name, [])
    svg = await run_in_threadpool(link_day, day, found.subscribed_bps, site.lang, site.cfg.timezone) if day else ""
    events = (await run_in_threadpool(link_store.changes, site.store, found.name))[-30:]
    row = next((r for r in await run_in_threadpool(site.rows) if r["link"] == found.name), None)
    pack = await run_in_threadpool(_pack, site, found)
    return site.page(
        "link.html.j2",
        s=s,
        link=found,
        row=row,
        chart=base64.b64encode(svg.encode()).decode(),  # as an image: the page's CSP allows no inline style
        events=[(local_time(e.at.timestamp(), site.cfg.timezone, site.lang), e) for e in events[::-1]],
        periods=len(day),
        pack=pack_text(pack),
    )


async def link_pack(request: Request) -> Response:
    """The evidence pack as a text file to attach to the provider's ticket or e-mail."""
    site = site_of(request)
    await site.session(request)
    found = _link(site, request.path_params["name"])
    text = pack_text(await run_in_threadpool(_pack, site, found))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    disposition = f'attachment; filename="bukti-{found.name}-{stamp}.txt"'
    return PlainTextResponse(text + "\n", headers=HEADERS | {"Content-Disposition": disposition})


async def reports(request: Request) -> Response:
    """The Berita Acara and their review; the user signs the step their role holds (Kasi, Kabid, Kadis)."""
    site = site_of(request)
    s = await site.session(request)
    error = None
    if request.method == "POST":
        form = await site.checked_form(request, s)
        if s.role not in STAFF_REVIEWERS:
            raise Forbidden(Msg("the role {role} does not sign reports", role=s.role))
        number = form.get("report", "")
        try:
            if not number.isdigit():
                raise PlaybookError(Msg("report '{report}': choose a report of the list to sign", report=number))
            await run_in_threadpool(
                sign_report,
                site.store,
                site.inv,
                int(number),
                s.role,
                form.get("name") or s.user,
                list(site.cfg.maintenance.languages),
                s.user,
            )
            log.info("report %s signed as %s by %s", form.get("report"), s.role, s.user)
            return RedirectResponse("/reports", status_code=303)
        except (PlaybookError, NotFound) as exc:
            error = exc
    return await _reports_page(site, s, error)


async def _reports_page(site: Site, s: SessionInfo, error: Exception | None) -> Response:
    listed = await run_in_threadpool(report_list, site.store)
    plans = await run_in_threadpool(bandwidth_plans.newest, site.store)
    return site.page(
        "reports.html.j2",
        409 if error else 200,
        s=s,
        signers=STAFF_REVIEWERS,
        reports=listed,
        plans=plans,
        ipam=site.snapshot().ipam,
        error=error,
    )


async def approve_plan(request: Request) -> Response:
    """SOP 13: the Kabid approves a kept bandwidth plan, as ``pantau bandwidth approve`` does."""
    site = site_of(request)
    s = await site.session(request)
    form = await site.checked_form(request, s)
    if s.role != "kabid":
        raise Forbidden(Msg("only the Kabid approves a bandwidth plan; the role {role} does not", role=s.role))
    plan = request.path_params["id"]
    try:
        await run_in_threadpool(
            approve, site.store, site.inv, plan, form.get("name") or s.user, list(site.cfg.maintenance.languages)
        )
    except (PlaybookError, RuleError, NotFound) as exc:
        return await _reports_page(site, s, exc)
    log.info("bandwidth plan %s approved by %s", plan, s.user)
    return RedirectResponse("/reports", status_code=303)


async def runbook(request: Request) -> Response:
    """An alert's runbook, where its runbook_url points (in the page's language; ``?lang=id|en``). Open
    without a login, as the link in a page or a Telegram message is opened on a phone: a runbook is
    procedure, it holds nothing of the network."""
    site = site_of(request)
    lang = request.query_params.get("lang", site.lang)
    if lang not in LANGS:
        lang = site.lang if site.lang in LANGS else LANGS[0]
    alert = request.path_params.get("alert")
    texts = runbooks(lang)
    if alert is None:
        return site.page("runbook.html.j2", s=None, lang_shown=lang, alert=None, alerts=list(texts), body=None)
    if alert not in texts:
        raise NotFound(Msg("no runbook for {alert}: the alerts are those of pantau's rules", alert=alert))
    other = next(code for code in LANGS if code != lang)
    body = to_html(cite(texts[alert], site.inv.agency.sops))
    return site.page("runbook.html.j2", s=None, lang_shown=lang, other=other, alert=alert, alerts=None, body=body)


#: the on-call card's commands: what a technician types first, each with the SOP step it serves
ONCALL_COMMANDS = (
    ("pantau triage OPD", Msg("the verdict and its evidence for an OPD's complaint (SOP 15 step 2)")),
    (
        'pantau ticket open --opd OPD --channel phone --reporter "NAME" "COMPLAINT"',
        Msg("a ticket for the complaint, timed against SOP 15"),
    ),
    ("pantau ticket escalate TICKET", Msg("to the provider, with a fresh evidence pack (SOP 15 step 4)")),
    ("pantau links", Msg("every OPD link's state, rates, loss and RTT now")),
    ("pantau poll DEVICE", Msg("one device's SNMP answer, or the reason it gives none")),
)


async def oncall_card(request: Request) -> Response:
    """The on-call card (*kartu piket*) to print: the five commands, and whom to call, from the inventory
    (the providers by circuit, each OPD's contact). Behind the login: it carries telephone numbers."""
    site = site_of(request)
    s = await site.session(request)
    inv = site.inv
    contacts: dict[str, str | None] = {}
    circuits: dict[str, list[str]] = {}
    for lk in sorted(inv.links, key=lambda lk: (lk.provider, lk.opd)):
        contacts[lk.provider] = contacts.get(lk.provider) or lk.provider_contact
        circuits.setdefault(lk.provider, []).append(f"{lk.circuit_id} ({site.names.get(lk.opd, lk.opd)})")
    providers = [(name, contacts[name], circuits[name]) for name in circuits]
    commands = [(command, cite(site.say(what), inv.agency.sops)) for command, what in ONCALL_COMMANDS]
    return site.page(
        "oncall.html.j2", s=s, agency=inv.agency, commands=commands, providers=providers, opds=list(inv.opds)
    )
