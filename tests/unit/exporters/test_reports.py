"""Berita Acara rendering against golden files (fixed run, fixed times), in both languages and formats.

Regenerate after an intended change with ``PANTAU_UPDATE_GOLDEN=1 pytest tests/unit/exporters/test_reports.py``
and review the diff."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.findings import Result, Status
from exporters.reports import Letterhead, ReportData, Signature, render
from inventory.models import Person

GOLDEN = Path(__file__).parent / "golden"
DIFF = "--- backup\n+++ running\n@@ -1,2 +1,3 @@\n hostname core\n+ip route 192.0.2.0/24 Null0\n !\n"
RESULTS = [
    Result(
        "reach.icmp",
        "dishub",
        "opd-dishub",
        "ICMP (ping)",
        Status.FAIL,
        "ICMP (ping) tidak menjawab",
        "ICMP (ping) does not answer",
        "periksa perangkat, jalur, dan kredensial",
        "check the device, the path and the credentials",
    ),
    Result("link.status", "dishub", "core", "core:eth3 (dishub-wan)", Status.PASS, "up/up", "up/up"),
    Result(
        "routing.ospf", "dishub", "opd-dishub", "opd-dishub:eth1", Status.SKIP, "tidak dapat dibaca", "not readable"
    ),
    Result(
        "config.backup",
        "pusat-data",
        "core",
        "running-config",
        Status.WARN,
        "konfigurasi berubah sejak pemeliharaan terakhir (1 baris)",
        "configuration changed since the last maintenance (1 lines)",
        "pastikan perubahan tercatat dan disetujui",
        "make sure the change was recorded and approved",
        DIFF,
    ),
    Result("uptime.restart", "pusat-data", "core", "sysUpTime", Status.PASS, "tidak ada restart", "no restart"),
]
STARTED = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)  # 02:00 WIB on the 23rd: the plan's Sunday-night slot


KOP = Letterhead(
    "Dinas Komunikasi dan Informatika Kota Contoh",
    "Pemerintah Kota Contoh",
    "Jalan Merdeka Nomor 1, Kota Contoh 00000",
    "Telepon (0000) 000000",
    None,
    "Kota Contoh",
)
OFFICER = Person(name="Rizky Pratama, S.Kom.", nip="199203152019031004", jabatan="Pranata Komputer Ahli Pertama")
KADIS = Person(name="Dr. Sri Wahyuni", nip="197512052000032001", jabatan="Kepala Dinas Komunikasi dan Informatika")


def data(location: str) -> ReportData:
    names = {"dishub": "Dinas Perhubungan", "pusat-data": "Pusat Data"}
    return ReportData(
        number="000.1.3/BA-PJB/007/DISKOMINFO/2026" if location != "*" else "000.1.3/LAP-PJB/008/DISKOMINFO/2026",
        location=location,
        location_name=names.get(location, "semua lokasi"),
        letterhead=KOP,
        team="Tim Data Center Diskominfo",
        plan="Rencana Pemeliharaan Triwulan IV 2026" if location == "dishub" else None,
        started_at=STARTED,
        timezone="Asia/Jakarta",
        results=RESULTS if location == "*" else [r for r in RESULTS if r.location == location],
        state="checked" if location == "pusat-data" else "drafted",
        signatures=[Signature("kasi", "Agus Salim", datetime(2026, 11, 23, 8, 30, tzinfo=UTC))]
        if location == "pusat-data"
        else [],
        location_names=names,
        officer=OFFICER,
        representative=None,  # dishub's is not listed: blanks to fill by hand
        known_by=KADIS,
        review=("opd", "kasi", "kabid", "kadis") if location == "dishub" else ("kasi", "kabid", "kadis"),
    )


@pytest.mark.parametrize("location", ["pusat-data", "dishub", "*"])
@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_rendered_report_matches_its_golden_file(location: str, lang: str, fmt: str) -> None:
    name = {"*": "summary"}.get(location, location)
    golden = GOLDEN / f"{name}.{lang}.{fmt}"
    text = render(data(location), lang, fmt)
    if os.environ.get("PANTAU_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_report_shows_local_time_findings_diff_and_signatures() -> None:
    text = render(data("pusat-data"), "id", "md")
    assert "Pada hari ini Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh enam" in text
    assert "| Waktu mulai | 23 November 2026 pukul 02.00 WIB |" in text
    assert "+ip route 192.0.2.0/24 Null0" in text
    assert "| Diperiksa oleh Kepala Seksi | Agus Salim | 23 November 2026 pukul 15.30 WIB |" in text
    assert "| Status | diperiksa Kasi |" in text
    assert "| Ditelaah oleh Kepala Dinas | belum |" in text
    assert "PIHAK KEDUA" not in text and "perwakilan OPD" not in text  # the data center's own work
    assert "Kota Contoh, 23 November 2026" in text and "NIP. 19751205 200003 2 001" in text
    assert "sesuai rencana kerja pemeliharaan jaringan berkala" in text  # the default plan, not another city's SOP


def test_an_opd_report_has_two_parties_and_blanks_for_an_unlisted_representative() -> None:
    text = render(data("dishub"), "id", "md")
    assert "selanjutnya disebut PIHAK PERTAMA." in text and "selanjutnya disebut PIHAK KEDUA." in text
    assert "Jabatan: Perwakilan Dinas Perhubungan" in text
    assert "Nama: (.........................................)" in text
    assert "Demikian Berita Acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya." in text
    english = render(data("dishub"), "en", "md")
    assert "On this day, Monday, the twenty-third day of November, two thousand and twenty-six" in english
    assert "hereinafter called the SECOND PARTY." in english and "Pada hari ini" not in english


def test_html_escapes_what_devices_say() -> None:
    risky = Result("reach.ssh", "dishub", "opd-dishub", "SSH", Status.FAIL, "<script>x</script>", "<script>x</script>")
    d = data("dishub")
    text = render(ReportData(**{**d.__dict__, "results": [risky]}), "id", "html")
    assert "<script>x</script>" not in text and "&lt;script&gt;" in text


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="choose id or en"):
        render(data("dishub"), "fr", "md")
