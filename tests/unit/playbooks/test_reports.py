"""The Berita Acara of a maintenance run: numbered in the agency's pattern (a sequence per year, the year
in the agency's time zone), written as Markdown, HTML and PDF, and signed in SOP 05's order."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from core.errors import RuleError
from core.findings import DC, Result, Status
from exporters.naskah import in_words, long_date
from inventory.loader import load_inventory
from inventory.models import Inventory
from playbooks.errors import PlaybookError
from playbooks.maintenance.reports import create_reports, report_number, review_times, sign
from store import maintenance
from store.engine import open_store

INVENTORY = Path(__file__).resolve().parents[3] / "inventory" / "example"
YEAR = datetime.now(ZoneInfo("Asia/Jakarta")).year  # the run below starts now, in the example agency's zone


def _result(location: str, device: str) -> Result:
    return Result("reach.icmp", location, device, "ICMP (ping)", Status.PASS, "ICMP (ping) menjawab", "ICMP answers")


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    """A store holding one finished run over dinkes and the data center, written as the playbook writes it."""
    engine = open_store(f"sqlite:///{tmp_path / 'pantau.db'}")
    run = maintenance.start(engine, "plan", ["dinkes", DC], None, "budi")
    maintenance.finish(engine, run, [], {}, [_result("dinkes", "opd-dinkes"), _result(DC, "core")])
    return engine


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def test_reports_are_numbered_in_the_agency_pattern_with_a_sequence_per_year(
    store: Engine, inv: Inventory, tmp_path: Path
) -> None:
    files = create_reports(store, inv, 1, tmp_path / "out", ["id", "en"])
    assert [(f.location, f.number) for f in files] == [
        ("dinkes", f"000.1.3/BA-PJB/001/DISKOMINFO/{YEAR}"),
        (DC, f"000.1.3/BA-PJB/002/DISKOMINFO/{YEAR}"),
        ("*", f"000.1.3/LAP-PJB/001/DISKOMINFO/{YEAR}"),
    ]
    stem = f"000.1.3-BA-PJB-001-DISKOMINFO-{YEAR}"
    assert sorted(p.name for p in files[0].paths) == [
        f"{stem}.{lang}.{fmt}" for lang in ("en", "id") for fmt in ("html", "md", "pdf")
    ]
    again = create_reports(store, inv, 1, tmp_path / "out", ["id"])
    assert [f.number.split("/")[2] for f in again] == ["003", "004", "002"]  # the year's sequence goes on


def test_the_next_year_starts_its_own_sequence(store: Engine) -> None:
    def numbered(year: int) -> str:
        return maintenance.new_report(
            store, 1, "dinkes", "/x", "berita_acara", year, lambda seq: f"{seq}/{year}"
        ).number

    assert [numbered(y) for y in (2030, 2030, 2031)] == ["1/2030", "2/2030", "1/2031"]


def test_a_number_takes_its_year_and_month_from_the_agency_time_zone(inv: Inventory) -> None:
    new_year_in_jakarta = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)  # 01:30 WIB on 1 January 2027
    assert report_number(inv, "berita_acara", 7, new_year_in_jakarta, "dinkes") == "000.1.3/BA-PJB/007/DISKOMINFO/2027"


def test_a_number_longer_than_the_store_keeps_is_refused(store: Engine) -> None:
    with pytest.raises(RuleError, match="longer than 63"):
        maintenance.new_report(store, 1, "dinkes", "/x", "berita_acara", 2030, lambda seq: "x" * 64)


def test_the_pdf_is_an_a4_berita_acara_with_opening_parties_and_closing(
    store: Engine, inv: Inventory, tmp_path: Path
) -> None:
    files = create_reports(store, inv, 1, tmp_path / "out", ["id", "en"])
    pdf = next(p for p in files[0].paths if p.name.endswith(".id.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    day = datetime.now(ZoneInfo("Asia/Jakarta"))
    assert "PEMERINTAH KOTA CONTOH" in text and "BERITA ACARA" in text
    assert f"Nomor: 000.1.3/BA-PJB/001/DISKOMINFO/{YEAR}" in text
    assert f"Pada hari ini {in_words(day.date())}, bertempat di Dinas Kesehatan" in text
    assert "NIP : 19920315 201903 1 004" in text  # the officer, Pihak Pertama
    assert "NIP : 19810101 200604 1 001" in text  # dinkes' representative, Pihak Kedua
    assert "Demikian Berita Acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya." in text
    assert "Mengetahui," in text and "NIP. 19751205 200003 2 001" in text
    assert "LAMPIRAN BERITA ACARA" in text and "Halaman 1 dari" in text
    assert f"Kota Contoh, {long_date(day.date())}" in text  # where and when it is signed
    english = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf).replace(".id.", ".en."), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "On this day" in english and "FIRST PARTY" in english and "Pada hari ini" not in english


def test_the_data_center_report_has_no_opd_party_and_no_opd_review_step(
    store: Engine, inv: Inventory, tmp_path: Path
) -> None:
    files = create_reports(store, inv, 1, tmp_path / "out", ["id"])
    dc = next(f for f in files if f.location == DC)
    text = next(p for p in dc.paths if p.suffix == ".md").read_text()
    assert "PIHAK KEDUA" not in text and "perwakilan OPD" not in text
    with pytest.raises(PlaybookError, match="the data center's: no OPD acknowledges it; the first to sign is kasi"):
        sign(store, inv, dc.report_id, "opd", "Rina Wulandari", ["id"])
    state, _ = sign(store, inv, dc.report_id, "kasi", "Andi Saputra", ["id"])
    assert state == "checked"


def test_signatures_follow_the_sop_order_and_show_in_the_report(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    report = create_reports(store, inv, 1, tmp_path / "out", ["id"])[0].report_id
    with pytest.raises(PlaybookError, match="the next to sign is opd, not kasi"):
        sign(store, inv, report, "kasi", "Agus Salim", ["id"])
    state, paths = sign(store, inv, report, "opd", "Rina Wulandari", ["id"], account="rina")
    assert state == "acknowledged"
    # the name as printed, and the account that signed (the page's login, the CLI's operator)
    assert [(s.name, s.account) for s in maintenance.signatures(store, report)] == [("Rina Wulandari", "rina")]
    text = next(p for p in paths if p.suffix == ".md").read_text()
    assert "| Diketahui oleh perwakilan OPD | Rina Wulandari |" in text and "| Status | diketahui OPD |" in text
    for role, name in (("kasi", "Agus Salim"), ("kabid", "Sri Rahayu"), ("kadis", "Ir. Bambang")):
        state, _ = sign(store, inv, report, role, name, ["id"])
    assert state == "reviewed"
    with pytest.raises(PlaybookError, match="already reviewed"):
        sign(store, inv, report, "kadis", "Ir. Bambang", ["id"])
    steps = review_times(store, report, inv.agency.sops)
    assert [s["role"] for s in steps] == ["opd", "kasi", "kabid", "kadis"]
    assert all(s["within_allowance"] for s in steps)


def test_unknown_role_and_empty_name_are_refused(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    report = create_reports(store, inv, 1, tmp_path / "out", ["id"])[0].report_id
    with pytest.raises(PlaybookError, match="choose one of opd, kasi, kabid, kadis"):
        sign(store, inv, report, "camat", "X", ["id"])
    with pytest.raises(PlaybookError, match="--name is empty"):
        sign(store, inv, report, "opd", "  ", ["id"])


def test_of_two_signers_at_once_only_one_signs_the_step(store: Engine, inv: Inventory, tmp_path: Path) -> None:
    report = create_reports(store, inv, 1, tmp_path / "out", ["id"])[0].report_id
    seen_by_a, seen_by_b = maintenance.report(store, report), maintenance.report(store, report)
    maintenance.add_signature(store, seen_by_a, "opd", "Rina Wulandari", "acknowledged")
    with pytest.raises(RuleError, match="signed meanwhile"):
        maintenance.add_signature(store, seen_by_b, "opd", "Dewi Lestari", "acknowledged")
    assert [s.name for s in maintenance.signatures(store, report)] == ["Rina Wulandari"]


def test_without_a_pdf_engine_the_markdown_and_html_stand_and_the_log_says_why(
    store: Engine, inv: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from exporters.pdf import PdfUnavailable
    from playbooks import documents

    def no_pango(html: str) -> bytes:
        raise PdfUnavailable("no PDF: cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(documents, "to_pdf", no_pango)
    files = create_reports(store, inv, 1, tmp_path / "out", ["id"])
    assert [p.suffix for p in files[0].paths] == [".md", ".html"]
    assert all(p.exists() for f in files for p in f.paths)
    assert "cannot load library 'libpango-1.0-0'" in caplog.text


def test_a_missing_logo_costs_the_letterhead_its_image_not_the_report(
    store: Engine, inv: Inventory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = inv.model_copy(update={"agency": inv.agency.model_copy(update={"logo": str(tmp_path / "nosuch.png")})})
    files = create_reports(store, gone, 1, tmp_path / "out", ["id"])
    html = next(p for p in files[0].paths if p.suffix == ".html").read_text()
    assert "Pemerintah Kota Contoh" in html and 'alt="logo"' not in html
    assert f"agency.logo {tmp_path / 'nosuch.png'}: No such file or directory" in caplog.text


def test_reports_numbered_at_once_by_several_processes_get_one_number_each(store: Engine) -> None:
    """The scheduler's maintenance and a technician's, drafting reports at the same moment, first of a year."""
    import threading

    start = threading.Barrier(6)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def draft() -> None:
        start.wait()
        try:
            numbers.append(
                maintenance.new_report(store, 1, "dinkes", "/x", "berita_acara", 2040, lambda seq: f"{seq}/2040").number
            )
        except Exception as exc:  # the test's verdict, below
            errors.append(exc)

    threads = [threading.Thread(target=draft) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(numbers) == [f"{n}/2040" for n in range(1, 7)]
