"""One triage of one OPD as every caller runs it (``pantau triage``, the ticket steps, the status page):
gather the facts, decide the verdict, time it. And the provider's evidence pack from what the agent already
knows, for the link's page."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from collectors.probes import Probes
from core.health import HealthThresholds
from core.snapshot import Snapshot
from core.sop import cite
from core.topology import opd_of
from inventory.errors import UnknownName
from inventory.models import Inventory, Link
from playbooks.triage.decide import (
    DEFAULT_THRESHOLDS,
    Diagnosis,
    EvidencePack,
    LinkFacts,
    TriageFacts,
    decide,
    evidence_pack,
)
from playbooks.triage.gather import fill_history, gather
from store import targets
from store.engine import Store


class Triage:
    """Triage as one process runs it: its inventory, probes, store and thresholds, given once (by the
    composition root) and shared by the CLI, the ticket steps and the status page."""

    def __init__(
        self,
        inv: Inventory,
        probes: Probes,
        store: Store | None,
        *,
        timeout: float = 2.0,
        tz: str = "Asia/Jakarta",
        thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.inv, self.probes, self.store = inv, probes, store
        self.timeout, self.tz, self.thresholds = timeout, tz, thresholds

    def opd_of(self, what: str) -> str:
        """The OPD ``what`` names: its slug, an address or host name of the OPD, or a server a playbook
        registered (its name, short name or address).

        Raises:
            UnknownName: none of these.
        """
        try:
            return opd_of(self.inv, what)
        except UnknownName:
            if self.store is not None:
                for target in targets.all_targets(self.store):
                    if what in (target.name, target.name.split(".")[0], target.address) and target.opd:
                        return target.opd
            raise

    async def diagnose(self, opd: str, progress: Callable[[str, str], None] | None = None) -> tuple[Diagnosis, float]:
        """The diagnosis of ``opd`` and the seconds it took; ``progress(probe, what)`` hears each probe."""
        return await diagnose(
            self.inv,
            self.probes,
            opd,
            self.store,
            timeout=self.timeout,
            tz=self.tz,
            thresholds=self.thresholds,
            progress=progress,
        )

    def recorded_pack(self, link: Link, snap: Snapshot) -> EvidencePack:
        """The provider's evidence pack of ``link`` from the agent's records (:func:`recorded_pack`)."""
        if self.store is None:
            raise ValueError("the evidence pack is read from the store; this triage has none")
        return recorded_pack(self.store, link, snap, self.tz, self.thresholds)


async def diagnose(
    inv: Inventory,
    probes: Probes,
    opd: str,
    store: Store | None,
    *,
    timeout: float = 2.0,
    tz: str = "Asia/Jakarta",
    thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
    progress: Callable[[str, str], None] | None = None,
) -> tuple[Diagnosis, float]:
    """The diagnosis of ``opd`` and the seconds it took; ``progress(probe, what)`` hears each probe."""
    start = time.monotonic()
    facts = await gather(inv, probes, opd, store, timeout=timeout, tz=tz, thresholds=thresholds, progress=progress)
    diagnosis = decide(inv, facts, thresholds)
    # the next step names the agency's procedure, not the seed documents' (agency.sops)
    diagnosis = dataclasses.replace(diagnosis, next_step=cite(diagnosis.next_step, inv.agency.sops))
    return diagnosis, time.monotonic() - start


def recorded_pack(
    store: Store,
    link: Link,
    snap: Snapshot,
    tz: str = "Asia/Jakarta",
    thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
) -> EvidencePack:
    """The evidence pack for the provider of ``link`` (SOP 15 step 4) from the agent's last poll and its
    records, without probing anything: the port's state, the loss and RTT of the CPE now, the outage start,
    the last good period, the flaps of 24 hours and the last hour's timeline. Triage's own pack is fresher
    (it dates a port-down outage from the port's ifLastChange)."""
    view = next((v for v in snap.links if v.name == link.name), None)
    probe = next((p.result for p in snap.probes if p.kind == "cpe-wan" and p.opd == link.opd), None)
    mine = LinkFacts(
        link.name,
        link.opd,
        port_up=None if view is None else view.oper_up,
        wan_loss=None if probe is None else probe.loss_ratio,
        wan_rtt=None if probe is None else probe.rtt_avg,
    )
    facts = TriageFacts(link.opd, links={link.name: mine})
    now = datetime.now(ZoneInfo(tz))
    facts.collected_at = datetime.fromtimestamp(snap.timestamp, ZoneInfo(tz)) if snap.timestamp else None
    fill_history(store, facts, link, now, thresholds.loss_degraded)
    return evidence_pack(link, mine, facts)
