"""The board: one entry per OPD link, as the status page and ``/api/links`` show it, in figures and codes
(the words are the page's, in its language). One agent makes every entry from its own snapshot; agents
sharing a store each make their share's and keep it in the store, and any agent's page merges the whole
board: its own entries fresh from memory, the others' from the store, and an entry no live agent has
renewed shown as ``unknown`` with the reason. Pure: the store's entries are given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from core.health import LinkState
from core.snapshot import Snapshot

#: the reason of a link whose entry no live agent renewed in time (its agent lost, none took it over yet)
STALE = "stale"
#: the reason of a link no agent has made an entry of yet
UNPOLLED = "not-polled"


@dataclass(frozen=True)
class Entry:
    """One link on the board: its state and why, since when (epoch seconds), its rates against the
    subscription, and the loss and round trip of its CPE's probe; ``agent`` polls it ('' when alone)."""

    link: str
    opd: str
    state: str
    reasons: tuple[str, ...] = ()
    cause: str = "none"
    since: float | None = None
    in_bps: float | None = None
    out_bps: float | None = None
    subscribed_bps: int = 0
    utilization: float | None = None
    loss: float | None = None
    rtt_ms: float | None = None
    agent: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        """An entry as the store keeps it; fields it does not know (a newer agent's) are left out."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["reasons"] = tuple(known.get("reasons") or ())
        return cls(**known)


def entries(snap: Snapshot, since: Mapping[str, float], agent: str = "") -> list[Entry]:
    """The entries of the links in ``snap`` (an agent's own: every link when it is alone)."""
    probes = {p.opd: p.result for p in snap.probes if p.kind == "cpe-wan" and p.opd}
    out = []
    for v in snap.links:
        probe = probes.get(v.opd)
        out.append(
            Entry(
                link=v.name,
                opd=v.opd,
                state=v.state.value,
                reasons=tuple(v.reasons),
                cause=v.cause,
                since=since.get(v.name),
                in_bps=v.receive_bps,
                out_bps=v.transmit_bps,
                subscribed_bps=v.subscribed_bps,
                utilization=v.peak_utilization(),
                loss=None if probe is None else probe.loss_ratio,
                rtt_ms=None if probe is None or probe.rtt_avg is None else round(probe.rtt_avg * 1000, 1),
                agent=agent,
            )
        )
    return out


@dataclass(frozen=True)
class Stored:
    """An entry as another agent last wrote it, and when (epoch seconds)."""

    entry: Entry
    observed_at: float


def merge(
    links: Iterable[tuple[str, str, int]], own: Iterable[Entry], stored: Iterable[Stored], now: float, fresh: float
) -> list[Entry]:
    """The whole board, in the order of ``links`` (name, OPD, subscribed bps: the inventory's): this agent's
    own entry of a link, else the store's when written within ``fresh`` seconds, else ``unknown`` (saying
    which agent last polled it, and since when nobody has)."""
    mine = {e.link: e for e in own}
    kept = {s.entry.link: s for s in stored}
    board = []
    for name, opd, subscribed in links:
        if name in mine:
            board.append(mine[name])
            continue
        got = kept.get(name)
        if got is None:
            board.append(Entry(name, opd, LinkState.UNKNOWN.value, (UNPOLLED,), subscribed_bps=subscribed))
        elif now - got.observed_at <= fresh:
            board.append(got.entry)
        else:
            e = got.entry
            board.append(Entry(name, opd, LinkState.UNKNOWN.value, (STALE,), since=got.observed_at,
                               subscribed_bps=subscribed, agent=e.agent))  # fmt: skip
    return board
