"""A new OPD connected, as a playbook: its subnets carved from the IP plan's pools, both ends' configuration
rendered, the data center's side pushed with a revert the device performs by itself, the agency's
inventory files updated, and the link watched as ``pending`` until the OPD's router answers.

allocate → render → arm → apply → verify → confirm → monitor → inventory

The OPD's side is a file for the technician who installs the router. :mod:`playbooks.opd_remove` undoes it
all.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any, Protocol, TypeVar

from core.connection import NewOpd, Subnets, check_new, context, cpe_name, link_name, pool_names, records
from core.errors import RuleError
from i18n import Msg
from inventory.editor import InventoryEdit
from inventory.errors import InventoryError
from inventory.models import Inventory, Prefix
from inventory.pools import Network, carve, taken_in
from platforms import PlatformError, Registry
from platforms._render import render_config
from playbooks.effectors.configure import Configurators, ConfigureError
from playbooks.engine import Facts, Playbook, RunContext, Step
from playbooks.errors import PlaybookError
from store import prefix_pools
from store.prefix_pools import Pools

ADD_NAME = "opd-add"
SOP = "bandwidth.delivery"  # the provider delivers the OPD's bandwidth: the link is connected and monitored
CONFIRM_MARGIN = timedelta(seconds=3)
ROLES = ("p2p", "lan", "loopback")
T = TypeVar("T")


class ConnectDeps(Protocol):
    """What the steps of a connection act through."""

    @property
    def inventory(self) -> Inventory: ...

    @property
    def platforms(self) -> Registry | None: ...

    @property
    def configurators(self) -> Configurators | None: ...

    @property
    def pools(self) -> Pools | None: ...

    @property
    def inventory_dir(self) -> Path | None: ...

    @property
    def load_inventory(self) -> Callable[[Path], object] | None: ...


@dataclass(frozen=True)
class OpdRequest:
    """``pantau opd add`` (all fields) and ``pantau opd remove`` (the slug, the output folder, the timer)."""

    slug: str
    output_dir: str
    name: str = ""
    site: str = ""
    address: str | None = None
    provider: str = ""
    circuit_id: str = ""
    mbit: int = 0
    platform: str = ""
    dc_device: str = ""
    dc_interface: str = ""
    cpe_wan: str = ""
    cpe_lan: str = ""
    contact_name: str | None = None
    contact_phone: str | None = None
    revert_seconds: int = 120

    def new(self) -> NewOpd:
        fields = {k: v for k, v in asdict(self).items() if k not in ("output_dir", "revert_seconds")}
        return NewOpd(**fields)


class OpdFacts(Facts):
    subnets: dict[str, str] | None = None  # role -> the subnet claimed
    files: dict[str, str] | None = None  # dc, dc-remove, opd -> the rendered file
    configs: dict[str, str] | None = None  # dc, dc-remove -> the configuration text itself
    token: str | None = None
    armed_until: datetime | None = None
    applying: bool | None = None
    confirmed: bool | None = None
    inventory_written: bool | None = None
    inventory_done: bool | None = None  # the last step: from here the connection is rolled forward
    new_site: bool | None = None  # the OPD's site was added with it (and is removed with it)
    pending: bool | None = None
    #: opd-remove: the OPD's site, when no other OPD is there (it goes with the OPD)
    removed: dict[str, Any] | None = None


Ctx = RunContext[OpdRequest, ConnectDeps, OpdFacts]


def need(value: T | None, what: str) -> T:
    if value is None:
        raise PlaybookError(Msg("this process cannot {what}: the composition root gave it no means", what=what))
    return value


def subnets_of(facts: OpdFacts) -> Subnets:
    assert facts.subnets is not None
    return Subnets(**{role: ip_network(facts.subnets[role]) for role in ROLES})


def rendered(ctx: Ctx, name: str) -> str:
    """The data center's side (``dc``) or its removal (``dc-remove``), as the run rendered it."""
    assert ctx.facts.configs is not None
    return ctx.facts.configs[name]


# ---- allocate ------------------------------------------------------------------------------------
def _clear_of(pool: Prefix, used: list[Network], live: list[Network]) -> Network:
    """The first subnet of ``pool`` clear of what the inventory uses and what the store holds live."""
    return carve(pool, [*used, *live])


def allocate(ctx: Ctx) -> str:
    inv, req = ctx.deps.inventory, ctx.request
    try:
        check_new(inv, req.new())
        names = pool_names(inv)
    except RuleError as exc:
        raise PlaybookError(exc.args[0]) from None
    pools = need(ctx.deps.pools, "claim subnets")
    got: dict[str, str] = {}
    for role in ROLES:
        pool = next(p for p in inv.prefixes if p.name == names[role])
        used = taken_in(inv, pool)
        got[role] = pools.claim(pool, req.slug, role, ctx.by, ctx.run_id, functools.partial(_clear_of, pool, used))
        ctx.facts.subnets = dict(got)
        ctx.keep()
    return ", ".join(f"{role} {subnet}" for role, subnet in got.items())


def release(ctx: Ctx) -> str | None:
    pools = need(ctx.deps.pools, "release subnets")
    released = pools.release(ctx.request.slug, ctx.by, ctx.run_id)
    return f"released {', '.join(released)}" if released else None


# ---- render --------------------------------------------------------------------------------------
def render(ctx: Ctx) -> str:
    """Both ends' configuration: kept in the facts (the data center's side, which recovery may need to take
    back) and written as files (the router's for the technician)."""
    inv, req = ctx.deps.inventory, ctx.request
    registry = need(ctx.deps.platforms, "render configurations")
    values = context(inv, req.new(), subnets_of(ctx.facts))
    folder = Path(req.output_dir)
    try:
        dc_platform = registry.get(inv.device(req.dc_device).platform).name
        texts = {
            name: (platform, render_config(platform, template, values))
            for name, platform, template in (
                ("dc", dc_platform, "dc"),
                ("dc-remove", dc_platform, "dc-remove"),
                ("opd", registry.get(req.platform).name, "opd"),
            )
        }
    except PlatformError as exc:  # a template the platform lacks, or a value it needs
        raise PlaybookError(Msg("rendering the configuration failed: {error}", error=str(exc))) from None
    files = {name: str(folder / f"{req.slug}-{name}.{platform}.conf") for name, (platform, _) in texts.items()}
    ctx.facts.files = files
    ctx.facts.configs = {name: text for name, (_, text) in texts.items() if name != "opd"}
    ctx.keep()
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, text) in texts.items():
        Path(files[name]).write_text(text, encoding="utf-8")
    return f"{files['dc']}; for the OPD's router: {files['opd']}"


def unrender(ctx: Ctx) -> str | None:
    for path in (ctx.facts.files or {}).values():
        Path(path).unlink(missing_ok=True)
    return None


# ---- the data center's side, with its revert ---------------------------------------------------------
def configurators(ctx: Ctx) -> Configurators:
    return need(ctx.deps.configurators, "configure devices")


def arm_revert(ctx: Ctx, undo: str) -> str:
    conf = configurators(ctx)
    device = ctx.request.dc_device
    prov = conf.provisioning(device)
    assert prov.revert is not None
    seconds = prov.revert.seconds(ctx.request.revert_seconds)
    ctx.facts.token = f"opd-{uuid.uuid4().hex[:12]}"
    ctx.facts.armed_until = datetime.now(UTC) + timedelta(seconds=seconds)
    ctx.keep()
    conf.send(device, prov.revert.arm(ctx.facts.token, seconds, undo))
    return f"{device}: puts the configuration back by itself at {ctx.facts.armed_until:%H:%M:%S} UTC unless confirmed"


def apply_change(ctx: Ctx, change: str) -> str:
    conf = configurators(ctx)
    device = ctx.request.dc_device
    prov = conf.provisioning(device)
    assert prov.apply is not None and ctx.facts.token is not None
    ctx.facts.applying = True
    ctx.keep()
    ctx.breakpoint("sending")
    conf.send(device, prov.apply(f"{ctx.facts.token}-c", change))
    return f"{device}: {len([ln for ln in change.splitlines() if ln.strip()])} lines applied"


def confirm_change(ctx: Ctx) -> str:
    conf = configurators(ctx)
    device = ctx.request.dc_device
    prov = conf.provisioning(device)
    assert prov.revert is not None and ctx.facts.token is not None and ctx.facts.armed_until is not None
    if datetime.now(UTC) > ctx.facts.armed_until - CONFIRM_MARGIN:
        raise PlaybookError(
            Msg(
                "{device}: too late to confirm, its revert is due; run again with a longer --revert-after",
                device=device,
            )
        )
    conf.send(device, prov.revert.confirm(ctx.facts.token))
    ctx.facts.confirmed = True
    ctx.keep()
    return f"{device}: confirmed"


def undo_device(ctx: Ctx, change: str, undo: str, left: Callable[[str, str], list[str]]) -> str | None:
    """Take the data center's side back: after a confirmation by sending ``undo``; before it, by letting the
    device's own revert fire, then reading back and sending ``undo`` only where something was left."""
    facts = ctx.facts
    if facts.token is None or facts.armed_until is None:
        return None
    conf = configurators(ctx)
    device = ctx.request.dc_device
    prov = conf.provisioning(device)
    assert prov.apply is not None
    if not facts.confirmed:
        wait = (facts.armed_until - datetime.now(UTC)).total_seconds() + CONFIRM_MARGIN.total_seconds()
        if wait > 0:
            time.sleep(wait)
        remaining = left(change, conf.show(device))
        if not remaining:
            return f"{device}: reverted by itself"
    conf.send(device, prov.apply(f"{facts.token}-u", undo))
    remaining = left(change, conf.show(device))
    if remaining:
        raise ConfigureError(
            Msg(
                "{device} still holds {lines} after the undo; remove them by hand",
                device=device,
                lines="; ".join(remaining),
            )
        )
    return f"{device}: taken back"


def arm(ctx: Ctx) -> str:
    return arm_revert(ctx, rendered(ctx, "dc-remove"))


def apply(ctx: Ctx) -> str:
    return apply_change(ctx, rendered(ctx, "dc"))


def verify(ctx: Ctx) -> str:
    conf = configurators(ctx)
    device = ctx.request.dc_device
    missing = conf.provisioning(device).missing(rendered(ctx, "dc"), conf.show(device))
    if missing:
        raise ConfigureError(
            Msg("{device} does not hold what was sent: {lines}", device=device, lines="; ".join(missing))
        )
    return f"{device}: every line read back"


def undo_add(ctx: Ctx) -> str | None:
    if ctx.facts.configs is None:
        return None
    conf = configurators(ctx)
    left = conf.provisioning(ctx.request.dc_device).left
    return undo_device(ctx, rendered(ctx, "dc"), rendered(ctx, "dc-remove"), left)


# ---- the inventory and the watch -----------------------------------------------------------------
def inventory_edit(ctx: Ctx) -> InventoryEdit:
    return InventoryEdit(need(ctx.deps.inventory_dir, "edit the inventory"))


def loader(ctx: Ctx) -> Callable[[Path], object]:
    return need(ctx.deps.load_inventory, "validate the inventory")


def _add_entries(edit: InventoryEdit, entries: Mapping[str, Any], dc_device: str) -> None:
    for section in ("sites", "opds", "devices", "links"):
        if section in entries:
            edit.append(section, entries[section])
    for prefix in entries["prefixes"]:
        edit.append("prefixes", prefix)
    edit.append_within("devices", "name", dc_device, "interfaces", entries["core-interface"])


def remove_entries(edit: InventoryEdit, slug: str, dc_device: str, dc_interface: str, site: str | None) -> None:
    edit.remove("opds", lambda i: i.get("slug") == slug)
    edit.remove("links", lambda i: i.get("opd") == slug)
    edit.remove("devices", lambda i: i.get("opd") == slug and i.get("role") == "cpe")
    edit.remove("prefixes", lambda i: i.get("opd") == slug)
    edit.remove_within("devices", "name", dc_device, "interfaces", lambda i: i.get("name") == dc_interface)
    if site is not None:
        edit.remove("sites", lambda i: i.get("name") == site)


def write_inventory(ctx: Ctx) -> str:
    inv, req = ctx.deps.inventory, ctx.request
    entries = records(inv, req.new(), subnets_of(ctx.facts))
    ctx.facts.inventory_written = True  # before: a crash in the write is undone by the removal (idempotent)
    ctx.facts.new_site = "sites" in entries
    ctx.keep()
    try:
        with inventory_edit(ctx) as edit:
            _add_entries(edit, entries, req.dc_device)
            written = edit.commit(loader(ctx), ctx.breakpoint)
    except InventoryError as exc:
        raise PlaybookError(Msg("the inventory was not changed: {error}", error=str(exc))) from None
    ctx.facts.inventory_done = True
    ctx.keep()
    return ", ".join(p.name for p in written)


def unwrite_inventory(ctx: Ctx) -> str | None:
    if not ctx.facts.inventory_written:
        return None
    req = ctx.request
    with inventory_edit(ctx) as edit:
        remove_entries(edit, req.slug, req.dc_device, req.dc_interface, req.site if ctx.facts.new_site else None)
        written = edit.commit(loader(ctx))
    return f"removed from {', '.join(p.name for p in written)}" if written else None


def monitor(ctx: Ctx) -> str:
    prefix_pools.mark_pending(ctx.store, link_name(ctx.request.slug), ctx.request.slug, ctx.run_id)
    ctx.facts.pending = True
    ctx.keep()
    return f"{link_name(ctx.request.slug)} pending until {cpe_name(ctx.request.slug)} answers"


def unmonitor(ctx: Ctx) -> str | None:
    prefix_pools.clear_pending(ctx.store, link_name(ctx.request.slug))
    return None


def step(
    name: str,
    title: str,
    minutes: int,
    expected: str,
    action: Callable[[Ctx], str],
    undo: Callable[[Ctx], str | None] | None,
) -> Step[OpdRequest, ConnectDeps, OpdFacts]:
    return Step(name, title, SOP, timedelta(minutes=minutes), expected, action, undo)


OPD_ADD = Playbook[OpdRequest, ConnectDeps, OpdFacts](
    name=ADD_NAME,
    title="Pemasangan jaringan OPD baru",
    request=OpdRequest,
    facts=OpdFacts,
    steps=(
        step("allocate", "Alokasi prefiks dari pool", 10, "prefiks p2p, LAN dan loopback", allocate, release),
        step("render", "Susun konfigurasi kedua sisi", 10, "berkas konfigurasi", render, unrender),
        step("arm", "Pasang pembatalan otomatis di perangkat", 5, "revert terpasang", arm, undo_add),
        step("apply", "Terapkan konfigurasi sisi data center", 10, "konfigurasi diterima", apply, None),
        step("verify", "Periksa konfigurasi terbaca kembali", 5, "semua baris ada", verify, None),
        step("confirm", "Konfirmasi perubahan", 5, "revert dibatalkan", confirm_change, None),
        step("monitor", "Daftarkan pemantauan", 5, "tautan menunggu router OPD", monitor, unmonitor),
        step("inventory", "Perbarui inventaris", 5, "berkas inventaris divalidasi", write_inventory, unwrite_inventory),
    ),
    finished=lambda facts: bool(facts.inventory_done),
)
