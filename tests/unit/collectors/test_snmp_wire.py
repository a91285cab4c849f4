"""The v2c wire codec against pysnmp's own (pyasn1): what one encodes, the other reads the same."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api
from pysnmp.proto import rfc1902 as t
from pysnmp.proto.rfc1905 import endOfMibView, noSuchInstance, noSuchObject

from collectors.snmp_wire import GET, GETBULK, V2cClient, WireError, decode_response, encode_oid, encode_request

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

oids = st.builds(
    lambda first, second, rest: (first, second, *rest),
    st.integers(0, 2),
    st.integers(0, 39),
    st.lists(st.integers(0, 2**32 - 1), max_size=14),
)
values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (t.Integer32(v), v)),
    st.integers(0, 2**32 - 1).map(lambda v: (t.Counter32(v), v)),
    st.integers(0, 2**32 - 1).map(lambda v: (t.Gauge32(v), v)),
    st.integers(0, 2**32 - 1).map(lambda v: (t.TimeTicks(v), v)),
    st.integers(0, 2**64 - 1).map(lambda v: (t.Counter64(v), v)),
    st.binary(max_size=300).map(lambda v: (t.OctetString(v), v)),
    st.ip_addresses(v=4).map(lambda v: (t.IpAddress(str(v)), str(v))),
    oids.map(lambda v: (t.ObjectName(v), ".".join(map(str, v)))),
    st.sampled_from([(noSuchObject, noSuchObject), (noSuchInstance, noSuchInstance), (endOfMibView, endOfMibView)]),
)


def pysnmp_response(
    request_id: int, community: str, varbinds: list[tuple[tuple[int, ...], Any]], status: int = 0, index: int = 0
) -> bytes:
    pdu = V2C.ResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_error_status(pdu, status)
    V2C.apiPDU.set_error_index(pdu, index)
    V2C.apiPDU.set_varbinds(pdu, [(t.ObjectName(o), v) for o, v in varbinds])
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, community)
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


@settings(max_examples=300, deadline=None)
@given(
    request_id=st.integers(-(2**31), 2**31 - 1),
    community=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
    varbinds=st.lists(st.tuples(oids, values), max_size=60),
)
def test_responses_encoded_by_pysnmp_decode_to_the_same_values(
    request_id: int, community: str, varbinds: list[tuple[tuple[int, ...], tuple[Any, Any]]]
) -> None:
    wire = pysnmp_response(request_id, community, [(o, asn1) for o, (asn1, _) in varbinds], 5, 3)
    got_community, response = decode_response(wire)
    assert got_community == community.encode()
    assert (response.request_id, response.error_status, response.error_index) == (request_id, 5, 3)
    assert response.varbinds == [(".".join(map(str, o)), want) for o, (_, want) in varbinds]


@settings(max_examples=200, deadline=None)
@given(
    pdu=st.sampled_from([GET, GETBULK]),
    request_id=st.integers(0, 2**31 - 1),
    names=st.lists(oids, min_size=1, max_size=40),
    non_repeaters=st.integers(0, 5),
    repetitions=st.integers(0, 100),
)
def test_requests_decode_in_pysnmp_as_sent(
    pdu: int, request_id: int, names: list[tuple[int, ...]], non_repeaters: int, repetitions: int
) -> None:
    dotted = [".".join(map(str, o)) for o in names]
    wire = encode_request(pdu, request_id, b"c0mmunity", dotted, non_repeaters, repetitions)
    msg, rest = decoder.decode(wire, asn1Spec=V2C.Message())
    assert rest == b""
    assert str(V2C.apiMessage.get_community(msg)) == "c0mmunity"
    got = V2C.apiMessage.get_pdu(msg)
    assert got.tagSet == (V2C.GetBulkRequestPDU if pdu == GETBULK else V2C.GetRequestPDU).tagSet
    assert int(V2C.apiPDU.get_request_id(got)) == request_id
    assert [tuple(o) for o, _ in V2C.apiPDU.get_varbinds(got)] == names
    if pdu == GETBULK:
        assert int(V2C.apiBulkPDU.get_non_repeaters(got)) == non_repeaters
        assert int(V2C.apiBulkPDU.get_max_repetitions(got)) == repetitions


@pytest.mark.parametrize(
    ("wire", "problem"),
    [
        (b"", "truncated"),
        (b"\x30\x03\x02\x01\x00", "not SNMPv2c"),
        (b"\x30\x10\x02\x01\x01\x04\x01c", "runs past"),
        (encode_request(GET, 1, b"c", ["1.3.6.1"]), "not a response"),
    ],
)
def test_malformed_datagrams_are_refused_with_the_reason(wire: bytes, problem: str) -> None:
    with pytest.raises(WireError, match=problem):
        decode_response(wire)


def test_oid_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="not an object identifier"):
        encode_oid("1.40.1")


def test_client_takes_only_the_answer_from_the_address_asked_with_the_community_asked() -> None:
    """A loopback responder answers every request twice: first from another port (a stray or spoofed
    datagram), then from the right one; the client must wait for the right one."""

    async def scenario() -> tuple[Any, Any]:
        right = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        right.bind(("127.0.0.1", 0))
        right.setblocking(False)
        stray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stray.bind(("127.0.0.1", 0))
        loop = asyncio.get_running_loop()

        async def respond() -> None:
            data, peer = await loop.sock_recvfrom(right, 2048)
            msg, _ = decoder.decode(data, asn1Spec=V2C.Message())
            rid = int(V2C.apiPDU.get_request_id(V2C.apiMessage.get_pdu(msg)))
            stray.sendto(pysnmp_response(rid, "public", [((1, 3, 6, 1), t.Integer32(666))]), peer)
            right.sendto(pysnmp_response(rid, "wrong", [((1, 3, 6, 1), t.Integer32(667))]), peer)
            await asyncio.sleep(0.05)
            right.sendto(pysnmp_response(rid, "public", [((1, 3, 6, 1), t.Integer32(42))]), peer)

        client = V2cClient()
        try:
            task = asyncio.create_task(respond())
            port = right.getsockname()[1]
            answer = await client.request("127.0.0.1", port, b"public", GET, ["1.3.6.1"], 2.0, 0)
            await task
            silent = await client.request("127.0.0.1", port, b"public", GET, ["1.3.6.1"], 0.1, 1)
            return answer, silent
        finally:
            client.close()
            right.close()
            stray.close()

    answer, silent = asyncio.run(scenario())
    assert answer is not None and answer.varbinds == [("1.3.6.1", 42)]
    assert silent is None  # nobody answers the second request: None after 1 + 1 tries


def test_many_first_requests_at_once_share_one_socket() -> None:
    import asyncio
    import os

    async def first_requests() -> tuple[int, int]:
        client = V2cClient()
        before = len(os.listdir("/proc/self/fd"))
        # to a loopback port nobody answers: each request waits its timeout; only the socket count matters
        await asyncio.gather(
            *(client.request("127.0.0.1", 9, b"x", GET, ["1.3.6.1.2.1.1.3.0"], 0.05, 0) for _ in range(20))
        )
        opened, transports = len(os.listdir("/proc/self/fd")) - before, len(client._transports)
        client.close()
        return opened, transports

    opened, transports = asyncio.run(first_requests())
    assert (opened, transports) == (1, 1)


def test_a_late_answer_to_the_first_send_completes_the_request_while_the_retry_waits() -> None:
    """The responder takes both sends (same request-id), answers only after the first send's timeout has
    passed: the client takes that answer instead of giving up, and sent exactly twice."""

    async def scenario() -> tuple[Any, int, int]:
        device = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        device.bind(("127.0.0.1", 0))
        device.setblocking(False)
        loop = asyncio.get_running_loop()

        async def respond() -> set[int]:
            ids = set()
            for _ in range(2):
                data, peer = await loop.sock_recvfrom(device, 2048)
                msg, _ = decoder.decode(data, asn1Spec=V2C.Message())
                ids.add(int(V2C.apiPDU.get_request_id(V2C.apiMessage.get_pdu(msg))))
            (rid,) = ids
            device.sendto(pysnmp_response(rid, "public", [((1, 3, 6, 1), t.Integer32(7))]), peer)
            return ids

        client = V2cClient()
        try:
            task = asyncio.create_task(respond())
            answer = await client.request("127.0.0.1", device.getsockname()[1], b"public", GET, ["1.3.6.1"], 0.2, 2)
            ids = await task
            return answer, len(ids), len(client._waiting)
        finally:
            client.close()
            device.close()

    answer, distinct_ids, waiting = asyncio.run(scenario())
    assert answer is not None and answer.varbinds == [("1.3.6.1", 7)]
    assert distinct_ids == 1  # both sends carry one request-id
    assert waiting == 0  # nothing left waiting for an answer
