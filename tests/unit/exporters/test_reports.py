"""Berita Acara rendering against golden files (fixed run, fixed times), in both languages and formats.

Regenerate after an intended change with ``PANTAU_UPDATE_GOLDEN=1 pytest tests/unit/exporters/test_reports.py``
and review the diff."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.findings import Result, Status
from exporters.reports import ReportData, Signature, render

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


def data(location: str) -> ReportData:
    names = {"dishub": "Dinas Perhubungan", "pusat-data": "Pusat Data"}
    return ReportData(
        number=f"007/BA-PJB/{location.upper()}/XI/2026" if location != "*" else "008/LAP-PJB/SEMUA/XI/2026",
        location=location,
        location_name=names.get(location, "semua lokasi"),
        agency="Dinas Komunikasi dan Informatika Kota Contoh",
        team="Tim Data Center Diskominfo",
        plan="Batam SOP 05 Pemeliharaan Jaringan Berkala",
        started_at=STARTED,
        timezone="Asia/Jakarta",
        results=RESULTS if location == "*" else [r for r in RESULTS if r.location == location],
        state="checked" if location == "pusat-data" else "drafted",
        signatures=[
            Signature("opd", "Rina Wulandari", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
            Signature("kasi", "Agus Salim", datetime(2026, 11, 23, 8, 30, tzinfo=UTC)),
        ]
        if location == "pusat-data"
        else [],
        location_names=names,
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
    assert "2026-11-23 02:00 WIB" in text
    assert "+ip route 192.0.2.0/24 Null0" in text
    assert "Agus Salim, ditandatangani 2026-11-23 15:30 WIB" in text
    assert "| Status | diperiksa Kasi |" in text
    assert "Ditelaah oleh Kepala Dinas | (nama dan tanda tangan)" in text


def test_html_escapes_what_devices_say() -> None:
    risky = Result("reach.ssh", "dishub", "opd-dishub", "SSH", Status.FAIL, "<script>x</script>", "<script>x</script>")
    d = data("dishub")
    text = render(ReportData(**{**d.__dict__, "results": [risky]}), "id", "html")
    assert "<script>x</script>" not in text and "&lt;script&gt;" in text


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="choose id or en"):
        render(data("dishub"), "fr", "md")
