"""The language the CLI speaks: Bahasa Indonesia by default, English with ``pantau --lang en`` or
``PANTAU_LANG=en`` (or ``lang: en`` in pantau.yml).

Messages kept in catalogs (:func:`tr`) are written in English in the code and translated by gettext from
``agent/locale/<lang>/LC_MESSAGES/pantau.mo``; ``make catalogs`` extracts them (``--help`` texts included),
merges them into each language's ``.po`` and compiles it (:mod:`agent.catalog`).

Output written here is bilingual at its call site (:func:`say`). Errors are raised in English by every
layer below (their text is also what logs and tests read); :func:`error_text` gives the Indonesian of the
user errors staff meet, by pattern, and falls back to the English text for a message it does not know.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

LANGUAGES = ("id", "en")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "pantau"
_current = ["id"]


def set_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"--lang {lang}: choose id (Bahasa Indonesia) or en (English)")
    _current[0] = lang


def current() -> str:
    return _current[0]


def say(id_text: str, en_text: str) -> str:
    """The text in the current language; both are written where the output is made."""
    return en_text if _current[0] == "en" else id_text


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang``; without one, messages stay as written (English)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def tr(message: str) -> str:
    """``message`` (English, as written in the code) in the current language, from its catalog."""
    return catalog(_current[0]).gettext(message)


def label(kind: str = "error") -> str:
    """``error``/``galat``, ``warning``/``peringatan``."""
    return {"error": say("galat", "error"), "warning": say("peringatan", "warning")}[kind]


# (English as raised, Indonesian): named groups carry over; a group called ``rest`` is translated again
_ERRORS: tuple[tuple[str, str], ...] = (
    (
        r"no inventory configured: .*",
        "belum ada inventaris: isi 'inventory:' di /etc/pantau/pantau.yml "
        "(pantau init menuliskannya), PANTAU_INVENTORY, atau --inventory",
    ),
    (r"invalid configuration:", "konfigurasi tidak sah:"),
    (
        r"(?P<f>.+): no such configuration file; check the path or drop --config",
        "{f}: berkas konfigurasi tidak ada; periksa path-nya atau hapus --config",
    ),
    (r"(?P<src>\S+): field '(?P<field>[^']+)': (?P<rest>.+)", "{src}: isian '{field}': {rest}"),
    (
        r"'(?P<v>.*)' is not a time zone; use an IANA name: .*",
        "'{v}' bukan zona waktu; pakai nama IANA: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)",
    ),
    (r"'(?P<v>.*)' is not HOST:PORT; e\.g\. (?P<eg>.+)", "'{v}' bukan HOST:PORT; misalnya {eg}"),
    (r"'(?P<s>\w+)' stores are not supported; use (?P<use>.+)", "penyimpanan '{s}' tidak didukung; pakai {use}"),
    (
        r"cannot create the store (?P<db>\S+): (?P<why>.+); set state_dir .*",
        "tidak dapat membuat penyimpanan {db}: {why}; atur state_dir (PANTAU_STATE_DIR, --state-dir) ke folder "
        "yang boleh ditulis pantau",
    ),
    (
        r"the store URL needs the Python module '(?P<m>[^']+)', which is not installed; .*",
        "URL penyimpanan memerlukan modul Python '{m}' yang belum terpasang; untuk PostgreSQL pasang "
        "pantau[postgresql] (psycopg)",
    ),
    (
        r"cannot listen on (?P<a>\S+): (?P<why>.+); is another agent .*",
        "tidak dapat mendengarkan di {a}: {why}; apakah agen lain berjalan di sana? atur listen (PANTAU_LISTEN, "
        "--listen) ke HOST:PORT yang bebas",
    ),
    (
        r"cannot write (?P<f>\S+): (?P<why>.+); choose a folder that exists",
        "tidak dapat menulis {f}: {why}; pilih folder yang ada",
    ),
    (
        r"(?P<f>\S+) exists; nothing was written \(--force overwrites\)",
        "{f} sudah ada; tidak ada yang ditulis (--force menimpanya)",
    ),
    (
        r"--month (?P<m>.+): there is no such month; .*",
        "--month {m}: bulan itu tidak ada; tulis sebagai YYYY-MM dengan bulan 01-12",
    ),
    (r"--month (?P<m>.+): write it as YYYY-MM, e\.g\. (?P<eg>.+)", "--month {m}: tulis sebagai YYYY-MM, misalnya {eg}"),
    (r"maintenance\.locations: (?P<rest>.+)", "maintenance.locations: {rest}"),
    (
        r"unknown location\(s\) (?P<u>.+); locations: (?P<known>.+)",
        "lokasi tidak dikenal: {u}; lokasi yang ada: {known}",
    ),
    (
        r"(?P<f>--opd|opd) '(?P<o>[^']*)' is not an OPD of the inventory; OPDs: (?P<known>.+)",
        "{f} '{o}' bukan OPD di inventaris; OPD yang ada: {known}",
    ),
    # users and the status page
    (r"--role (?P<r>\S+): choose one of (?P<known>.+)", "--role {r}: pilih salah satu dari {known}"),
    (
        r"user name '(?P<n>[^']*)': use 1-64 characters without spaces",
        "nama pengguna '{n}': gunakan 1-64 karakter tanpa spasi",
    ),
    (
        r"user '(?P<n>[^']+)' exists; change the password with pantau user passwd (?P<m>\S+)",
        "pengguna '{n}' sudah ada; ganti kata sandinya dengan pantau user passwd {m}",
    ),
    (
        r"the password has (?P<c>\d+) characters; use at least (?P<m>\d+)",
        "kata sandi hanya {c} karakter; gunakan paling sedikit {m}",
    ),
    (
        r"the password is longer than (?P<b>\d+) bytes, which bcrypt cannot use",
        "kata sandi lebih dari {b} byte, yang tidak dapat dipakai bcrypt",
    ),
    (r"wrong name or password", "nama atau kata sandi salah"),
    (
        r"too many failed logins: try again in (?P<s>\d+) s",
        "terlalu banyak login gagal: coba lagi dalam {s} detik",
    ),
    (
        r"CSRF token missing or wrong: reload the page and try again",
        "token CSRF tidak ada atau salah: muat ulang halaman lalu coba lagi",
    ),
    (r"the role (?P<r>\S+) may not (?P<a>\S+)", "peran {r} tidak berwenang untuk {a}"),
    (r"the role (?P<r>\S+) does not sign reports", "peran {r} tidak menandatangani laporan"),
    (
        r"'(?P<n>[^']+)' is not a user of this page: ask an administrator to run pantau user add",
        "'{n}' bukan pengguna halaman ini: minta administrator menjalankan pantau user add",
    ),
    (r"no link '(?P<n>[^']*)'; the board lists them", "tidak ada link '{n}'; daftarnya ada di papan"),
    # signing reports
    (r"--as (?P<r>\S+): choose one of (?P<known>.+)", "--as {r}: pilih salah satu dari {known}"),
    (r"--name is empty: write the signer's name", "--name kosong: tulis nama penanda tangan"),
    (
        r"report (?P<n>\S+) is (the summary|the data center's): no OPD acknowledges it; the first to sign is kasi",
        "laporan {n} milik pusat data: tidak ada OPD yang mengetahuinya; yang pertama menandatangani adalah kasi",
    ),
    (r"report (?P<n>\S+) is already reviewed by the Kadis", "laporan {n} sudah diperiksa Kepala Dinas"),
    (
        r"report (?P<n>\S+) is (?P<s>\S+): the next to sign is (?P<e>\S+), not (?P<r>\S+)",
        "laporan {n} berstatus {s}: yang berikutnya menandatangani adalah {e}, bukan {r}",
    ),
    (
        r"report '(?P<n>[^']*)': choose a report of the list to sign",
        "laporan '{n}': pilih laporan dari daftar untuk ditandatangani",
    ),
    (
        r"no OPD with a WAN link, nor an address of one, '(?P<name>[^']+)' in the inventory; OPDs with a WAN link: "
        r"(?P<known>.+)",
        "'{name}' bukan OPD dengan link WAN maupun alamatnya di inventaris; OPD dengan link WAN: {known}",
    ),
    (
        r"no (?P<kind>.+) '(?P<name>[^']+)' in the inventory; (?P<what>[^:]+): (?P<known>.+)",
        "{kind} '{name}' tidak ada di inventaris; yang ada ({what}): {known}",
    ),
    (
        r"--at '(?P<a>.+)': write the time as YYYY-MM-DD HH:MM \(in (?P<tz>.+)\)",
        "--at '{a}': tulis waktunya sebagai YYYY-MM-DD HH:MM (zona {tz})",
    ),
    (
        r"--at (?P<a>.+) is in the past \((?P<tz>.+)\); choose a later time",
        "--at {a} sudah lewat ({tz}); pilih waktu yang lebih kemudian",
    ),
    (
        r"no scheduled maintenance '(?P<j>.+)'; see pantau maintenance list",
        "tidak ada pemeliharaan terjadwal '{j}'; lihat pantau maintenance list",
    ),
    (r"no run (?P<r>\S+); see pantau runs list", "tidak ada run {r}; lihat pantau runs list"),
    (r"no ticket (?P<t>\S+); see pantau ticket list", "tidak ada tiket {t}; lihat pantau ticket list"),
    (
        r"ticket (?P<t>\d+) is (?P<s>\w+): next may come (?P<a>.+), not (?P<step>\w+)",
        "tiket {t} berstatus {s}: langkah berikutnya boleh {a}, bukan {step}",
    ),
    (r"--channel (?P<c>.+): choose one of (?P<known>.+)", "--channel {c}: pilih salah satu dari {known}"),
    (
        r"--channel lapor needs --ref with the LAPOR complaint number",
        "--channel lapor memerlukan --ref berisi nomor aduan LAPOR",
    ),
    (
        r"maintenance needs SSH: set known_hosts in pantau\.yml \(host keys are always checked\)",
        "pemeliharaan memerlukan SSH: isi known_hosts di pantau.yml (kunci host selalu diperiksa)",
    ),
    (
        r"(?P<h>\S+) has no live allocation; see pantau ipam show",
        "{h} tidak punya alokasi aktif; lihat pantau ipam show",
    ),
    (
        r"no prefix '(?P<p>[^']+)' in the inventory; prefixes: (?P<known>.+)",
        "tidak ada prefix '{p}' di inventaris; prefix yang ada: {known}",
    ),
    (
        r"--mac '(?P<m>[^']+)': write it as six hex pairs, aa:bb:cc:dd:ee:ff",
        "--mac '{m}': tulis sebagai enam pasang heksadesimal, aa:bb:cc:dd:ee:ff",
    ),
    (r"secret (?P<ref>\S+): (?P<rest>.+)", "rahasia {ref}: {rest}"),
    (
        r"cannot read (?P<f>\S+): (?P<why>.+); check the path and its mode",
        "tidak dapat membaca {f}: {why}; periksa path dan mode berkasnya",
    ),
    (
        r"environment variable (?P<v>\S+) is not set; export it before running",
        "variabel lingkungan {v} belum diisi; export sebelum menjalankan",
    ),
)
_COMPILED = tuple((re.compile(pattern), template) for pattern, template in _ERRORS)


def error_text(message: str, lang: str | None = None) -> str:
    """``message`` (English, as raised) in ``lang`` (default: the current language), line by line."""
    if (lang or _current[0]) == "en":
        return message
    return "\n".join(_line(line) for line in message.split("\n"))


def _line(line: str) -> str:
    for pattern, template in _COMPILED:
        found = pattern.fullmatch(line)
        if found is not None:
            groups = found.groupdict()
            if "rest" in groups:
                groups["rest"] = _line(groups["rest"])
            return template.format(**groups)
    return line
