"""SNMP values as devices send them: interface names with NULs and odd bytes, numbers of the wrong type."""

from __future__ import annotations

import pytest
from pysnmp.proto.rfc1902 import Counter64, Integer32, OctetString

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
