"""SNMP values as devices send them: interface names with NULs and odd bytes, numbers of the wrong type."""

from __future__ import annotations

import pytest
from pysnmp.proto.rfc1902 import Counter64, Integer32, OctetString

from collectors.snmp import walk_columns
from collectors.snmp_host import MEM_AVAIL_REAL, MEM_BUFFER, MEM_CACHED, MEM_SYS_AVAIL, available_kib
from collectors.snmp_values import interface_name, number


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (OctetString(b"MS TCP Loopback interface\x00"), "MS TCP Loopback interface"),  # Windows: a C string whole
        (OctetString(b"eth0\x00\x00\x00"), "eth0"),
        (OctetString(b"  GigabitEthernet0/1  "), "GigabitEthernet0/1"),
        (OctetString("Sambungan Lokal – utama".encode()), "Sambungan Lokal – utama"),  # UTF-8
        (OctetString(b"Verbindung \xe4"), "Verbindung ä"),  # not UTF-8: Latin-1
        (b"ether1\x00", "ether1"),  # the v2c wire codec's bytes
    ],
)
def test_interface_names_are_text_without_padding(raw: object, name: str) -> None:
    assert interface_name(raw) == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Counter64(2**40), 2**40),
        (Integer32(1), 1),
        (7, 7),
        (OctetString(b"1000"), None),  # digits in a string: a wrong type, not a number
        (b"1000", None),
        ("1000", None),
        (True, None),
        (None, None),
    ],
)
def test_only_integer_typed_values_are_numbers(value: object, expected: int | None) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(
    ("wanted", "if_number", "walk"),
    [
        (20, 21, True),  # most of the device's interfaces: one GETBULK instead of five GETs
        (2, 500, False),  # two ports of a big switch: GET just those rows
        (64, 5000, True),  # many ports: walking is fewer requests whatever the share
        (3, None, False),  # ifNumber not known yet (first poll): GET
        (0, 0, False),  # nothing wanted: nothing to walk
    ],
)
def test_columns_are_walked_when_the_wanted_interfaces_are_many_or_most(
    wanted: int, if_number: int | None, walk: bool
) -> None:
    assert walk_columns(wanted, if_number) is walk


def test_available_memory_is_memsysavail_else_free_with_buffers_and_cache_never_free_alone() -> None:
    """net-snmp 5.9's memSysAvail is MemAvailable (checked against a real snmpd: equal to /proc/meminfo's);
    memAvailReal is MemFree, a fraction of it on a host with a page cache."""
    assert available_kib({MEM_SYS_AVAIL: 24_304_240, MEM_AVAIL_REAL: 1_000}) == 24_304_240
    assert available_kib({MEM_AVAIL_REAL: 1_000, MEM_BUFFER: 200, MEM_CACHED: 2_000}) == 3_200
    assert available_kib({MEM_AVAIL_REAL: 1_000}) == 1_000
    assert available_kib({}) is None
