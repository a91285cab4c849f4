"""The hosting SOP's capacity check as a document for the request file (Markdown, HTML): each server's
processors, RAM and largest disk, what it uses, its headroom and how its use grows; with a request, where
the new application fits. Numbers are written the document's language's way (Babel)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.capacity import GIB, RESERVE, Fit, Headroom, Need, Reading, Trend
from exporters.naskah import date_time
from exporters.reports import Letterhead, env
from i18n import Msg, words
from i18n.formats import number, percent

TEXT: dict[str, Msg] = {
    "title": Msg("CAPACITY OF THE DATA CENTER'S SERVERS"),
    "opening": Msg("Read from each server's SNMP agent (HOST-RESOURCES-MIB) on {at}, for {sop}."),
    "server": Msg("Server"),
    "cpu": Msg("CPU (vCPU used / total)"),
    "ram": Msg("RAM (GiB used / total)"),
    "disk": Msg("Largest disk (GiB used / total)"),
    "room": Msg("Headroom (vCPU, RAM GiB, disk GiB)"),
    "trend": Msg("Growth per day (RAM, disk GiB)"),
    "full_in": Msg("reserve reached in {days} days"),
    "no_trend": Msg("no trend yet"),
    "no_answer": Msg("no answer: {error}"),
    "reserve": Msg("Headroom keeps {reserve} of each resource free for peaks the readings do not see."),
    "request": Msg("Request: {vcpu} vCPU, {ram} GiB RAM, {disk} GiB disk."),
    "fits_on": Msg("It fits on {server}, which keeps the most room after it."),
    "fits_nowhere": Msg("It fits on no server: a server must be added or an application moved."),
    "fit": Msg("fits"),
    "short": Msg("short of {what}"),
    "unknown": Msg("not known"),
    "closing": Msg("This check is made to be attached to the hosting request."),
    "page": Msg("Page"),
    "of": Msg("of"),
}


@dataclass(frozen=True)
class ServerState:
    """One server as the check shows it: its reading now (None: it did not answer, ``error`` says why), its
    headroom, and the trend of its RAM and disk use over the kept readings."""

    name: str
    reading: Reading | None
    error: str | None
    room: Headroom | None
    ram_trend: Trend | None
    disk_trend: Trend | None


def _gib(value: float | None, lang: str) -> str:
    return "—" if value is None else number(value / GIB, lang)


def _cells(row: ServerState, lang: str, t: dict[str, str]) -> list[str]:
    r = row.reading
    if r is None:
        return [row.name, t["no_answer"].format(error=row.error), "", "", "", ""]
    cpu = "—" if r.cpu_used is None else f"{number(r.cpu_used, lang)} / {r.vcpus}"
    ram = f"{_gib(r.ram_used, lang)} / {_gib(r.ram, lang)}"
    disk = f"{_gib(r.disk_used, lang)} / {_gib(r.disk, lang)}" + (f" ({r.disk_mount})" if r.disk_mount else "")
    room = row.room
    shown_room = "—"
    if room is not None:
        cpus = "—" if room.vcpus is None else number(room.vcpus, lang)
        shown_room = f"{cpus}, {_gib(room.ram, lang)}, {_gib(room.disk, lang)}"

    def grows(tr: Trend | None) -> str:
        if tr is None:
            return t["no_trend"]
        text = f"{number(tr.per_day / GIB, lang, 2)}"
        return text if tr.days_left is None else f"{text} ({t['full_in'].format(days=number(tr.days_left, lang, 0))})"

    return [row.name, cpu, ram, disk, shown_room, f"{grows(row.ram_trend)}; {grows(row.disk_trend)}"]


def render_capacity(
    rows: Sequence[ServerState],
    at: datetime,
    sop: str,
    kop: Letterhead,
    need: Need | None = None,
    fits: Sequence[Fit] = (),
    lang: str = "id",
    fmt: str = "md",
) -> str:
    """The document in ``lang`` as Markdown or HTML (``fmt``); ``at`` in the agency's time zone."""
    t = words(TEXT, lang)
    answer: list[str] = []
    if need is not None:
        answer.append(t["request"].format(vcpu=number(need.vcpus, lang), ram=number(need.ram_gib, lang),
                                          disk=number(need.disk_gib, lang)))  # fmt: skip
        best = next((f for f in fits if f.fits), None)
        answer.append(t["fits_on"].format(server=best.server) if best else t["fits_nowhere"])
    verdicts = [
        (f.server, t["fit"] if f.fits else t["short"].format(what=", ".join(
            t["unknown"] if s.startswith("unknown:") else s for s in f.short)))
        for f in fits
    ]  # fmt: skip
    return (
        env()
        .get_template(f"capacity.{fmt}.j2")
        .render(
            t=t,
            lang=lang,
            kop=kop,
            footer=t["title"].capitalize(),
            opening=t["opening"].format(at=date_time(at, lang), sop=sop),
            header=[t["server"], t["cpu"], t["ram"], t["disk"], t["room"], t["trend"]],
            rows=[_cells(r, lang, t) for r in rows],
            reserve=t["reserve"].format(reserve=percent(RESERVE, lang, 0)),
            answer=answer,
            verdicts=verdicts,
        )
    )
