"""Whatever YAML the loader is fed, it answers with an inventory or its own error, each problem placed."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.errors import InventoryLoadError
from inventory.loader import load_inventory

SECTIONS = ["agency", "sites", "opds", "devices", "links", "prefixes", "zones", "credentials", "other"]
FIELDS = ["name", "slug", "site", "zone", "opd", "prefix", "gateway", "dc", "cpe", "interfaces", "snmp", "x"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["10.0.0.1", "10.0.0.0/24", "env:X", "file:/nonexistent", "dinkes", "Asia/Jakarta"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(SECTIONS), values, max_size=4)
raw_text = st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#\n\t 01.,%@")), max_size=80)


def _check(text: str) -> None:
    with TemporaryDirectory() as tmp:
        Path(tmp, "inv.yml").write_text(text, encoding="utf-8")
        try:
            load_inventory(Path(tmp))
        except InventoryLoadError as exc:
            assert exc.problems
            for problem in exc.problems:
                # at a line of the file, or about the whole folder (no agency; checks across files not made)
                assert (problem.file.endswith("inv.yml") and problem.line >= 1) or (
                    problem.file == tmp and problem.line == 0
                )
                assert problem.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_structured_random_yaml_gives_only_loader_errors_with_places(doc: dict[str, object]) -> None:
    _check(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(raw_text)
def test_random_text_gives_only_loader_errors_with_places(text: str) -> None:
    _check(text)


def test_alias_bomb_is_refused_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
    with TemporaryDirectory() as tmp:
        Path(tmp, "bomb.yml").write_text("\n".join(lines) + "\n")
        try:
            load_inventory(Path(tmp))
        except InventoryLoadError as exc:
            assert any("alias bomb" in p.message for p in exc.problems)
        else:
            raise AssertionError("an alias bomb must be refused")


def test_a_fleet_larger_than_the_alias_guard_floor_is_read() -> None:
    """A province's inventory has more nodes than the guard's floor (200,000) without a single alias: the
    guard scales with the text, so the file is read (it was refused as an alias bomb at 5,000 devices)."""
    devices = [{"name": f"sw{i}", "role": "core", "platform": "linux", "site": "dc",
                "mgmt_address": f"10.{i // 250}.{i % 250}.1",
                "interfaces": [{"name": f"ge-0/0/{p}"} for p in range(48)]} for i in range(2_100)]  # fmt: skip
    with TemporaryDirectory() as tmp:
        agency = {"name": "A", "zone": "a.test", "timezone": "Asia/Jakarta", "team": "T"}
        Path(tmp, "agency.yml").write_text(yaml.safe_dump({"agency": agency}))
        Path(tmp, "sites.yml").write_text(yaml.safe_dump({"sites": [{"name": "dc", "kind": "datacenter"}]}))
        text = yaml.safe_dump({"devices": devices})
        assert "&" not in text and "*" not in text  # no aliases: every node is written out
        Path(tmp, "devices.yml").write_text(text)
        inventory = load_inventory(Path(tmp))
    assert len(inventory.devices) == 2_100
    assert all(len(d.interfaces) == 48 for d in inventory.devices)
