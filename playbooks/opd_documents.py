"""The document of a new OPD's connection (*Berita Acara Pemasangan*), from its succeeded ``opd-add`` run:
numbered in the agency's pattern (``agency.numbering.ba_pemasangan``), written in each language asked."""

from __future__ import annotations

from datetime import datetime
from ipaddress import ip_network
from pathlib import Path
from zoneinfo import ZoneInfo

from core.connection import Subnets, context
from exporters.installation_report import InstallationData, render_installation
from i18n import Msg
from inventory.models import Inventory
from playbooks.documents import letterhead, write_document
from playbooks.errors import PlaybookError
from playbooks.maintenance.reports import report_number
from playbooks.opd_connect import ADD_NAME, ROLES, OpdFacts, OpdRequest
from playbooks.opd_remove import REMOVE_NAME
from store import runs, sequences
from store.engine import Store
from store.runs import RunState


def write_installation_report(
    store: Store, inv: Inventory, run_id: int, directory: Path, langs: list[str], now: datetime
) -> list[Path]:
    """The Berita Acara Pemasangan of run ``run_id`` in ``directory``; the paths written.

    Raises:
        PlaybookError: the run is not a succeeded ``opd-add``.
    """
    run = runs.get(store, run_id)
    if run is None or run.playbook != ADD_NAME or run.state is not RunState.SUCCEEDED:
        raise PlaybookError(Msg("run {run} is not a succeeded opd add", run=run_id))
    request = OpdRequest(**run.params)
    facts = OpdFacts.model_validate(run.facts)
    assert facts.subnets is not None and facts.files is not None  # a succeeded run has both
    subnets = Subnets(**{role: ip_network(facts.subnets[role]) for role in ROLES})
    values = context(inv, request.new(), subnets)
    tz = ZoneInfo(inv.agency.timezone)
    confirmed = (run.ended_at or now).astimezone(tz)
    seq = sequences.take(store, "ba_pemasangan", confirmed.year)
    site = next((s for s in inv.sites if s.name == request.site), None)
    opd = next((o for o in inv.opds if o.slug == request.slug), None)
    p2p, lan = values["p2p"], values["lan"]
    data = InstallationData(
        number=report_number(inv, "ba_pemasangan", seq, confirmed, request.slug),
        run_id=run.id,
        by=run.started_by,
        confirmed_at=confirmed,
        opd=request.name,
        office=", ".join(filter(None, (request.site, site.address if site else request.address))),
        provider=request.provider,
        circuit_id=request.circuit_id,
        mbit=request.mbit,
        link=values["link"]["name"],
        p2p=p2p["network"],
        dc_end=f"{request.dc_device} {request.dc_interface} {values['dc']['address']}/{p2p['prefixlen']}",
        opd_end=f"{values['cpe']['device']} {request.cpe_wan} {values['cpe']['address']}/{p2p['prefixlen']}",
        lan=f"{lan['network']} ({lan['gateway']})",
        router=values["cpe"]["loopback"],
        routing=(values["routing"]["mode"], values["routing"]["area"]),
        device=request.dc_device,
        revert_seconds=request.revert_seconds,
        opd_file=Path(facts.files["opd"]).name,
        officer=inv.agency.people.officer,
        representative=opd.representative if opd else None,
        kabid=inv.agency.people.kabid,
        sop=inv.agency.sops.bandwidth.number,
    )
    kop = letterhead(inv)
    paths = []
    for lang in langs:
        stem = f"ba-pemasangan-{request.slug}-{run.id}.{lang}"
        md = render_installation(data, kop, lang, "md")
        paths += write_document(directory, stem, md, render_installation(data, kop, lang, "html"))
    return paths


def router_file(store: Store, slug: str) -> Path | None:
    """The OPD router's configuration of ``slug``'s connection (its last succeeded ``opd add``), for the
    technician to fetch from the status page; None if there is none, or the OPD was removed since."""
    added = [r for r in runs.of_playbook(store, ADD_NAME, (RunState.SUCCEEDED,)) if r.params.get("slug") == slug]
    if not added:
        return None
    last = max(added, key=lambda r: r.id)
    removed = runs.of_playbook(store, REMOVE_NAME, (RunState.SUCCEEDED,))
    if any(r.params.get("slug") == slug and r.id > last.id for r in removed):
        return None
    files = OpdFacts.model_validate(last.facts).files or {}
    path = Path(files["opd"]) if "opd" in files else None
    return path if path is not None and path.is_file() else None
