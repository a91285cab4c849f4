"""Every playbook by name (what ``pantau runs recover`` compensates a run of), and a runner of them all
with the services their steps act through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from collectors.iperf3 import wire_rate
from collectors.link_rate import two_polls
from collectors.probes import Probes
from inventory.models import Inventory
from platforms import Registry
from playbooks.colocate import COLOCATE, Services
from playbooks.decommission import DECOMMISSION
from playbooks.effectors.configure import Configurators
from playbooks.effectors.dns import DnsUpdater
from playbooks.effectors.shaper import Shapers
from playbooks.engine import Playbook, PlaybookRunner
from playbooks.live_check import dns_first, network_live_check
from playbooks.opd_connect import OPD_ADD
from playbooks.opd_remove import OPD_REMOVE
from playbooks.shaping import SHAPING
from playbooks.shaping_measure import transmit_rates
from store.allocations import Allocations
from store.engine import Store
from store.prefix_pools import Pools

PLAYBOOKS: dict[str, Playbook[Any, Any, Any]] = {
    p.name: p for p in (COLOCATE, DECOMMISSION, SHAPING, OPD_ADD, OPD_REMOVE)
}


def runner(
    store: Store,
    inventory: Inventory,
    inventory_dir: Path,
    probes: Probes,
    shapers: Shapers,
    live_check_timeout: float | None,
    platforms: Registry | None = None,
    configurators: Configurators | None = None,
    load_inventory: Callable[[Path], object] | None = None,
) -> PlaybookRunner[Services]:
    """A runner of every playbook (recovery undoes a run of any of them, so every one has what it needs);
    ``live_check_timeout`` None: no network check (ICMP, ARP) before an address is handed out."""
    dns = DnsUpdater(inventory, inventory_dir)
    live_check = None
    if live_check_timeout is not None:  # DNS first (its records say who holds an address), then the network
        live_check = dns_first(dns, network_live_check(inventory, probes, live_check_timeout))
    services = Services(
        inventory,
        dns,
        Allocations(store, inventory.prefixes),
        live_check,
        shapers,
        wire_rate,
        lambda links, window: transmit_rates(two_polls(probes.snmp, inventory, links, window), links),
        platforms,
        configurators,
        Pools(store),
        inventory_dir,
        load_inventory,
    )
    return PlaybookRunner[Services](store, PLAYBOOKS, services, inventory.agency.sops)
