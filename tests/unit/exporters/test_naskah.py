"""Dates as official letters write them, checked against cases written by hand (not by num2words)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from exporters.naskah import clock, date_time, in_words, long_date, month_name


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 11, 30), "Senin tanggal tiga puluh bulan November tahun dua ribu dua puluh enam"),
        (date(2026, 12, 1), "Selasa tanggal satu bulan Desember tahun dua ribu dua puluh enam"),
        (date(2027, 1, 11), "Senin tanggal sebelas bulan Januari tahun dua ribu dua puluh tujuh"),
        (date(2025, 8, 17), "Minggu tanggal tujuh belas bulan Agustus tahun dua ribu dua puluh lima"),
        (date(2030, 5, 31), "Jumat tanggal tiga puluh satu bulan Mei tahun dua ribu tiga puluh"),
        (date(2001, 2, 21), "Rabu tanggal dua puluh satu bulan Februari tahun dua ribu satu"),
        (date(2100, 6, 10), "Kamis tanggal sepuluh bulan Juni tahun dua ribu seratus"),
        (date(2111, 10, 12), "Senin tanggal dua belas bulan Oktober tahun dua ribu seratus sebelas"),
    ],
)
def test_the_opening_date_in_indonesian_words(day: date, words: str) -> None:
    assert in_words(day) == words


def test_the_opening_date_in_english_words() -> None:
    assert in_words(date(2026, 11, 30), "en") == "Monday, the thirtieth day of November, two thousand and twenty-six"
    assert in_words(date(2027, 1, 1), "en") == "Friday, the first day of January, two thousand and twenty-seven"


def test_dates_and_times_as_letters_write_them() -> None:
    evening = datetime(2026, 11, 30, 19, 5, tzinfo=ZoneInfo("Asia/Makassar"))
    assert long_date(evening.date()) == "30 November 2026"
    assert clock(evening) == "19.05 WITA" and clock(evening, "en") == "19:05 WITA"
    assert date_time(evening) == "30 November 2026 pukul 19.05 WITA"
    assert date_time(evening, "en") == "30 November 2026 at 19:05 WITA"
    assert month_name(2026, 2) == "Februari 2026" and month_name(2026, 2, "en") == "February 2026"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="choose id or en"):
        in_words(date(2026, 1, 1), "jv")
