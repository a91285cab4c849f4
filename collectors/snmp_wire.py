"""SNMPv2c GET/GETBULK on the wire, for the counter-polling hot path.

pysnmp decodes every response with pyasn1, a general ASN.1 codec: about 125 µs of CPU per varbind on
this machine, three quarters of a 1,000-interface poll (benchmarks/README.md). The messages of a v2c
poll use a handful of BER types, so this module encodes those requests and decodes their responses
directly (a few µs per varbind), and :class:`V2cClient` sends them over one UDP socket per address
family. Everything else (SNMPv3 with its USM security, walks of tables, one-off queries) stays on
pysnmp. RFC 3416 (PDUs), RFC 2578 (types), X.690 (BER).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

from pysnmp.proto.rfc1905 import endOfMibView, noSuchInstance, noSuchObject

GET, GETBULK, RESPONSE = 0xA0, 0xA5, 0xA2
_INTEGER, _OCTETS, _NULL, _OID, _SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
_IPADDRESS, _COUNTER32, _GAUGE32, _TIMETICKS, _OPAQUE, _COUNTER64 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46
_UNSIGNED = frozenset((_COUNTER32, _GAUGE32, _TIMETICKS, _COUNTER64))
#: the RFC 3416 exceptions, as the same objects pysnmp returns (so callers test them one way)
_EXCEPTIONS = {0x80: noSuchObject, 0x81: noSuchInstance, 0x82: endOfMibView}
#: RFC 3416 error-status names
_ERRORS = """noError tooBig noSuchName badValue readOnly genErr noAccess wrongType wrongLength wrongEncoding
wrongValue noCreation inconsistentValue resourceUnavailable commitFailed undoFailed authorizationError
notWritable inconsistentName"""
ERROR_STATUS = dict(enumerate(_ERRORS.split()))
RECEIVE_BUFFER = 4 * 1024 * 1024  # many responses in flight: the default (~200 KB) overflowed


class WireError(ValueError):
    """A datagram that is not a well-formed SNMPv2c response."""


@dataclass(frozen=True)
class Response:
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[tuple[str, Any]]  # (dotted OID, int | bytes | str | None | exception object)


# ---- encoding -----------------------------------------------------------------------------------
def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _integer(value: int) -> bytes:
    return _tlv(_INTEGER, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.strip(".").split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39) or min(arcs) < 0:
        raise ValueError(f"not an object identifier: {oid!r}")
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(reversed(chunk))
    return _tlv(_OID, bytes(body))


_VARBINDS: dict[tuple[str, ...], bytes] = {}  # the encoded variable bindings of a request's OIDs


def encode_request(
    pdu: int, request_id: int, community: bytes, oids: Sequence[str], non_repeaters: int = 0, repetitions: int = 0
) -> bytes:
    """A v2c GetRequest (``GET``) or GetBulkRequest (``GETBULK``, with non-repeaters and max-repetitions)."""
    key = tuple(oids)
    varbinds = _VARBINDS.get(key)
    if varbinds is None:  # a fleet asks the same OIDs every round: encoding them was a third of a round's CPU
        varbinds = b"".join(_tlv(_SEQUENCE, encode_oid(o) + b"\x05\x00") for o in oids)
        if len(_VARBINDS) > 20_000:  # ~1 KiB each
            _VARBINDS.clear()
        _VARBINDS[key] = varbinds
    second, third = (non_repeaters, repetitions) if pdu == GETBULK else (0, 0)
    body = _integer(request_id) + _integer(second) + _integer(third) + _tlv(_SEQUENCE, varbinds)
    return _tlv(_SEQUENCE, _integer(1) + _tlv(_OCTETS, community) + _tlv(pdu, body))


# ---- decoding -----------------------------------------------------------------------------------
def _header(data: bytes, at: int, end: int) -> tuple[int, int, int]:
    """(tag, start of the contents, end of the contents) of the TLV at ``at``."""
    if at + 2 > end:
        raise WireError(f"truncated at byte {at}")
    tag, n = data[at], data[at + 1]
    at += 2
    if n & 0x80:
        size = n & 0x7F
        if size == 0 or size > 4 or at + size > end:
            raise WireError(f"unsupported length at byte {at - 1}")
        n = int.from_bytes(data[at : at + size], "big")
        at += size
    if at + n > end:
        raise WireError(f"length {n} at byte {at} runs past the message")
    return tag, at, at + n


_OID_CACHE: dict[bytes, str] = {}


def decode_oid(body: bytes) -> str:
    text = _OID_CACHE.get(body)
    if text is not None:
        return text
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs or body[-1] & 0x80:
        raise WireError("malformed object identifier")
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    text = ".".join(map(str, head + arcs[1:]))
    if len(_OID_CACHE) > 200_000:  # the OIDs of a fleet repeat every poll; bound it all the same
        _OID_CACHE.clear()
    _OID_CACHE[body] = text
    return text


def _value(tag: int, body: bytes) -> Any:
    if tag in _UNSIGNED:
        return int.from_bytes(body, "big")
    if tag == _INTEGER:
        return int.from_bytes(body, "big", signed=True)
    if tag in (_OCTETS, _OPAQUE):
        return body
    if tag == _IPADDRESS:
        return socket.inet_ntoa(body) if len(body) == 4 else body
    if tag == _OID:
        return decode_oid(body)
    if tag == _NULL:
        return None
    if tag in _EXCEPTIONS:
        return _EXCEPTIONS[tag]
    raise WireError(f"unexpected value type 0x{tag:02x}")


def decode_response(data: bytes) -> tuple[bytes, Response]:
    """(community, response) of a v2c Response-PDU.

    Raises:
        WireError: not a well-formed v2c response.
    """
    end = len(data)
    tag, at, end = _header(data, 0, end)
    if tag != _SEQUENCE:
        raise WireError("not an SNMP message")
    tag, s, e = _header(data, at, end)
    if tag != _INTEGER or data[s:e] != b"\x01":
        raise WireError("not SNMPv2c")
    tag, s, e = _header(data, e, end)
    if tag != _OCTETS:
        raise WireError("no community")
    community = data[s:e]
    tag, at, end = _header(data, e, end)
    if tag != RESPONSE:
        raise WireError(f"PDU type 0x{tag:02x} is not a response")
    fields = []
    for _ in range(3):
        tag, s, at = _header(data, at, end)
        if tag != _INTEGER:
            raise WireError("malformed PDU header")
        fields.append(int.from_bytes(data[s:at], "big", signed=True))
    tag, at, end = _header(data, at, end)
    if tag != _SEQUENCE:
        raise WireError("no variable bindings")
    return community, Response(fields[0], fields[1], fields[2], _varbinds(data, at, end))


def _varbinds(data: bytes, at: int, end: int) -> list[tuple[str, Any]]:
    """The variable bindings between ``at`` and ``end``. The short-form lengths (under 128 bytes) of a
    varbind, its name and a number are read inline: calling :func:`_header` three times per varbind was
    a third of the decoding."""
    varbinds: list[tuple[str, Any]] = []
    append, oids = varbinds.append, _OID_CACHE
    while at < end:
        if at + 2 > end or data[at] != _SEQUENCE:
            raise WireError(f"malformed variable binding at byte {at}")
        n = data[at + 1]
        if n < 0x80:
            at, stop = at + 2, at + 2 + n
            if stop > end:
                raise WireError(f"length {n} at byte {at} runs past the message")
        else:
            _, at, stop = _header(data, at, end)
        if at + 2 > stop or data[at] != _OID:
            raise WireError("variable binding without a name")
        n = data[at + 1]
        if n < 0x80:
            s, e = at + 2, at + 2 + n
            if e > stop:
                raise WireError(f"length {n} at byte {s} runs past the message")
        else:
            _, s, e = _header(data, at, stop)
        body = data[s:e]
        name = oids.get(body) or decode_oid(body)
        if e + 2 > stop:
            raise WireError(f"truncated at byte {e}")
        tag, n = data[e], data[e + 1]
        if n < 0x80:
            s, at = e + 2, e + 2 + n
            if at > stop:
                raise WireError(f"length {n} at byte {s} runs past the message")
        else:
            tag, s, at = _header(data, e, stop)
        if tag in _UNSIGNED:
            append((name, int.from_bytes(data[s:at], "big")))
        else:
            append((name, _value(tag, data[s:at])))
    return varbinds


# ---- transport ----------------------------------------------------------------------------------
_Waiting = dict[int, tuple[tuple[str, int], bytes, "asyncio.Future[Response | None]"]]


def _expire(future: asyncio.Future[Response | None]) -> None:
    if not future.done():
        future.set_result(None)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, waiting: _Waiting) -> None:
        self.waiting = waiting
        self.malformed = 0

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            community, response = decode_response(data)
        except WireError:
            self.malformed += 1
            return
        entry = self.waiting.get(response.request_id)
        # only the address asked, with the community asked, completes a request (RFC 3416 4.2.x)
        if entry is None or entry[0] != (addr[0], addr[1]) or entry[1] != community or entry[2].done():
            return
        entry[2].set_result(response)


class V2cClient:
    """Sends v2c requests over one UDP socket per address family (made on first use, in the running loop)
    and matches responses by request-id, source address and community."""

    def __init__(self) -> None:
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._opening: asyncio.Lock | None = None  # made in the running loop, on first use
        self._waiting: _Waiting = {}
        self._peers: dict[str, tuple[str, int]] = {}  # address as given -> (as the kernel writes it, family)
        self._next_id = 1 + secrets.randbelow(2**30)  # unpredictable: harder to answer for a device

    async def _transport(self, family: int) -> asyncio.DatagramTransport:
        if family in self._transports:
            return self._transports[family]
        # many devices' first requests arrive together: one opens the socket, the others wait for it (without
        # the lock each made a socket of its own and all but the last were left open)
        self._opening = self._opening or asyncio.Lock()
        async with self._opening:
            return await self._open(family)

    async def _open(self, family: int) -> asyncio.DatagramTransport:
        if family not in self._transports:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))  # noqa: S104 (an ephemeral client port)
            sock.setblocking(False)
            transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: _Protocol(self._waiting), sock=sock
            )
            self._transports[family] = transport
        return self._transports[family]

    async def request(
        self,
        address: str,
        port: int,
        community: bytes,
        pdu: int,
        oids: Sequence[str],
        timeout: float,
        retries: int,
        non_repeaters: int = 0,
        repetitions: int = 0,
    ) -> Response | None:
        """The response, or None when none came within ``timeout`` after each of 1 + ``retries`` sends
        (every send carries the same request-id, so a late answer to an earlier send counts while the
        next one waits)."""
        peer = self._peers.get(address)
        if peer is None:  # parsed once per address: ip_address() was 3 % of a fleet's polling CPU
            ip = ip_address(address)
            peer = self._peers[address] = (str(ip), socket.AF_INET6 if ip.version == 6 else socket.AF_INET)
        address, family = peer  # the form the kernel reports the source in
        transport = await self._transport(family)
        request_id = self._next_id
        self._next_id = self._next_id % (2**31 - 1) + 1
        data = encode_request(pdu, request_id, community, oids, non_repeaters, repetitions)
        loop = asyncio.get_running_loop()
        try:
            for _ in range(1 + retries):
                # a future and a timer per send (wait_for + shield cost a task and two futures a request)
                future: asyncio.Future[Response | None] = loop.create_future()
                self._waiting[request_id] = ((address, port), community, future)
                transport.sendto(data, (address, port))
                timer = loop.call_later(timeout, _expire, future)
                try:
                    response = await future
                finally:
                    timer.cancel()
                if response is not None:
                    return response
            return None
        finally:
            del self._waiting[request_id]

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
