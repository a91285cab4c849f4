"""An OPD's connection taken away, as a playbook (``pantau opd remove``): the data center's side removed with
the same safety net as its addition (the revert the device arms puts it back unless pantau confirms), the
OPD's inventory entries taken out (the files as they were before ``opd add``), its subnets released.

survey → arm → apply → verify → confirm → inventory

Once the inventory is written the removal is rolled forward, never undone.
"""

from __future__ import annotations

from core.connection import context, link_name
from i18n import Msg
from inventory.errors import InventoryError
from inventory.models import Inventory
from platforms._render import render_config
from playbooks.effectors.configure import ConfigureError
from playbooks.engine import Playbook
from playbooks.errors import PlaybookError
from playbooks.opd_connect import (
    ROLES,
    ConnectDeps,
    Ctx,
    OpdFacts,
    OpdRequest,
    apply_change,
    arm_revert,
    configurators,
    confirm_change,
    inventory_edit,
    loader,
    need,
    remove_entries,
    rendered,
    step,
    subnets_of,
    undo_device,
)
from store import prefix_pools

REMOVE_NAME = "opd-remove"


def removal_request(inventory: Inventory, slug: str, output_dir: str, revert_seconds: int) -> OpdRequest:
    """``opd remove``'s request: the OPD's connection as the inventory holds it (what ``opd add`` wrote).

    Raises:
        InventoryError: no such OPD, or it has no WAN link.
    """
    opd = inventory.opd(slug)
    link = inventory.link_of(slug)
    return OpdRequest(
        slug=slug,
        output_dir=output_dir,
        name=opd.name,
        site=opd.site,
        provider=link.provider,
        circuit_id=link.circuit_id,
        mbit=link.subscribed_mbps,
        platform=inventory.device(link.cpe.device).platform,
        dc_device=link.dc.device,
        dc_interface=link.dc.interface,
        cpe_wan=link.cpe.interface,
        cpe_lan="",
        revert_seconds=revert_seconds,
    )


def survey(ctx: Ctx) -> str:
    """What is to be removed: the OPD's subnets from the store, and the data center's side rendered again
    (the removal's revert puts it back)."""
    inv, req = ctx.deps.inventory, ctx.request
    pools = need(ctx.deps.pools, "read the pools")
    held = {row.role: row.prefix for row in pools.live(req.slug)}
    if set(held) != set(ROLES):
        raise PlaybookError(
            Msg(
                "OPD {opd} was not connected by pantau opd add (subnets held: {held}); remove it by hand",
                opd=req.slug,
                held=", ".join(f"{k} {v}" for k, v in held.items()) or "none",
            )
        )
    shared_site = [o.slug for o in inv.opds if o.site == req.site and o.slug != req.slug]
    ctx.facts.subnets = held
    ctx.facts.removed = {"site": None if shared_site else req.site}
    ctx.keep()
    registry = need(ctx.deps.platforms, "render configurations")
    values = context(inv, req.new(), subnets_of(ctx.facts))
    platform = registry.get(inv.device(req.dc_device).platform).name
    ctx.facts.configs = {name: render_config(platform, name, values) for name in ("dc", "dc-remove")}
    ctx.keep()
    return f"{req.slug}: {', '.join(f'{k} {v}' for k, v in held.items())}"


def remove_arm(ctx: Ctx) -> str:
    return arm_revert(ctx, rendered(ctx, "dc"))


def remove_apply(ctx: Ctx) -> str:
    return apply_change(ctx, rendered(ctx, "dc-remove"))


def remove_verify(ctx: Ctx) -> str:
    conf = configurators(ctx)
    device = ctx.request.dc_device
    left = conf.provisioning(device).left(rendered(ctx, "dc"), conf.show(device))
    if left:
        raise ConfigureError(Msg("{device} still holds {lines}", device=device, lines="; ".join(left)))
    return f"{device}: the link's configuration is gone"


def undo_remove(ctx: Ctx) -> str | None:
    """Put the data center's side back (the revert did, or the removal's undo does)."""
    if ctx.facts.configs is None:
        return None
    missing = configurators(ctx).provisioning(ctx.request.dc_device).missing
    dc = rendered(ctx, "dc")
    return undo_device(ctx, rendered(ctx, "dc-remove"), dc, lambda _change, shown: missing(dc, shown))


def remove_inventory(ctx: Ctx) -> str:
    req = ctx.request
    ctx.facts.inventory_written = True  # from here the removal is rolled forward, never undone
    ctx.keep()
    site = (ctx.facts.removed or {}).get("site")
    try:
        with inventory_edit(ctx) as edit:
            remove_entries(edit, req.slug, req.dc_device, req.dc_interface, site)
            written = edit.commit(loader(ctx), ctx.breakpoint)
    except InventoryError as exc:
        raise PlaybookError(Msg("the inventory was not changed: {error}", error=str(exc))) from None
    ctx.breakpoint("written")
    pools = need(ctx.deps.pools, "release subnets")
    prefix_pools.clear_pending(ctx.store, link_name(req.slug))
    released = pools.release(req.slug, ctx.by)
    return f"{', '.join(p.name for p in written) or 'inventory unchanged'}; released {', '.join(released) or 'none'}"


OPD_REMOVE = Playbook[OpdRequest, ConnectDeps, OpdFacts](
    name=REMOVE_NAME,
    title="Pelepasan jaringan OPD",
    request=OpdRequest,
    facts=OpdFacts,
    steps=(
        step("survey", "Data jaringan OPD yang dilepas", 5, "prefiks dan konfigurasi", survey, None),
        step("arm", "Pasang pembatalan otomatis di perangkat", 5, "revert terpasang", remove_arm, undo_remove),
        step("apply", "Hapus konfigurasi sisi data center", 10, "konfigurasi diterima", remove_apply, None),
        step("verify", "Periksa konfigurasi sudah hilang", 5, "tidak ada baris tersisa", remove_verify, None),
        step("confirm", "Konfirmasi perubahan", 5, "revert dibatalkan", confirm_change, None),
        step(
            "inventory", "Perbarui inventaris dan lepaskan prefiks", 5, "inventaris tanpa OPD", remove_inventory, None
        ),
    ),
    finished=lambda facts: bool(facts.inventory_written),
    finish=remove_inventory,  # idempotent: a crash in it or after it leaves nothing held that recovery misses
)
