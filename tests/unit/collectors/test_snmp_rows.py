"""Splitting a walked OID into its column's row index, and emptying the cache of those splits (the walk
does it when the cache reaches ROW_CACHE entries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp import SnmpCollector, _row

OPER = "1.3.6.1.2.1.2.2.1.8"


@pytest.mark.parametrize(
    ("oid", "row"),
    [
        (f"{OPER}.5", (5,)),
        (f"{OPER}.1.2.3", (1, 2, 3)),
        ("1.3.6.1.2.1.2.2.1.80.5", ()),  # another column whose number starts with the same digits
        (OPER, ()),
        ("1.3.6.1.2.1.2.2.1.9.1", ()),
    ],
)
def test_an_oid_is_a_row_of_its_column_only_past_a_dot(oid: str, row: tuple[int, ...]) -> None:
    assert _row(oid, OPER) == row


def test_forgetting_the_row_cache_empties_it_in_place_for_the_walks_holding_it() -> None:
    collector = SnmpCollector(Path("."))
    kept = collector._rows.setdefault(OPER, {})
    for i in range(1, 3):
        kept[f"{OPER}.{i}"] = (i,)
    collector._rows_kept = 2
    collector._forget_rows()
    assert kept == {} and collector._rows[OPER] is kept and collector._rows_kept == 0
    collector.close()
