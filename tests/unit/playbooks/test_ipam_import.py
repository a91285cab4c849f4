"""Which host a DNS record names, as IPAM keeps it, and which address a PTR record stands for (the pure parts
of ``pantau ipam import-dns``; the import itself runs against the lab's BIND9 in tests/lab)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.ipam import parse_address
from inventory.loader import load_inventory
from playbooks.effectors.dns import Record
from playbooks.ipam_import import Action, Candidate, _host, _named, _pointed, apply
from store import conflicts
from store.allocations import Allocations
from store.engine import open_store

INV = load_inventory(Path(__file__).resolve().parents[3] / "inventory" / "example")


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("simpeg.pemkot.test", "simpeg"),  # as pantau colocate --hostname keeps it
        ("www.simpeg.pemkot.test", "www.simpeg.pemkot.test"),  # deeper: the whole name
        ("mail.other.example", "mail.other.example"),
        ("pemkot.test", "pemkot.test"),
    ],
)
def test_a_name_in_the_agency_zone_is_kept_by_its_first_label_any_other_whole(name: str, host: str) -> None:
    assert _host(INV, name) == host


def test_a_ptr_record_stands_for_the_address_its_owner_name_spells_and_a_partial_name_for_none() -> None:
    assert _pointed("14.20.10.10.in-addr.arpa") == "10.10.20.14"
    assert _pointed("20.10.10.in-addr.arpa") is None  # a delegation, not one address
    records = [
        Record("pemkot.test", "victim.pemkot.test", "A", "10.10.20.10"),
        Record("10.10.in-addr.arpa", "10.20.10.10.in-addr.arpa", "PTR", "victim.pemkot.test"),
        Record("10.10.in-addr.arpa", "20.10.10.in-addr.arpa", "PTR", "odd.pemkot.test"),
    ]
    assert {a: [r.rtype for r in rs] for a, rs in _named(records).items()} == {"10.10.20.10": ["A", "PTR"]}


def test_an_import_that_loses_its_address_to_another_claim_keeps_ipam_skipping_it(tmp_path: Path) -> None:
    """The conflict a colocation recorded for the address is cleared to take it in; if someone allocated it
    meanwhile, the candidate is reported and the conflict is recorded again, never lost."""
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    allocations = Allocations(store, INV.prefixes)
    servers = next(p for p in INV.prefixes if p.name == "servers")
    conflicts.record(store, "servers", "10.10.20.10", "dns victim.pemkot.test A 10.10.20.10", None, 7)
    found = Candidate("10.10.20.10", "servers", "victim", ("victim.pemkot.test A 10.10.20.10",), Action.IMPORT)
    taken = Candidate("10.10.20.13", "servers", "legacy", ("legacy.pemkot.test A 10.10.20.13",), Action.IMPORT)
    allocations.allocate(servers, "squatter", None, None, "ani", None, requested=parse_address("10.10.20.13"))
    conflicts.record(store, "servers", "10.10.20.13", "dns legacy.pemkot.test A 10.10.20.13", None, 7)
    done = apply(INV, store, allocations, [found, taken], "budi")
    assert [(c.address, c.action) for c in done] == [
        ("10.10.20.10", Action.IMPORTED),
        ("10.10.20.13", Action.OTHER_NAME),
    ]
    assert [c.address for c in conflicts.open_conflicts(store)] == ["10.10.20.13"]  # still skipped
