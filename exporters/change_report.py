"""The *Berita Acara Perubahan Bandwidth*: a bandwidth change as the short official record of it (Markdown,
HTML): its number, when and by whom, on what basis (an approved bandwidth map, a boost and its end, or a
request), each OPD's limits before and after with what was measured, the revert the device held while it
was made, and the signatures (the officer who made it, the Kabid who knows of it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exporters.naskah import date_time, in_words, long_date
from exporters.reports import Letterhead, _person, env
from i18n import Msg, words
from inventory.models import SopCatalog
from inventory.models.agency import Person

TEXT: dict[str, Msg] = {
    "title": Msg("RECORD OF A BANDWIDTH CHANGE"),
    "number": Msg("Number"),
    "opening": Msg(
        "On this day, {day}, the bandwidth limits of the OPDs below were changed on the data center's shaper "
        "({sop}, putting the bandwidth map in place), as pantau run {run}:"
    ),
    "basis_plan": Msg("Basis: the bandwidth map {number}, approved by {name}."),
    "basis_request": Msg("Basis: a change requested by {by}."),
    "basis_boost": Msg("Basis: a temporary change requested by {by}; the limits before it come back on {until}."),
    "basis_end": Msg("Basis: the end of the temporary change of run {run}; the limits before it are back."),
    "opd": Msg("OPD"),
    "device": Msg("Device / queue"),
    "before": Msg("Before (Mbit/s)"),
    "after": Msg("After (Mbit/s)"),
    "measured": Msg("Measured (Mbit/s)"),
    "safety": Msg(
        "Before the change each device held a revert of its own ({seconds} s) that would have put the limits "
        "before back by itself; it was cancelled once every new limit was read back{measured}. Confirmed on "
        "{at}."
    ),
    "measured_too": Msg(" and measured"),
    "closing": Msg("This record is made to be used as needed."),
    "made_by": Msg("Made by,"),
    "known_by": Msg("Acknowledged by,"),
    "name": Msg("Name"),
    "nip": Msg("NIP"),
    "jabatan": Msg("Position"),
    "blank_name": Msg("(.........................................)"),
    "blank_nip": Msg("...................."),
    "blank_jabatan": Msg("(position)"),
    "officer": Msg("Data center officer"),
    "kabid": Msg("Head of Division"),
    "page": Msg("Page"),
    "of": Msg("of"),
}

SEED = SopCatalog()  # the seed documents' procedures: the default where a caller gives none


@dataclass(frozen=True)
class QueueRow:
    opd: str  # the OPD's name
    place: str  # device and queue
    before: str
    after: str
    measured: str


@dataclass(frozen=True)
class ChangeData:
    """What the record says of one bandwidth change."""

    number: str
    run_id: int
    by: str
    confirmed_at: datetime  # in the agency's time zone
    revert_seconds: int
    rows: tuple[QueueRow, ...]
    measured: bool
    plan: tuple[str, str] | None = None  # the approved map's number and who approved it
    until: datetime | None = None  # a boost's end, in the agency's time zone
    ends_run: int | None = None  # the boost this change ends
    officer: Person | None = None
    kabid: Person | None = None
    sop: str = SEED.bandwidth.number  # the agency's bandwidth procedure (agency.sops)


def render_change(data: ChangeData, kop: Letterhead, lang: str = "id", fmt: str = "md") -> str:
    """The record as Markdown or HTML (``fmt``) in ``lang``."""
    t = words(TEXT, lang)
    if data.plan is not None:
        basis = t["basis_plan"].format(number=data.plan[0], name=data.plan[1])
    elif data.ends_run is not None:
        basis = t["basis_end"].format(run=data.ends_run)
    elif data.until is not None:
        basis = t["basis_boost"].format(by=data.by, until=date_time(data.until, lang))
    else:
        basis = t["basis_request"].format(by=data.by)
    officer = _person(data.officer, t, t["officer"])
    if data.officer is None:
        officer["name"] = data.by  # who ran it, where the inventory lists no officer
    return (
        env()
        .get_template(f"bandwidth_change.{fmt}.j2")
        .render(
            t=t,
            lang=lang,
            kop=kop,
            d=data,
            footer=f"{t['title'].capitalize()} — {data.number}",
            opening=t["opening"].format(day=in_words(data.confirmed_at.date(), lang), run=data.run_id, sop=data.sop),
            basis=basis,
            safety=t["safety"].format(
                seconds=data.revert_seconds,
                measured=t["measured_too"] if data.measured else "",
                at=date_time(data.confirmed_at, lang),
            ),
            officer=officer,
            kabid=_person(data.kabid, t, t["kabid"]),
            signed_at=", ".join(filter(None, (kop.city, long_date(data.confirmed_at.date(), lang)))),
        )
    )
