"""The Berita Acara Pemasangan: numbered, dated in words, the OPD, its circuit and the addresses on both
ends, the device's revert, and three signers (blanks to fill for anyone the inventory does not list)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from exporters.installation_report import InstallationData, render_installation
from exporters.reports import Letterhead
from inventory.models.agency import Person

KOP = Letterhead("Dinas Komunikasi dan Informatika Kota Contoh", "Pemerintah Kota Contoh", city="Kota Contoh")
AT = datetime(2026, 12, 7, 14, 5, tzinfo=ZoneInfo("Asia/Jakarta"))
DATA = InstallationData(
    number="000.1.3/BA-PSG/001/DISKOMINFO/2026", run_id=4, by="rizky", confirmed_at=AT,
    opd="Dinas Penanaman Modal dan PTSP", office="kantor-dpmptsp, Jl. Perizinan 50",
    provider="PT Telekomunikasi Contoh", circuit_id="TC-2026-0005", mbit=10, link="dpmptsp-wan",
    p2p="10.0.0.0/30", dc_end="core eth9 10.0.0.1/30", opd_end="opd-dpmptsp eth1 10.0.0.2/30",
    lan="10.30.0.0/24 (10.30.0.1)", router="10.255.0.5", routing=("ospf", "0"), device="core",
    revert_seconds=120, opd_file="dpmptsp-opd.frr.conf",
    kabid=Person(name="Ir. Hendra Gunawan", nip="197501012000031002", jabatan="Kepala Bidang TIK"),
)  # fmt: skip


def test_a_connection_is_recorded_in_bahasa_indonesia_with_its_circuit_addresses_and_signers() -> None:
    md = render_installation(DATA, KOP, "id", "md")
    assert "# BERITA ACARA PEMASANGAN JARINGAN" in md and "Nomor: 000.1.3/BA-PSG/001/DISKOMINFO/2026" in md
    assert "Senin tanggal tujuh bulan Desember tahun dua ribu dua puluh enam" in md and "run pantau 4" in md
    assert "| Penyedia / sirkuit | PT Telekomunikasi Contoh — TC-2026-0005 |" in md
    assert "| Ujung pusat data | core eth9 10.0.0.1/30 |" in md and "| Ujung OPD | opd-dpmptsp eth1 10.0.0.2/30 |" in md
    assert "| Perutean | OSPF area 0 |" in md
    assert "(120 detik)" in md and "dpmptsp-opd.frr.conf" in md and "7 Desember 2026 pukul 14.05 WIB" in md
    assert "**rizky**" in md  # no officer listed: who ran it signs
    assert "Perwakilan Dinas Penanaman Modal dan PTSP" in md  # no representative listed: a blank to fill
    assert "**Ir. Hendra Gunawan**" in md


def test_in_english_static_routing_says_so() -> None:
    md = render_installation(InstallationData(**{**DATA.__dict__, "routing": ("static", "0")}), KOP, "en", "md")
    assert "# RECORD OF A NETWORK INSTALLATION" in md and "| Routing | static routes |" in md
    html = render_installation(DATA, KOP, "en", "html")
    assert "<tr><th>Subscribed bandwidth</th><td>10 Mbit/s</td></tr>" in html
