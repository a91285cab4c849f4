from __future__ import annotations

from pathlib import Path

import pytest

from inventory.errors import SecretError
from inventory.secrets import resolve_secret


def test_env_reference_reads_the_variable(tmp_path: Path) -> None:
    assert resolve_secret("env:SNMP_KEY", tmp_path, {"SNMP_KEY": "s3cret"}) == "s3cret"


def test_relative_file_reference_is_taken_from_the_inventory_folder(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("abc\n")
    assert resolve_secret("file:key", tmp_path, {}) == "abc"


def test_unset_variable_error_names_it_but_not_a_value(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="environment variable SNMP_KEY is not set"):
        resolve_secret("env:SNMP_KEY", tmp_path, {"OTHER": "s3cret"})


def test_unreadable_file_error_says_what_to_check(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="check the path and its mode"):
        resolve_secret("file:missing", tmp_path, {})
