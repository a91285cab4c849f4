"""The message catalogs: every message the code writes (help texts included) has its Indonesian, the
compiled catalogs are the ones the .po files describe, and pantau's help speaks the chosen language."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys

import pytest

from agent.catalog import messages, mo_bytes, po_path, read_po
from i18n import DOMAIN, LANGUAGES, LOCALE_DIR

FIELD = re.compile(r"\{[^{}]*\}")


def pantau(*args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PANTAU_CONFIG": "/nonexistent"}
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, check=True, env=env
    ).stdout


def test_every_message_of_the_code_has_its_indonesian_in_the_catalog() -> None:
    wanted = messages()
    assert "Run the agent: poll every OPD link on schedule and serve Prometheus metrics." in wanted  # a docstring
    assert "machine-readable output" in wanted  # an option's help
    assert "Options" in wanted  # a tr() in the code
    assert "OPDs affected" in wanted  # a tr() inside an f-string's braces
    assert "wrong name or password" in wanted  # an error's Msg
    assert "Log out" in wanted  # a template's _()
    catalog = read_po("id")
    untranslated = {
        text: where
        for text, where in wanted.items()
        if (found := catalog.get(text)) is None or not found.string or found.fuzzy
    }
    assert not untranslated, f"run make catalogs, then translate in {po_path('id')}: {untranslated}"


def test_a_translation_keeps_the_fields_its_message_fills() -> None:
    for message in read_po("id"):
        if message.id and message.string:
            assert sorted(FIELD.findall(str(message.id))) == sorted(FIELD.findall(str(message.string))), message.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalog_is_the_one_its_po_file_describes(lang: str) -> None:
    assert po_path(lang).with_suffix(".mo").read_bytes() == mo_bytes(read_po(lang)), "run make catalogs"
    assert gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])  # where agent.lang looks for it


def test_help_speaks_indonesian_by_default_and_english_when_asked() -> None:
    indonesian, english = pantau("--help"), pantau("--lang", "en", "--help")
    assert "agen operasi pusat data" in indonesian and "Perintah" in indonesian
    assert "Jalankan agen: poll setiap link OPD" in indonesian
    assert "the data center's operations agent" in english and "Commands" in english
    assert "Run the agent: poll every OPD link" in english
    triage, triage_en = pantau("triage", "--help"), pantau("--lang", "en", "triage", "--help")
    assert "di mana gangguannya" in triage and "keluaran untuk mesin" in triage and "[wajib]" in triage
    assert "where the fault is" in triage_en and "machine-readable output" in triage_en
    assert "Tampilkan pesan ini lalu keluar." in pantau("ticket", "open", "--help")  # a group's command
