"""The Indonesian of the errors staff meet, from the very functions that raise them: each carries its
message template and fields (i18n.Msg), its English is what logs read, and the catalog gives the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.config import load_config
from agent.errors import ConfigError
from agent.lang import error_text
from agent.web.auth import check_new_password
from i18n import Msg
from inventory.errors import SecretError
from inventory.loader import load_inventory
from inventory.secrets import resolve_secret
from playbooks.errors import PlaybookError, RunFailed, require_opd

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


def raised(fn: Callable[..., object], *args: object, **kwargs: object) -> Exception:
    with pytest.raises((ValueError, PlaybookError, SecretError, ConfigError)) as caught:
        fn(*args, **kwargs)
    return caught.value


def test_password_rules_read_in_indonesian_and_stay_english_when_asked() -> None:
    short = raised(check_new_password, "pendek")
    assert error_text(short, "id") == "kata sandi hanya 6 karakter; gunakan paling sedikit 10"
    assert error_text(short, "en") == str(short) == "the password has 6 characters; use at least 10"
    assert error_text(raised(check_new_password, "x" * 73), "id").startswith("kata sandi lebih dari 72 byte")


def test_an_unknown_opd_reads_in_indonesian_from_the_cli_and_from_the_page() -> None:
    inv = load_inventory(EXAMPLE)
    assert error_text(raised(require_opd, inv, "nosuch"), "id").startswith("--opd 'nosuch' bukan OPD di inventaris")
    assert error_text(raised(require_opd, inv, "", "opd"), "id").startswith("opd '' bukan OPD di inventaris; OPD")


def test_a_message_inside_a_message_is_translated_too() -> None:
    error = raised(resolve_secret, "env:PANTAU_UNSET", EXAMPLE, environ={})
    assert (
        str(error) == "secret env:PANTAU_UNSET: environment variable PANTAU_UNSET is not set; export it before running"
    )
    assert error_text(error, "id") == (
        "rahasia env:PANTAU_UNSET: variabel lingkungan PANTAU_UNSET belum diisi; export sebelum menjalankan"
    )


def test_a_validators_message_keeps_its_translation_through_the_configuration_error(tmp_path: Path) -> None:
    env = {"PANTAU_LISTEN": "nowhere", "PANTAU_TIMEZONE": "Asia/Bandung", "PANTAU_STATE_DIR": str(tmp_path)}
    error = raised(load_config, None, env, system_config=tmp_path / "absent.yml")
    english, indonesian = str(error).splitlines(), error_text(error, "id").splitlines()
    assert english[0] == "invalid configuration:" and indonesian[0] == "konfigurasi tidak sah:"
    assert (
        "PANTAU_LISTEN: field 'listen': 'nowhere' is not HOST:PORT; e.g. 127.0.0.1:9469, 0.0.0.0:9469 or [::1]:9469"
        in english
    )
    assert (
        "PANTAU_LISTEN: isian 'listen': 'nowhere' bukan HOST:PORT; misalnya 127.0.0.1:9469, 0.0.0.0:9469 atau "
        "[::1]:9469" in indonesian
    )
    assert any(
        line.startswith("PANTAU_TIMEZONE: isian 'timezone': 'Asia/Bandung' bukan zona waktu") for line in indonesian
    )


def test_a_failed_run_reads_as_the_error_of_its_step() -> None:
    try:
        try:
            raise PlaybookError(Msg("no run {run}; see pantau runs list", run=7))
        except PlaybookError as cause:
            raise RunFailed(7, "allocate", str(cause)) from cause
    except RunFailed as failed:
        assert error_text(failed, "id") == "tidak ada run 7; lihat pantau runs list"


def test_a_message_raised_without_a_template_is_shown_as_raised() -> None:
    assert error_text(ValueError("something new happened"), "id") == "something new happened"
    assert error_text("plain text", "id") == "plain text"
