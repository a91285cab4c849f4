"""The Berita Acara Perubahan Bandwidth: numbered, dated in words, on the basis it was made on, each
OPD's limits before and after with what was measured, the device's revert, and who signs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from exporters.change_report import ChangeData, QueueRow, render_change
from exporters.reports import Letterhead
from inventory.models.agency import Person

KOP = Letterhead("Dinas Komunikasi dan Informatika Kota Contoh", "Pemerintah Kota Contoh", city="Kota Contoh")
AT = datetime(2026, 12, 7, 14, 5, tzinfo=ZoneInfo("Asia/Jakarta"))
ROWS = (
    QueueRow("Dinas Kesehatan", "core eth1/10:10", "10 Mbit/s", "2/6 Mbit/s", "6.01"),
    QueueRow("Badan Perencanaan Pembangunan Daerah", "core eth4/10:10", "100 Mbit/s", "11.25/25 Mbit/s", "—"),
)
KABID = Person(name="Ir. Hendra Gunawan", nip="197501012000031002", jabatan="Kepala Bidang TIK")


def test_a_plan_applied_is_recorded_in_bahasa_indonesia_with_its_basis_rows_and_signers() -> None:
    data = ChangeData("000.1.3/BA-BW/001/DISKOMINFO/2026", 12, "rizky", AT, 120, ROWS, True,
                      plan=("000.1.3/PETA-BW/003/DISKOMINFO/2026", "Ir. Hendra Gunawan"), kabid=KABID)  # fmt: skip
    md = render_change(data, KOP, "id", "md")
    assert "# BERITA ACARA PERUBAHAN BANDWIDTH" in md and "Nomor: 000.1.3/BA-BW/001/DISKOMINFO/2026" in md
    assert "Senin tanggal tujuh bulan Desember tahun dua ribu dua puluh enam" in md and "run pantau 12" in md
    assert "peta bandwidth 000.1.3/PETA-BW/003/DISKOMINFO/2026, yang disetujui oleh Ir. Hendra Gunawan" in md
    assert "| Dinas Kesehatan | core eth1/10:10 | 10 Mbit/s | 2/6 Mbit/s | 6.01 |" in md
    assert "(120 detik)" in md and "dibaca ulang dan diukur" in md and "7 Desember 2026 pukul 14.05 WIB" in md
    assert "Kota Contoh, 7 Desember 2026" in md and "**rizky**" in md  # no officer listed: who ran it signs
    assert "**Ir. Hendra Gunawan**" in md and "NIP. 19750101 200003 1 002" in md
    html = render_change(data, KOP, "id", "html")
    assert "<td><b>2/6 Mbit/s</b></td>" in html and "Berita acara perubahan bandwidth — 000.1.3/BA-BW/001" in html


def test_a_boost_and_its_end_say_so_in_english() -> None:
    boost = ChangeData(
        "N/1", 13, "rizky", AT, 60, ROWS[:1], False, until=datetime(2026, 12, 12, 17, 0, tzinfo=AT.tzinfo)
    )
    md = render_change(boost, KOP, "en", "md")
    assert "RECORD OF A BANDWIDTH CHANGE" in md and "temporary change requested by rizky" in md
    assert "come back on 12 December 2026 at 17:00 WIB" in md and "read back. Confirmed" in md  # not measured
    end = ChangeData("N/2", 14, "pantau-agent", AT, 60, ROWS[:1], False, ends_run=13)
    assert "the end of the temporary change of run 13" in render_change(end, KOP, "en", "md")
