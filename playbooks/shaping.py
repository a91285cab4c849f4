"""A change of the OPDs' shaping with a safety net (SOP 13 langkah 4: the bandwidth map put on the shaper),
as a playbook:

read today's limits → arm the device's own revert → apply → verify → confirm

Every device's revert is armed before anything changes: a one-shot job or timer *on the device* that puts
the limits read in the first step back unless pantau confirms in time. A dead pantau, a dropped session or
a lock-out so ends on the old values by itself. The change is all or nothing: every device armed, every
change applied and verified (read back, and measured through the link where the inventory names an iperf3
server at the OPD), then every device confirmed. When a step fails, the undo lets the devices revert by
themselves, waits for their timers, reads them back and puts the old values back by hand only where a
device did not; ``pantau runs recover`` does the same for a run whose process died.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field

from i18n import Msg
from platforms import Limit
from playbooks.effectors.shaper import ShaperError, Shapers
from playbooks.engine import Facts, Playbook, RunContext, Step
from playbooks.errors import PlaybookError
from playbooks.shaping_measure import LinkRates, Meter, measure
from store import runs
from store.engine import Store
from store.runs import RunState

SHAPING_NAME = "bandwidth-change"
SOP13 = "bandwidth.shaper"  # the bandwidth map put in place (the agency's agency.sops names it)
#: SOP 13 allows 240 minutes to map the bandwidth and put it in place
ALLOWANCE = timedelta(minutes=240)
#: a confirmation is sent only this long before the device's timer ends, at the latest
CONFIRM_MARGIN = timedelta(seconds=3)
MBIT = 1_000_000


class ShapingDeps(Protocol):
    """What the steps of a shaping change act through."""

    @property
    def shapers(self) -> Shapers | None: ...

    @property
    def meter(self) -> Meter | None: ...

    @property
    def link_rates(self) -> LinkRates | None: ...


@dataclass(frozen=True)
class ShapingRequest:
    """What staff ask for with ``pantau bandwidth set`` or ``bandwidth apply``: each OPD's new ceiling (and
    guarantee), the device's revert timer, the approved plan it comes from, and when a boost ends."""

    changes: list[dict[str, Any]]  # [{"opd": slug, "ceiling_bps": int, "guaranteed_bps": int | None}]
    revert_seconds: int = 120
    plan_id: int | None = None
    until: str | None = None  # ISO 8601: the agent puts the values read before back then (a boost)
    restores_run: int | None = None  # the boost whose end this run is
    measure: bool = True  # measure: iperf3 where the link names a server, else the link's SNMP counters
    window_seconds: int = 30  # the SNMP window of a link without an iperf3 server

    def wanted(self) -> dict[str, tuple[int, int | None]]:
        return {c["opd"]: (int(c["ceiling_bps"]), c.get("guaranteed_bps")) for c in self.changes}


class Rate(BaseModel):
    """A queue's limit as kept in the run's facts."""

    ceiling_bps: int
    guaranteed_bps: int | None = None

    @classmethod
    def of(cls, limit: Limit) -> Rate:
        return cls(ceiling_bps=limit.ceiling_bps, guaranteed_bps=limit.guaranteed_bps)

    def limit(self, queue: str) -> Limit:
        return Limit(queue, self.ceiling_bps, self.guaranteed_bps)

    def __str__(self) -> str:
        if self.guaranteed_bps is None or self.guaranteed_bps == self.ceiling_bps:
            return f"{self.ceiling_bps / MBIT:g} Mbit/s"
        return f"{self.guaranteed_bps / MBIT:g}/{self.ceiling_bps / MBIT:g} Mbit/s"


class QueueChange(BaseModel):
    opd: str
    queue: str
    before: Rate
    after: Rate


class DeviceChange(BaseModel):
    """One device's part of the change, each field kept before the action it describes."""

    device: str
    token: str  # names the revert armed on the device
    queues: list[QueueChange]
    revert_seconds: int
    armed_until: datetime | None = None  # set before the revert is sent: the device restores by then
    applying: bool | None = None
    confirmed: bool | None = None

    def restore(self) -> tuple[Limit, ...]:
        return tuple(q.before.limit(q.queue) for q in self.queues)

    def new(self) -> tuple[Limit, ...]:
        return tuple(q.after.limit(q.queue) for q in self.queues)


class ShapingFacts(Facts):
    devices: list[DeviceChange] = Field(default_factory=list)
    measured: dict[str, float] = Field(default_factory=dict)  # OPD -> bit/s on the wire after the change
    undoing: bool | None = None  # kept as the undo starts: a run being undone is never rolled forward

    def finished(self) -> bool:
        """Every device confirmed and nothing being undone: the change is complete."""
        return bool(self.devices) and all(d.confirmed for d in self.devices) and not self.undoing


Change = RunContext[ShapingRequest, ShapingDeps, ShapingFacts]


def _shapers(ctx: Change) -> Shapers:
    if ctx.deps.shapers is None:
        raise PlaybookError(Msg("no shaper is wired: set known_hosts in pantau.yml (SSH host keys are checked)"))
    return ctx.deps.shapers


def _now() -> datetime:
    return datetime.now(UTC)


# ---- the steps -----------------------------------------------------------------------------------
def plan_devices(
    shapers: Shapers, request: ShapingRequest, read: Callable[[str, list[str]], dict[str, Limit]]
) -> list[DeviceChange]:
    """Each device's part of ``request``, with today's limits as ``read`` gives them (``read`` may be the
    device's, or a dry run's)."""
    by_device: dict[str, list[tuple[str, str, int, int | None]]] = {}
    for opd, (ceiling, guaranteed) in sorted(request.wanted().items()):
        for place in shapers.places(opd):
            by_device.setdefault(place.device, []).append((opd, place.queue, ceiling, guaranteed))
    out = []
    for device, wanted in sorted(by_device.items()):
        shaper = shapers.shaper(device)
        today = read(device, [q for _, q, _, _ in wanted])
        queues = []
        for opd, queue, ceiling, guaranteed in wanted:
            before = today[queue]
            after = Rate(
                ceiling_bps=shaper.rounded(ceiling),
                guaranteed_bps=_guarantee(shaper.rounded, before, ceiling, guaranteed),
            )
            queues.append(QueueChange(opd=opd, queue=queue, before=Rate.of(before), after=after))
        token = f"r{uuid.uuid4().hex[:10]}"
        out.append(
            DeviceChange(
                device=device, token=token, queues=queues, revert_seconds=shaper.revert.seconds(request.revert_seconds)
            )
        )
    return out


# ---- boosts: a change with an end -----------------------------------------------------------------
def _boost_facts(run: runs.RunRecord) -> ShapingFacts:
    return ShapingFacts.model_validate(run.facts)


def _still_boosted(store: Store, boost_id: int, devices: list[DeviceChange]) -> tuple[list[DeviceChange], list[str]]:
    """The queues whose limits are still what the boost ``boost_id`` set (the others were changed since, by
    someone or something else, and its end leaves them as they are), and a note per queue left."""
    boost = runs.get(store, boost_id)
    if boost is None:
        raise PlaybookError(Msg("no run {run}; see pantau runs list", run=boost_id))
    boosted = {(d.device, q.queue): q.after for d in _boost_facts(boost).devices for q in d.queues}
    kept, left = [], []
    for device in devices:
        queues = []
        for q in device.queues:
            set_by_boost = boosted.get((device.device, q.queue))
            if set_by_boost is not None and _same(q.before.limit(q.queue), set_by_boost):
                queues.append(q)
            else:
                left.append(f"{q.opd} {q.queue}: {q.before}, diubah sejak run {boost_id} (changed since): dibiarkan")
        if queues:
            kept.append(device.model_copy(update={"queues": queues}))
    return kept, left


def _guarantee(rounded: Callable[[float], int], before: Limit, ceiling: int, wanted: int | None) -> int | None:
    """The guarantee to set: the one asked for, else today's; never above the ceiling. None on a device
    that keeps none (a Cisco shaper caps only)."""
    if before.guaranteed_bps is None:
        return None
    return min(rounded(wanted if wanted is not None else before.guaranteed_bps), rounded(ceiling))


def _one_at_a_time(ctx: Change) -> None:
    """Refuse while another change of the shapers is running: its revert would put back values this one
    changed, or this one's those it changed.

    Raises:
        PlaybookError: names the other run.
    """
    others = [
        r
        for r in runs.of_playbook(ctx.store, SHAPING_NAME, (RunState.RUNNING, RunState.RECOVERING))
        if r.id != ctx.run_id
    ]
    if others:
        other = others[0]
        raise PlaybookError(
            Msg(
                "run {run} (by {by}) is changing the shapers now: wait for it to end; if its process died, "
                "pantau runs recover finishes it",
                run=other.id,
                by=other.started_by,
            )
        )


def _read(ctx: Change) -> str:
    _one_at_a_time(ctx)
    shapers = _shapers(ctx)
    devices = plan_devices(shapers, ctx.request, shapers.read)
    left: list[str] = []
    if ctx.request.restores_run is not None:
        devices, left = _still_boosted(ctx.store, ctx.request.restores_run, devices)
    ctx.facts.devices = devices
    ctx.keep()
    if not devices:
        return "tidak ada yang diubah: " + "; ".join(left)
    return "; ".join(
        left + [f"{q.opd} {d.device} {q.queue}: {q.before} → {q.after}" for d in ctx.facts.devices for q in d.queues]
    )


def _arm(ctx: Change) -> str:
    shapers = _shapers(ctx)
    armed = []
    for device in ctx.facts.devices:
        shaper = shapers.shaper(device.device)
        # kept first: from here a crash is undone by waiting for this deadline
        device.armed_until = _now() + timedelta(seconds=device.revert_seconds)
        ctx.keep()
        ctx.breakpoint(f"arming-{device.device}")
        shapers.send(device.device, shaper.revert.arm(device.token, device.revert_seconds, device.restore()))
        armed.append(f"{device.device} ({device.revert_seconds} s)")
    return "revert terpasang di perangkat: " + ", ".join(armed)


def _apply(ctx: Change) -> str:
    shapers = _shapers(ctx)
    for device in ctx.facts.devices:
        shaper = shapers.shaper(device.device)
        device.applying = True
        ctx.keep()
        ctx.breakpoint(f"applying-{device.device}")
        lines = [line for limit in device.new() for line in shaper.set_lines(limit)]
        shapers.send(device.device, [*lines, *shaper.revert.close])
        ctx.breakpoint(f"applied-{device.device}")
    return f"{sum(len(d.queues) for d in ctx.facts.devices)} antrean diubah"


def _same(got: Limit, want: Rate) -> bool:
    if got.ceiling_bps != want.ceiling_bps:
        return False
    return want.guaranteed_bps is None or got.guaranteed_bps is None or got.guaranteed_bps == want.guaranteed_bps


def _read_back(shapers: Shapers, device: DeviceChange, which: str) -> list[str]:
    """The queues of ``device`` that do not hold their ``which`` ("after" or "before") values now."""
    now = shapers.read(device.device, [q.queue for q in device.queues])
    return [
        f"{q.queue} {Rate.of(now[q.queue])} (want {getattr(q, which)})"
        for q in device.queues
        if not _same(now[q.queue], getattr(q, which))
    ]


def _verify(ctx: Change) -> str:
    shapers = _shapers(ctx)
    notes = []
    for device in ctx.facts.devices:
        wrong = _read_back(shapers, device, "after")
        if wrong:
            raise ShaperError(
                Msg("{device} does not hold the new limits: {wrong}", device=device.device, wrong="; ".join(wrong))
            )
    notes.append("dibaca ulang: sesuai")
    if ctx.request.measure:

        def record(opd: str, bps: float) -> None:
            ctx.facts.measured[opd] = bps
            ctx.keep()

        changed = [(q.opd, q.after.ceiling_bps) for d in ctx.facts.devices for q in d.queues]
        deps = ctx.deps
        notes += measure(changed, shapers.inventory, deps.meter, deps.link_rates, ctx.request.window_seconds, record)
    return "; ".join(notes)


def _confirm(ctx: Change) -> str:
    shapers = _shapers(ctx)
    for device in ctx.facts.devices:
        assert device.armed_until is not None
        if _now() > device.armed_until - CONFIRM_MARGIN:
            raise ShaperError(
                Msg(
                    "{device}: too late to confirm ({seconds} s revert timer); the device puts the old limits back "
                    "by itself; give a longer --revert-after",
                    device=device.device,
                    seconds=device.revert_seconds,
                )
            )
        ctx.breakpoint(f"confirming-{device.device}")
        shapers.send(device.device, shapers.shaper(device.device).revert.confirm(device.token))
        device.confirmed = True
        ctx.keep()
    for device in ctx.facts.devices:  # a revert that fired before its confirmation shows here
        wrong = _read_back(shapers, device, "after")
        if wrong:
            raise ShaperError(
                Msg(
                    "{device} lost the new limits at the confirmation: {wrong}",
                    device=device.device,
                    wrong="; ".join(wrong),
                )
            )
    return "dikonfirmasi; revert dibatalkan"


def _restore(ctx: Change) -> str | None:
    """Undo: every armed device ends on the limits read before. A device whose revert is pending is left to
    fire it (wait for its timer, then read it back); one that holds other values after that (confirmed,
    or its job lost) is set back by hand.

    Raises:
        SshError, ShaperError: a device cannot be read or set back; the run stays broken for recovery.
    """
    shapers = _shapers(ctx)
    ctx.facts.undoing = True
    ctx.keep()
    notes = []
    for device in ctx.facts.devices:
        if device.armed_until is None:
            continue
        if not device.confirmed:
            wait = (device.armed_until - _now()).total_seconds() + 2.0
            if wait > 0:
                time.sleep(wait)
        wrong = _read_back(shapers, device, "before")
        if not wrong:
            notes.append(f"{device.device}: dikembalikan oleh perangkat sendiri")
            continue
        shaper = shapers.shaper(device.device)
        shapers.send(device.device, [line for limit in device.restore() for line in shaper.set_lines(limit)])
        still = _read_back(shapers, device, "before")
        if still:
            raise ShaperError(
                Msg("{device} does not take the old limits back: {wrong}", device=device.device, wrong="; ".join(still))
            )
        notes.append(f"{device.device}: dikembalikan oleh pantau ({'; '.join(wrong)})")
    return "; ".join(notes) or None


def dry_run_lines(
    shapers: Shapers, request: ShapingRequest, read: Callable[[str, list[str]], dict[str, Limit]] | None = None
) -> list[dict[str, Any]]:
    """What a run of ``request`` would send, per device: today's limits (as ``read`` gives them; default:
    read from the device) and the new ones, and the exact lines: arm the revert, set the limits, confirm."""
    out = []
    for device in plan_devices(shapers, request, read or shapers.read):
        shaper = shapers.shaper(device.device)
        revert = shaper.revert
        lines = [
            *revert.arm(device.token, device.revert_seconds, device.restore()),
            *(line for limit in device.new() for line in shaper.set_lines(limit)),
            *revert.close,
            *revert.confirm(device.token),
        ]
        queues = [
            {"opd": q.opd, "queue": q.queue, "before": str(q.before), "after": str(q.after)} for q in device.queues
        ]
        out.append({"device": device.device, "queues": queues, "commands": lines})
    return out


def _step(
    name: str,
    title: str,
    output: str,
    action: Callable[[Change], str],
    compensate: Callable[[Change], str | None] | None = None,
) -> Step[ShapingRequest, ShapingDeps, ShapingFacts]:
    return Step(name, title, SOP13, ALLOWANCE, output, action, compensate)


SHAPING = Playbook(
    SHAPING_NAME,
    "Perubahan bandwidth OPD di shaper (bandwidth change)",
    ShapingRequest,
    ShapingFacts,
    (
        _step("read", "Baca batas bandwidth saat ini", "batas lama tercatat", _read),
        _step("arm", "Pasang revert otomatis di perangkat", "revert terpasang", _arm, _restore),
        _step("apply", "Terapkan batas baru", "batas baru terpasang", _apply),
        _step("verify", "Verifikasi (baca ulang, ukur)", "batas baru berlaku", _verify),
        _step("confirm", "Konfirmasi, batalkan revert", "perubahan tetap", _confirm),
    ),
    finished=ShapingFacts.finished,
)
