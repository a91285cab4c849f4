"""Hostile SNMP agents for the device zoo: one UDP port per misbehaviour, in front of snmpsim.

Run inside the zoo node: ``python hostile.py UPSTREAM_HOST:PORT TIMEOUT MODE@HOST:PORT...``: one agent per
MODE (below) at its address; each forwards requests to snmpsim (the community chooses the recording) and
then misbehaves with the answer, or (endless, loop) answers walks itself. Every behaviour is what a real
agent has been seen to do.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

V2 = api.v2c
MODES = (
    "truncate",  # the answer cut short: a malformed datagram
    "wrong-id",  # the answer carries another request-id
    "other-port",  # the answer comes from another source port
    "slow-under",  # answers after half the manager's timeout
    "slow-over",  # answers after 2.5 x the manager's timeout: past its one retry too
    "every-other",  # answers every other request only
    "endless",  # every walk goes on forever (increasing OIDs, never the end of the table)
    "loop",  # walks answer OIDs that do not increase
)
COLUMNS = ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1), (1, 3, 6, 1, 2, 1, 2, 2, 1))  # ifXTable, ifTable entries


def request_of(datagram: bytes) -> tuple[object, object]:
    message, _ = decoder.decode(datagram, asn1Spec=V2.Message())
    return message, V2.apiMessage.get_pdu(message)


def answer_walk(datagram: bytes, mode: str, counter: itertools.count[int]) -> bytes:
    """A response to GETNEXT/GETBULK made here: endless rows, or OIDs that go back."""
    message, pdu = request_of(datagram)
    response = V2.apiPDU.get_response(pdu)
    binds = []
    for oid, _ in V2.apiPDU.get_varbinds(pdu):
        base = tuple(oid)
        entry = next((c for c in COLUMNS if base[: len(c)] == c), base[:-1])
        column = base[: len(entry) + 1]  # the column asked for, whatever the row
        repetitions = V2.apiBulkPDU.get_max_repetitions(pdu) if pdu.isSameTypeWith(V2.GetBulkRequestPDU()) else 1
        for _ in range(max(1, min(int(repetitions), 50))):
            if mode == "endless":
                binds.append((V2.ObjectIdentifier((*column, next(counter))), V2.OctetString(b"eth")))
            else:  # loop: row 1 again, however far the manager has walked
                binds.append((V2.ObjectIdentifier((*column, 1)), V2.OctetString(b"eth")))
    V2.apiPDU.set_varbinds(response, binds)
    V2.apiMessage.set_pdu(message, response)
    return bytes(encoder.encode(message))


class Hostile(asyncio.DatagramProtocol):
    def __init__(self, mode: str, upstream: tuple[str, int], timeout: float, listen: str) -> None:
        self.mode, self.upstream, self.timeout, self.listen = mode, upstream, timeout, listen
        self.seen = itertools.count()
        self.rows = itertools.count(1)
        self.transport: Any = None
        self.tasks: set[asyncio.Task[None]] = set()  # answers being made (kept, so none is collected early)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self.handle(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        n = next(self.seen)
        if self.mode == "every-other" and n % 2 == 1:
            return
        if self.mode in ("endless", "loop"):
            _, pdu = request_of(data)
            if not pdu.isSameTypeWith(V2.GetRequestPDU()):
                self.transport.sendto(answer_walk(data, self.mode, self.rows), addr)
                return
        answer = await self.forward(data)
        if answer is None:
            return
        if self.mode == "truncate":
            answer = answer[: len(answer) // 2]
        elif self.mode == "wrong-id":
            message, pdu = request_of(answer)
            V2.apiPDU.set_request_id(pdu, (int(V2.apiPDU.get_request_id(pdu)) + 1) % 2**31)
            V2.apiMessage.set_pdu(message, pdu)
            answer = bytes(encoder.encode(message))
        elif self.mode == "slow-under":
            await asyncio.sleep(0.5 * self.timeout)
        elif self.mode == "slow-over":
            await asyncio.sleep(2.5 * self.timeout)
        if self.mode == "other-port":
            loop = asyncio.get_running_loop()
            other, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=(self.listen, 0))
            other.sendto(answer, addr)
            other.close()
            return
        self.transport.sendto(answer, addr)

    async def forward(self, data: bytes) -> bytes | None:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[bytes] = loop.create_future()

        class Client(asyncio.DatagramProtocol):
            def datagram_received(self, answer: bytes, _addr: tuple[str, int]) -> None:
                if not got.done():
                    got.set_result(answer)

        transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=self.upstream)
        try:
            transport.sendto(data)
            return await asyncio.wait_for(got, 5.0)
        except TimeoutError:
            return None
        finally:
            transport.close()


async def main(upstream: str, timeout: float, agents: list[str]) -> None:
    host, _, port = upstream.rpartition(":")
    loop = asyncio.get_running_loop()
    for agent in agents:
        mode, _, where = agent.partition("@")
        address, _, number = where.rpartition(":")
        assert mode in MODES, mode
        await loop.create_datagram_endpoint(
            lambda mode=mode, address=address: Hostile(mode, (host, int(port)), timeout, address),
            local_addr=(address, int(number)),
        )
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3:]))
