"""The *Berita Acara Pemasangan*: a new OPD's connection as the short official record of it (Markdown,
HTML): its number, when and as which run, the OPD and its office, the provider's circuit and the
subscribed bandwidth, the addresses given on both ends of the link and to the OPD's LAN and router, the
revert the data center's device held while it was configured, and the signatures (the officer who did it,
the OPD's representative, the Kabid who knows of it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exporters.naskah import date_time, in_words, long_date
from exporters.reports import Letterhead, _person, env
from i18n import Msg, words
from inventory.models import SopCatalog
from inventory.models.agency import Person

TEXT: dict[str, Msg] = {
    "title": Msg("RECORD OF A NETWORK INSTALLATION"),
    "number": Msg("Number"),
    "opening": Msg(
        "On this day, {day}, the WAN link of the OPD below was connected to the data center's network and "
        "added to its monitoring ({sop}, the bandwidth provided), as pantau run {run}:"
    ),
    "opd": Msg("OPD"),
    "office": Msg("Office"),
    "provider": Msg("Provider / circuit"),
    "bandwidth": Msg("Subscribed bandwidth"),
    "link": Msg("Link"),
    "p2p": Msg("Point-to-point link"),
    "dc_end": Msg("Data center end"),
    "opd_end": Msg("OPD end"),
    "lan": Msg("OPD LAN (gateway)"),
    "router": Msg("OPD router (management)"),
    "routing": Msg("Routing"),
    "ospf": Msg("OSPF area {area}"),
    "static": Msg("static routes"),
    "safety": Msg(
        "Before the data center's side was configured, {device} held a revert of its own ({seconds} s) that "
        "would have removed it by itself; it was cancelled once every line was read back. Confirmed on {at}. "
        "The OPD router's configuration was handed to the technician who installs it: {file}."
    ),
    "closing": Msg("This record is made to be used as needed."),
    "made_by": Msg("Made by,"),
    "received_by": Msg("Received by,"),
    "known_by": Msg("Acknowledged by,"),
    "name": Msg("Name"),
    "nip": Msg("NIP"),
    "jabatan": Msg("Position"),
    "blank_name": Msg("(.........................................)"),
    "blank_nip": Msg("...................."),
    "blank_jabatan": Msg("(position)"),
    "officer": Msg("Data center officer"),
    "representative": Msg("Representative of {opd}"),
    "kabid": Msg("Head of Division"),
    "page": Msg("Page"),
    "of": Msg("of"),
}

SEED = SopCatalog()  # the seed documents' procedures: the default where a caller gives none


@dataclass(frozen=True)
class InstallationData:
    """What the record says of one new OPD's connection."""

    number: str
    run_id: int
    by: str
    confirmed_at: datetime  # in the agency's time zone
    opd: str  # the OPD's name
    office: str  # its site, and the street address where the inventory has one
    provider: str
    circuit_id: str
    mbit: int
    link: str
    p2p: str
    dc_end: str  # device, interface and address
    opd_end: str
    lan: str
    router: str
    routing: tuple[str, str]  # "ospf" | "static", the area
    device: str
    revert_seconds: int
    opd_file: str
    officer: Person | None = None
    representative: Person | None = None
    kabid: Person | None = None
    sop: str = SEED.bandwidth.number  # the agency's bandwidth procedure (agency.sops)


def render_installation(data: InstallationData, kop: Letterhead, lang: str = "id", fmt: str = "md") -> str:
    """The record as Markdown or HTML (``fmt``) in ``lang``."""
    t = words(TEXT, lang)
    officer = _person(data.officer, t, t["officer"])
    if data.officer is None:
        officer["name"] = data.by  # who ran it, where the inventory lists no officer
    mode, area = data.routing
    rows = [
        (t["opd"], data.opd),
        (t["office"], data.office),
        (t["provider"], f"{data.provider} — {data.circuit_id}"),
        (t["bandwidth"], f"{data.mbit} Mbit/s"),
        (t["link"], data.link),
        (t["p2p"], data.p2p),
        (t["dc_end"], data.dc_end),
        (t["opd_end"], data.opd_end),
        (t["lan"], data.lan),
        (t["router"], data.router),
        (t["routing"], t["ospf"].format(area=area) if mode == "ospf" else t["static"]),
    ]
    return (
        env()
        .get_template(f"installation.{fmt}.j2")
        .render(
            t=t,
            lang=lang,
            kop=kop,
            d=data,
            rows=rows,
            footer=f"{t['title'].capitalize()} — {data.number}",
            opening=t["opening"].format(day=in_words(data.confirmed_at.date(), lang), run=data.run_id, sop=data.sop),
            safety=t["safety"].format(
                device=data.device,
                seconds=data.revert_seconds,
                at=date_time(data.confirmed_at, lang),
                file=data.opd_file,
            ),
            officer=officer,
            representative=_person(data.representative, t, t["representative"].format(opd=data.opd)),
            kabid=_person(data.kabid, t, t["kabid"]),
            signed_at=", ".join(filter(None, (kop.city, long_date(data.confirmed_at.date(), lang)))),
        )
    )
