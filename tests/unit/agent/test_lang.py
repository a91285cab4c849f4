"""The Indonesian of the errors staff meet, from the very functions that raise them (English, as logged)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.lang import error_text
from agent.web.auth import check_new_password
from inventory.loader import load_inventory
from playbooks.errors import PlaybookError, require_opd

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


def raised(fn: Callable[..., object], *args: object) -> str:
    with pytest.raises((ValueError, PlaybookError)) as caught:
        fn(*args)
    return str(caught.value)


def test_password_rules_read_in_indonesian_and_stay_english_when_asked() -> None:
    short = raised(check_new_password, "pendek")
    assert error_text(short, "id") == "kata sandi hanya 6 karakter; gunakan paling sedikit 10"
    assert error_text(short, "en") == short == "the password has 6 characters; use at least 10"
    assert error_text(raised(check_new_password, "x" * 73), "id").startswith("kata sandi lebih dari 72 byte")


def test_an_unknown_opd_reads_in_indonesian_from_the_cli_and_from_the_page() -> None:
    inv = load_inventory(EXAMPLE)
    assert error_text(raised(require_opd, inv, "nosuch"), "id").startswith("--opd 'nosuch' bukan OPD di inventaris")
    assert error_text(raised(require_opd, inv, "", "opd"), "id").startswith("opd '' bukan OPD di inventaris; OPD")


def test_a_message_the_catalogue_does_not_know_is_shown_as_raised() -> None:
    assert error_text("something new happened", "id") == "something new happened"
