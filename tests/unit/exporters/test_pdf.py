"""The PDF of a Berita Acara read back with poppler: A4 pages, page numbers, the check table's header on
every page it runs over, and no word outside the page's margins, even for long unbroken device output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from core.findings import Result, Status
from exporters.pdf import to_pdf
from exporters.reports import ReportData, render
from tests.unit.exporters.test_reports import KADIS, KOP, OFFICER, STARTED

A4_WIDTH, A4_HEIGHT = 595.276, 841.89  # points
CM = 72 / 2.54


def long_report() -> ReportData:
    wide = "x" * 300  # one "word" wider than the page: a hash, a key, a path in device output
    rows = [
        Result("link.status", "dishub", "core", f"core:eth{i} (dishub-wan)", Status.PASS, "up/up", "up/up")
        for i in range(70)
    ]
    rows.append(
        Result(
            "config.backup",
            "dishub",
            "core",
            "running-config",
            Status.WARN,
            f"berubah {wide}",
            f"changed {wide}",
            detail=f"--- backup\n+++ running\n+{wide}\n",
        )
    )
    return ReportData(
        number="000.1.3/BA-PJB/001/DISKOMINFO/2026",
        location="dishub",
        location_name="Dinas Perhubungan",
        letterhead=KOP,
        team="Tim Data Center",
        plan=None,
        started_at=STARTED,
        timezone="Asia/Jakarta",
        results=rows,
        officer=OFFICER,
        known_by=KADIS,
    )


def test_a_long_berita_acara_stays_inside_a4_margins_and_repeats_its_table_header(tmp_path: Path) -> None:
    pdf = tmp_path / "ba.pdf"
    pdf.write_bytes(to_pdf(render(long_report(), "id", "html")))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= 3 and "(A4)" in info
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox)
    assert len(words) > 500
    outside = [w for w in words if float(w[0]) < 3 * CM - 1 or float(w[2]) > A4_WIDTH - 2 * CM + 1]
    assert outside == []
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    per_page = text.split("\f")
    assert f"Halaman {pages} dari {pages}" in per_page[pages - 1]
    with_table = [p for p in per_page if "core:eth" in p]
    assert len(with_table) >= 2 and all("Pemeriksaan" in p and "Keterangan" in p for p in with_table)
