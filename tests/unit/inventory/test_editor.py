"""Edits to the agency's inventory files: only the new lines appear, every comment stays, a removal gives
the files back byte for byte, a result that does not validate writes nothing, and an edit cut off half way
is completed by the next load (before or after, never half)."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from inventory.editor import InventoryEdit, InventoryEditError
from inventory.errors import InventoryLoadError
from inventory.journal import JOURNAL
from inventory.loader import load_inventory
from tests.conftest import INVENTORY

SITE = {"name": "kantor-dpmptsp", "address": "Jl. Perizinan 50"}
OPD = {"slug": "dpmptsp", "name": "Dinas Penanaman Modal dan PTSP", "site": "kantor-dpmptsp"}
PREFIX = {"name": "dpmptsp-p2p", "prefix": "10.0.0.0/30", "purpose": "p2p", "opd": "dpmptsp", "within": "opd-p2p"}


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "inventory"
    shutil.copytree(INVENTORY, copy)
    creds = copy / "credentials.yml"
    creds.write_text(creds.read_text().replace("file:../../", f"file:{INVENTORY.parent.parent}/"))
    return copy


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def added_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.decode().splitlines(), after.decode().splitlines()))
    return [d[2:] for d in diff if d.startswith("+ ")], [d[2:] for d in diff if d.startswith("- ")]


def test_an_addition_adds_only_its_lines_in_the_style_of_the_items_before(inv_dir: Path) -> None:
    before = files(inv_dir)
    with InventoryEdit(inv_dir) as edit:
        edit.append("sites", SITE)
        edit.append("opds", OPD)
        edit.append("prefixes", PREFIX)
        written = edit.commit(load_inventory)
    assert sorted(p.name for p in written) == ["opds.yml", "prefixes.yml", "sites.yml"]
    added, removed = added_lines(before["prefixes.yml"], (inv_dir / "prefixes.yml").read_bytes())
    assert removed == []
    assert added == ["  - {name: dpmptsp-p2p, prefix: 10.0.0.0/30, purpose: p2p, opd: dpmptsp, within: opd-p2p}"]
    added, removed = added_lines(before["opds.yml"], (inv_dir / "opds.yml").read_bytes())
    assert removed == [] and added == [
        "  - slug: dpmptsp",
        "    name: Dinas Penanaman Modal dan PTSP",
        "    site: kantor-dpmptsp",
    ]
    assert "# the schools' exam system: never under 5 Mbit/s" in (inv_dir / "opds.yml").read_text()
    assert load_inventory(inv_dir).opd("dpmptsp").name == OPD["name"]


def test_removing_what_was_added_gives_the_files_back_byte_for_byte(inv_dir: Path) -> None:
    before = files(inv_dir)
    with InventoryEdit(inv_dir) as edit:
        edit.append("sites", SITE)
        edit.append("opds", OPD)
        edit.append_within("devices", "name", "core", "interfaces", {"name": "eth9", "address": "10.0.0.1/30"})
        edit.commit(load_inventory)
    with InventoryEdit(inv_dir) as edit:
        edit.remove("opds", lambda item: item["slug"] == "dpmptsp")
        edit.remove("sites", lambda item: item["name"] == "kantor-dpmptsp")
        edit.remove_within("devices", "name", "core", "interfaces", lambda item: item["name"] == "eth9")
        edit.commit(load_inventory)
    assert files(inv_dir) == before


def test_an_edit_that_does_not_validate_writes_nothing_and_names_the_place(inv_dir: Path) -> None:
    before = files(inv_dir)
    with InventoryEdit(inv_dir) as edit, pytest.raises(InventoryLoadError) as raised:
        edit.append("opds", {**OPD, "site": "nowhere"})
        edit.commit(load_inventory)
    assert any(p.file == str(inv_dir / "opds.yml") and "nowhere" in p.message for p in raised.value.problems)
    assert files(inv_dir) == before


def test_a_file_whose_layout_cannot_be_kept_is_refused_not_rewritten(inv_dir: Path) -> None:
    # two indentations in one file: no one layout reproduces both
    (inv_dir / "sites.yml").write_text("sites:\n  - name: a\n    address: x\n  -   name: b\n      address: y\n")
    with (
        InventoryEdit(inv_dir) as edit,
        pytest.raises(InventoryEditError, match=r"sites\.yml: its layout cannot be kept"),
    ):
        edit.append("sites", SITE)


def test_an_edit_cut_off_after_its_journal_is_completed_by_the_next_load(inv_dir: Path) -> None:
    new_text = (inv_dir / "sites.yml").read_text() + "  - name: kantor-dpmptsp\n"
    (inv_dir / ".sites.yml.pantau-new").write_text(new_text)
    (inv_dir / JOURNAL).write_text(json.dumps([[".sites.yml.pantau-new", "sites.yml"]]))
    inv = load_inventory(inv_dir)
    assert "kantor-dpmptsp" in [s.name for s in inv.sites]
    assert sorted(p.name for p in inv_dir.iterdir() if p.name.startswith(".")) == []


def test_files_staged_without_a_journal_are_dropped_and_the_inventory_is_as_before(inv_dir: Path) -> None:
    before = files(inv_dir)
    (inv_dir / ".sites.yml.pantau-new").write_text("sites: []\n")
    load_inventory(inv_dir)
    assert files(inv_dir) == before


def test_items_are_found_and_removed_in_whichever_file_holds_them(inv_dir: Path) -> None:
    # an agency that keeps its servers in a file of their own
    devices = (inv_dir / "devices.yml").read_text()
    head, servers = devices.split("  - name: srv-app1\n", 1)
    (inv_dir / "devices.yml").write_text(head)
    (inv_dir / "servers.yml").write_text("devices:\n  - name: srv-app1\n" + servers)
    before = files(inv_dir)
    with InventoryEdit(inv_dir) as edit:
        edit.append_within("devices", "name", "srv-db1", "interfaces", {"name": "eth2", "address": "10.10.53.9/24"})
        assert edit.remove("devices", lambda d: d["name"] == "srv-app1") == 1
        edit.commit(load_inventory)
    assert "srv-app1" not in (inv_dir / "servers.yml").read_text()
    assert "{name: eth2, address: 10.10.53.9/24}" in (inv_dir / "servers.yml").read_text()
    assert (inv_dir / "devices.yml").read_bytes() == before["devices.yml"]
