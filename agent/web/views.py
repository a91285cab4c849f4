"""What the status page shows, from the board (:mod:`core.board`): one row per OPD link, and the cause
shown once at the top when the data center's core or upstream is down for all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.board import STALE, UNPOLLED, Entry
from core.snapshot import Snapshot
from exporters.naskah import clock, long_date
from i18n import Msg, in_language

#: a link's state in words (its value stays in ``state``)
WORDS = {
    "up": Msg("up"),
    "degraded": Msg("degraded"),
    "down": Msg("down"),
    "unknown": Msg("unknown"),
    "pending": Msg("pending"),
}


def link_rows(
    board: list[Entry],
    tickets_open: Mapping[str, int],
    names: Mapping[str, str],
    lang: str = "id",
    tz: str = "Asia/Jakarta",
) -> list[dict[str, Any]]:
    """Each OPD link as the page shows it (:mod:`core.board`'s entries, with words in the page's language):
    its state, since when, rates against the subscription, the loss and RTT of its CPE's probe now, the
    OPD's open tickets, and a note when no live agent renews it."""
    rows = []
    for e in board:
        rows.append(
            {
                "opd": e.opd,
                "opd_name": names.get(e.opd, e.opd),
                "link": e.link,
                "state": e.state,
                "state_text": in_language(WORDS.get(e.state, e.state), lang),
                "reasons": list(e.reasons),
                "note": _note(e, lang),
                "cause": e.cause,
                "since": None if e.since is None else datetime.fromtimestamp(e.since, UTC).isoformat(),
                "since_local": None if e.since is None else local_time(e.since, tz, lang),
                "in_bps": e.in_bps,
                "out_bps": e.out_bps,
                "subscribed_bps": e.subscribed_bps,
                "utilization": e.utilization,
                "loss": e.loss,
                "rtt_ms": e.rtt_ms,
                "open_tickets": tickets_open.get(e.opd, 0),
                "agent": e.agent,
            }
        )
    return rows


def _note(e: Entry, lang: str) -> str:
    if STALE in e.reasons:
        return in_language(Msg("no live agent polls it (last: {agent})", agent=e.agent or "?"), lang)
    if UNPOLLED in e.reasons:
        return in_language(Msg("not polled yet"), lang)
    return ""


def local_time(at: float, tz: str, lang: str) -> str:
    """A moment as people read it on the page: the agency's date and time."""
    moment = datetime.fromtimestamp(at, ZoneInfo(tz))
    return f"{long_date(moment.date(), lang)} {clock(moment, lang)}"


def shared_cause(rows: list[dict[str, Any]], snap: Snapshot | None = None) -> str | None:
    """The outage shown once, on top, as the cause of what the OPDs see: ``datacenter-core`` when links are
    down because the data center's device is; else ``upstream`` when every uplink's far end is silent
    (each probed, none answering); else None."""
    if any(r["cause"] == "datacenter-core" for r in rows):
        return "datacenter-core"
    if snap is not None and _silent_uplinks(snap):
        return "upstream"
    return None


def _silent_uplinks(snap: Snapshot) -> list[str]:
    """The uplinks' far ends, when all of them were probed and none answered; else empty."""
    ups = [p for p in snap.probes if p.kind == "upstream"]
    if not ups or any(p.result is None or p.result.received > 0 for p in ups):
        return []
    return [p.address for p in ups]


def banner(cause: str | None, snap: Snapshot, lang: str = "id") -> str | None:
    """The words of the banner on top of the board, or None."""
    if cause is None:
        return None
    where = ", ".join(_silent_uplinks(snap))
    if cause == "datacenter-core":
        return in_language(Msg("The data center's core does not answer: the links down are down because of it"), lang)
    return in_language(
        Msg(
            "The data center's internet uplink does not answer ({where}): every OPD loses the internet, "
            "though their own links are up",
            where=where,
        ),
        lang,
    )
