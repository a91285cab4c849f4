"""What the status page shows, from the agent's snapshot: one row per OPD link, and the cause shown once
at the top when the data center's core or upstream is down for all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.snapshot import Snapshot
from exporters.naskah import clock, long_date
from i18n import Msg, in_language

#: a link's state in words (its value stays in ``state``)
WORDS = {"up": Msg("up"), "degraded": Msg("degraded"), "down": Msg("down"), "unknown": Msg("unknown")}


def link_rows(
    snap: Snapshot, since: dict[str, float], names: dict[str, str], lang: str = "id", tz: str = "Asia/Jakarta"
) -> list[dict[str, Any]]:
    """Each OPD link: its state (and the word for it), since when, rates against the subscription, the
    loss and RTT of its CPE's probe now, and the OPD's open tickets."""
    probes = {p.opd: p.result for p in snap.probes if p.kind == "cpe-wan" and p.opd}
    rows = []
    for v in snap.links:
        probe = probes.get(v.opd)
        at = since.get(v.name)
        rows.append(
            {
                "opd": v.opd,
                "opd_name": names.get(v.opd, v.opd),
                "link": v.name,
                "state": v.state.value,
                "state_text": in_language(WORDS.get(v.state.value, v.state.value), lang),
                "reasons": list(v.reasons),
                "cause": v.cause,
                "since": None if at is None else datetime.fromtimestamp(at, UTC).isoformat(),
                "since_local": None if at is None else local_time(at, tz, lang),
                "in_bps": v.receive_bps,
                "out_bps": v.transmit_bps,
                "subscribed_bps": v.subscribed_bps,
                "utilization": v.peak_utilization(),
                "loss": None if probe is None else probe.loss_ratio,
                "rtt_ms": None if probe is None or probe.rtt_avg is None else round(probe.rtt_avg * 1000, 1),
                "open_tickets": snap.tickets_open.get(v.opd, 0),
            }
        )
    return rows


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
