"""The colocation request is checked whole before anything is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.loader import load_inventory
from playbooks.colocate import ColocationRequest, validate_request
from playbooks.errors import PlaybookError

INVENTORY = load_inventory(Path(__file__).resolve().parents[3] / "inventory" / "example")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hostname", "simpeg\n"),  # a trailing newline ($ matched before it)
        ("hostname", "Simpeg"),
        ("subdomain", "simpeg\n"),
        ("mac", "aa:bb:cc:dd:ee:ff\n"),
        ("mac", "aa:bb:cc:dd:ee"),
    ],
)
def test_inputs_are_matched_whole(field: str, value: str) -> None:
    request = ColocationRequest(**{"opd": "dinkes", "hostname": "simpeg", field: value})  # type: ignore[arg-type]
    with pytest.raises(PlaybookError, match=f"--{field}"):
        validate_request(INVENTORY, request)


def test_a_well_formed_request_passes() -> None:
    request = ColocationRequest("dinkes", "simpeg", mac="aa:bb:cc:dd:ee:ff", subdomain="simpeg")
    assert validate_request(INVENTORY, request).name
