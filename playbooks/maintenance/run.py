"""Periodic network maintenance (Batam SOP 05): collect facts from every device of the chosen locations
(devices in parallel), run the checks against the previous run, keep configuration backups, store
the results and render a Berita Acara per location plus a summary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from collectors.probes import Probes
from core.checks import evaluate
from core.findings import DC, Result, Thresholds, location_of
from core.redact import redact
from i18n import Msg
from inventory.models import Device, Inventory
from playbooks.errors import PlaybookError
from playbooks.maintenance.collect import collect
from store import maintenance
from store.engine import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    run_id: int
    results: list[Result]
    locations: list[str]


def check_locations(inv: Inventory, chosen: list[str]) -> list[str]:
    """``chosen`` when every one is a location of the inventory (an OPD slug or pusat-data).

    Raises:
        PlaybookError: names the unknown ones and lists the locations.
    """
    every = locations(inv)
    unknown = [c for c in chosen if c not in every]
    if unknown:
        raise PlaybookError(
            Msg("unknown location(s) {unknown}; locations: {known}", unknown=", ".join(unknown), known=", ".join(every))
        )
    return chosen


def locations(inv: Inventory) -> list[str]:
    return [o.slug for o in inv.opds if inv.links_of(o.slug)] + [DC]


def devices_of(inv: Inventory, chosen: list[str]) -> list[Device]:
    """The devices whose checks land in ``chosen`` locations: an OPD's CPE, and the data-center devices
    when the data center or any OPD is chosen (an OPD's link and routes are checked at the core too)."""
    out = []
    for device in inv.devices:
        loc = location_of(inv, device)
        if loc in chosen or (loc == DC and any(c != DC for c in chosen) and device.name in _link_devices(inv)):
            out.append(device)
    return out


def _link_devices(inv: Inventory) -> set[str]:
    return {link.dc.device for link in inv.links}


# ---- the run ----------------------------------------------------------------------------------------
def run_maintenance(
    store: Store,
    inv: Inventory,
    probes: Probes,
    chosen: list[str] | None,
    by: str,
    trigger: str = "manual",
    plan: str | None = None,
    thresholds: Thresholds | None = None,
    timeout: float = 2.0,
    progress: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    *,
    redaction_key: bytes,
) -> Outcome:
    """Collect, check, and store one maintenance run over ``chosen`` locations (default: all); device
    configurations are kept and compared with their secrets hidden under ``redaction_key`` (this
    installation's: the same key every run, so an unchanged secret keeps its fingerprint)."""
    chosen = check_locations(inv, chosen or []) or locations(inv)
    if probes.known_hosts is None:
        raise PlaybookError(Msg("maintenance needs SSH: set known_hosts in pantau.yml (host keys are always checked)"))
    devices = devices_of(inv, chosen)
    names = [d.name for d in devices]
    key = redaction_key
    before = maintenance.previous_facts(store, names)
    # backups kept before secrets were hidden are hidden too before they are compared or shown
    configs_before = {}
    for name, text in maintenance.previous_configs(store, names).items():
        rules = probes.platforms.get(inv.device(name).platform).redaction
        if rules is not None:  # a platform whose secrets are unknown: its old backup is not shown either
            configs_before[name] = redact(rules, text, key)
    run_id = maintenance.start(store, trigger, chosen, plan, by)
    if on_start is not None:
        on_start(len(devices))
    try:
        facts, dns = asyncio.run(collect(inv, probes, devices, timeout, key, progress))
    except BaseException:
        maintenance.discard(store, run_id)  # nothing was checked: leave no half run behind
        raise
    results = [
        r for r in evaluate(inv, facts, before, configs_before, dns, thresholds or Thresholds()) if r.location in chosen
    ]
    maintenance.finish(store, run_id, facts.values(), configs_before, results)
    return Outcome(run_id, results, chosen)
