"""Dates as official letters write them (tata naskah dinas): "Senin tanggal tiga puluh bulan November
tahun dua ribu dua puluh enam" in a Berita Acara's opening, "30 November 2026" elsewhere, "10.05 WIB" for
a time. English keeps the same structure. Numbers in words come from num2words (``lang="id"``)."""

from __future__ import annotations

from datetime import date, datetime

from num2words import num2words

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _check(lang: str) -> None:
    if lang not in ("id", "en"):
        raise ValueError(f"language '{lang}': choose id or en")


def in_words(day: date, lang: str = "id") -> str:
    """The date of a Berita Acara's opening, after "Pada hari ini" / "On this day"."""
    _check(lang)
    if lang == "id":
        return (
            f"{HARI[day.weekday()]} tanggal {num2words(day.day, lang='id')} bulan {BULAN[day.month - 1]} "
            f"tahun {num2words(day.year, lang='id')}"
        )
    return (
        f"{DAYS[day.weekday()]}, the {num2words(day.day, lang='en', to='ordinal')} day of {MONTHS[day.month - 1]}, "
        f"{num2words(day.year, lang='en')}"
    )


def long_date(day: date, lang: str = "id") -> str:
    """``30 November 2026``; months by name in either language."""
    _check(lang)
    return f"{day.day} {(BULAN if lang == 'id' else MONTHS)[day.month - 1]} {day.year}"


def month_name(year: int, month: int, lang: str = "id") -> str:
    """``November 2026``."""
    _check(lang)
    return f"{(BULAN if lang == 'id' else MONTHS)[month - 1]} {year}"


def clock(moment: datetime, lang: str = "id") -> str:
    """``10.05 WIB`` (Indonesian letters separate hours and minutes with a dot), ``10:05 WIB`` in English;
    ``moment`` already in the agency's time zone."""
    _check(lang)
    sep = "." if lang == "id" else ":"
    return f"{moment:%H}{sep}{moment:%M} {moment.tzname() or ''}".rstrip()


def date_time(moment: datetime, lang: str = "id") -> str:
    """``30 November 2026 pukul 10.05 WIB`` / ``30 November 2026 at 10:05 WIB``."""
    return f"{long_date(moment.date(), lang)} {'pukul' if lang == 'id' else 'at'} {clock(moment, lang)}"
