"""The capacity document for a hosting request: numbers the document's language's way (Babel), the agency's
hosting procedure cited, every server's row (one that did not answer says so), and the answer to the
request."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.capacity import GIB, Need, Reading, headroom, place
from exporters.capacity_report import ServerState, render_capacity
from exporters.reports import Letterhead

AT = datetime(2026, 12, 8, 9, 30, tzinfo=ZoneInfo("Asia/Makassar"))
READING = Reading(0.0, 4, 1.5, 16 * GIB, int(6.5 * GIB), 200 * GIB, 50 * GIB, "/srv")
ROWS = [
    ServerState("srv-app1", READING, None, headroom(READING), None, None),
    ServerState("srv-old", None, "no SNMP answer within 2 s", None, None, None),
]


def test_the_indonesian_document_writes_decimal_commas_cites_the_sop_and_answers_the_request() -> None:
    need = Need(1, 2, 20)
    fits = place({"srv-app1": READING}, need)
    text = render_capacity(ROWS, AT, "SOP 4 Hosting Aplikasi", Letterhead("Diskominfo"), need, fits, "id")
    assert "| srv-app1 | 1,5 / 4 | 6,5 / 16 | 50 / 200 (/srv) | 1,7, 6,3, 110 |" in text
    assert "pukul 09.30 WITA, untuk SOP 4 Hosting Aplikasi" in text and "20 %" in text
    assert "tidak menjawab: no SNMP answer within 2 s" in text
    assert "Aplikasi dapat ditempatkan di srv-app1" in text and "- srv-app1: cukup" in text


def test_the_english_document_writes_decimal_points_and_says_when_nothing_fits() -> None:
    need = Need(8, 2, 20)
    fits = place({"srv-app1": READING}, need)
    text = render_capacity(ROWS, AT, "SOP Hosting", Letterhead("Diskominfo"), need, fits, "en", fmt="html")
    assert "<td>1.5 / 4</td>" in text and "20%" in text
    assert "It fits on no server" in text and "srv-app1: short of vcpu" in text
