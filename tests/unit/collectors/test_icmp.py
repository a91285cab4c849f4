"""The pure halves of the ICMP prober: packet building, reply parsing, round statistics."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from collectors.icmp import ECHO_REPLY, EchoTemplate, checksum, echo_request, parse_reply
from collectors.samples import ProbeResult


def test_echo_request_checksum_verifies_to_zero() -> None:
    packet = echo_request(0x1234, 7)
    assert checksum(packet) == 0
    assert struct.unpack("!BBHHH", packet[:8])[3:] == (0x1234, 7)


@given(st.binary(max_size=64))
def test_checksum_of_data_with_its_checksum_is_zero(data: bytes) -> None:
    if len(data) % 2:
        data += b"\0"
    assert checksum(data + struct.pack("!H", checksum(data))) == 0


def test_raw_reply_is_parsed_after_the_ip_header() -> None:
    ip_header = bytes([0x45]) + bytes(19)
    reply = struct.pack("!BBHHH", ECHO_REPLY, 0, 0, 42, 9)
    assert parse_reply(ip_header + reply, raw=True) == (ECHO_REPLY, 42, 9)
    assert parse_reply(reply, raw=False) == (ECHO_REPLY, 42, 9)


@given(st.binary(max_size=40), st.booleans())
def test_junk_never_raises(data: bytes, raw: bool) -> None:
    parse_reply(data, raw)


def test_round_statistics() -> None:
    r = ProbeResult("10.0.0.1", 0.0, 5, (0.010, 0.014, 0.012))
    assert r.loss_ratio == 0.4
    assert (r.rtt_min, r.rtt_max) == (0.010, 0.014)
    assert abs(r.rtt_avg - 0.012) < 1e-12  # type: ignore[operator]
    assert abs(r.jitter - 0.003) < 1e-12  # type: ignore[operator]
    assert ProbeResult("x", 0.0, 3, ()).rtt_avg is None


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_template_packets_equal_freshly_built_ones(ident: int, seq: int) -> None:
    assert EchoTemplate(ident).packet(seq) == echo_request(ident, seq)
