"""The colocation request is checked whole before anything is touched; its facts keep their stored shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.loader import load_inventory
from playbooks.colocate import ColocationFacts, ColocationRequest, validate_request
from playbooks.effectors.dns import DnsOutcome, Record
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


# a colocation's facts as runs have always stored them (and as `pantau runs show --json` prints them):
# flat, a DNS change as `forward`, `forward_before`, `forward_result`
STORED = {
    "prefix": "server",
    "address": "10.20.0.10",
    "allocation_existing": False,
    "forward": {"zone": "kota.go.id", "name": "simpeg.kota.go.id", "rtype": "A", "value": "10.20.0.10", "ttl": 3600},
    "forward_before": [],
    "forward_result": "added",
    "reverse": {"zone": "0.20.10.in-addr.arpa", "name": "10.0.20.10.in-addr.arpa", "rtype": "PTR",
                "value": "simpeg.kota.go.id", "ttl": 3600},
    "reverse_before": [{"zone": "0.20.10.in-addr.arpa", "name": "10.0.20.10.in-addr.arpa", "rtype": "PTR",
                        "value": "old.kota.go.id", "ttl": 300}],
    "monitoring": "simpeg.kota.go.id",
}  # fmt: skip


def test_colocation_facts_read_the_stored_shape_as_typed_changes_and_write_it_back_unchanged() -> None:
    facts = ColocationFacts.model_validate(STORED)
    assert facts.forward.result is DnsOutcome.ADDED and facts.forward.record is not None
    assert facts.forward.record.value == "10.20.0.10"
    assert facts.reverse.result is None  # the update's answer never came: it may have applied
    assert [r.value for r in facts.reverse.before] == ["old.kota.go.id"] and facts.reverse.before[0].ttl == 300
    assert facts.subdomain.record is None and facts.monitoring_result is None
    assert facts.to_json() == STORED


def test_fresh_colocation_facts_store_nothing_and_a_record_never_sent_leaves_no_trace() -> None:
    facts = ColocationFacts()
    assert facts.to_json() == {}
    facts.address = "10.20.0.11"
    facts.subdomain.before = [Record("kota.go.id", "app.dinkes.kota.go.id", "CNAME", "x.kota.go.id")]
    assert facts.to_json() == {"address": "10.20.0.11"}  # no record: the update certainly did not go out
