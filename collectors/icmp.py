"""ICMP echo probes to many targets at once over one shared socket (asyncio).

One raw socket (root) or, without root, one unprivileged ICMP "ping" socket serves every target of
a round: requests carry the prober's identifier and a sequence number that maps each reply back to
its target and send time. A socket per target would cost CPU with the square of the targets; scapy's
``sr()`` is far slower and is kept for ARP and traceroute.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import struct
import time
from collections.abc import Sequence
from pathlib import Path

from collectors.errors import ProbeError
from collectors.samples import ProbeResult
from i18n import Msg

ECHO_REQUEST = 8
ECHO_REPLY = 0
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; SCM_TIMESTAMPNS has the same value
SOL_RAW, ICMP_FILTER = 255, 1  # Linux <linux/icmp.h>: a bit set per ICMP type the raw socket must not get
ONLY_ECHO_REPLIES = struct.pack("I", 0xFFFFFFFF & ~(1 << ECHO_REPLY))


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


PAYLOAD = b"pantau-probe----"
PRECISE = 0.001  # the event loop's sleeps are this coarse (epoll: milliseconds)


def echo_request(ident: int, seq: int, payload: bytes = PAYLOAD) -> bytes:
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, checksum(header + payload), ident, seq) + payload


class EchoTemplate:
    """Echo requests of one identifier, built by patching only sequence and checksum (RFC 1624 style:
    the one's-complement sum of the fixed part is computed once)."""

    def __init__(self, ident: int, payload: bytes = PAYLOAD) -> None:
        self.ident = ident
        self.payload = payload
        fixed = struct.pack("!BBHH", ECHO_REQUEST, 0, 0, ident) + payload
        self._sum = sum(struct.unpack(f"!{len(fixed) // 2}H", fixed))

    def packet(self, seq: int) -> bytes:
        total = self._sum + seq
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        return struct.pack("!BBHHH", ECHO_REQUEST, 0, ~total & 0xFFFF, self.ident, seq) + self.payload


def parse_reply(packet: bytes, raw: bool) -> tuple[int, int, int] | None:
    """(type, identifier, sequence) of an ICMP message; raw sockets deliver the IP header first."""
    if raw:
        if len(packet) < 20:
            return None
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    kind, _code, _sum, ident, seq = struct.unpack("!BBHHH", packet[:8])
    return kind, ident, seq


def arrival_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    """The kernel's receive timestamp (SCM_TIMESTAMPNS), or now if the kernel gave none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            return float(sec) + float(nsec) / 1e9
    return time.time()


async def _until(loop: asyncio.AbstractEventLoop, when: float) -> None:
    """Wait until the loop's clock reaches ``when``. epoll waits in whole milliseconds rounded up, which
    made every gap between a round's bursts up to 1 ms late; the last millisecond is waited by yielding to
    the loop (the replies are read meanwhile), at most a millisecond of CPU per gap."""
    while (left := when - loop.time()) > 0:
        await asyncio.sleep(left - PRECISE if left > PRECISE else 0)


CAP_NET_RAW = 13  # <linux/capability.h>


def can_open_raw_sockets(status: Path = Path("/proc/self/status")) -> bool:
    """Whether this process holds CAP_NET_RAW in its effective set (root does, and so does the service
    user of the systemd unit), read from /proc as libcap's ``capget`` reports it."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_NET_RAW & 1)
    except (OSError, ValueError, IndexError):
        pass
    return os.geteuid() == 0


class IcmpProber:
    """Sends ``count`` echo requests to each target per round, ``interval`` apart, over one socket."""

    def __init__(self, count: int = 5, interval: float = 0.05, timeout: float = 1.0, raw: bool | None = None) -> None:
        self.count = count
        self.interval = interval
        self.timeout = timeout
        self._lock = asyncio.Lock()
        self.raw = can_open_raw_sockets() if raw is None else raw  # default: raw when root or CAP_NET_RAW
        try:
            kind = socket.SOCK_RAW if self.raw else socket.SOCK_DGRAM
            self.sock = socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP)
        except OSError as exc:
            raise ProbeError(
                Msg(
                    "cannot open an ICMP socket ({why}); run as root, grant CAP_NET_RAW (the systemd "
                    "unit does: AmbientCapabilities=CAP_NET_RAW) or allow ping sockets (sysctl "
                    "net.ipv4.ping_group_range)",
                    why=exc.strerror,
                )
            ) from exc
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if self.raw:
            # a raw ICMP socket gets every ICMP message the host receives, on loopback also each of our own
            # requests: the kernel keeps all but echo replies away (as iputils' ping does), half the reads
            self.sock.setsockopt(SOL_RAW, ICMP_FILTER, ONLY_ECHO_REPLIES)
        # the kernel stamps each reply on arrival: RTTs do not include the event loop's own latency
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        if self.raw:
            self.ident = random.randrange(1, 0xFFFF)  # noqa: S311  (an identifier, not a secret)
        else:
            # ping sockets replace the identifier with their port, which binding assigns
            self.sock.bind(("0.0.0.0", 0))  # noqa: S104  (the ICMP "port", not a listening address)
            self.ident = self.sock.getsockname()[1]
        self._seq = 0
        self._template = EchoTemplate(self.ident)

    def close(self) -> None:
        self.sock.close()

    async def probe(self, targets: Sequence[str]) -> dict[str, ProbeResult]:
        """One round: every target gets ``count`` requests; replies later than ``timeout`` are lost."""
        async with self._lock:
            return await self._round(list(dict.fromkeys(targets)))

    async def _round(self, targets: list[str]) -> dict[str, ProbeResult]:
        loop = asyncio.get_running_loop()
        sent: dict[int, tuple[str, int, float]] = {}  # seq -> (target, request number, send time)
        rtts: dict[str, dict[int, float]] = {t: {} for t in targets}
        started = time.time()
        done = asyncio.Event()
        expected = len(targets) * self.count
        received = 0

        def on_readable() -> None:
            nonlocal received
            while True:
                try:
                    packet, ancillary, _flags, (addr, _) = self.sock.recvmsg(2048, socket.CMSG_SPACE(16))
                except (BlockingIOError, InterruptedError):
                    return
                now = arrival_time(ancillary)
                parsed = parse_reply(packet, self.raw)
                if parsed is None:
                    continue
                kind, ident, seq = parsed
                entry = sent.get(seq)
                if kind != ECHO_REPLY or ident != self.ident or entry is None or entry[0] != addr:
                    continue
                target, number, t0 = entry
                if number not in rtts[target]:  # a duplicate reply counts once
                    rtts[target][number] = now - t0
                    received += 1
                    if received == expected:
                        done.set()

        loop.add_reader(self.sock.fileno(), on_readable)
        first = loop.time()
        try:
            send, packet, clock = self.sock.sendto, self._template.packet, time.time  # the hot loop's names
            where = [(target, (target, 0)) for target in targets]
            seq = self._seq
            for number in range(self.count):
                for target, address in where:
                    seq = (seq + 1) & 0xFFFF
                    sent[seq] = (target, number, clock())
                    try:  # noqa: SIM105 (suppress() costs 0.4 µs a send; a try nothing without an exception)
                        send(packet(seq), address)
                    except OSError:  # no route: counted as lost, like a request that got no reply
                        pass
                self._seq = seq
                if number < self.count - 1:  # each target's requests ``interval`` apart, start to start
                    await _until(loop, first + (number + 1) * self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.timeout)
        finally:
            loop.remove_reader(self.sock.fileno())
        return {t: ProbeResult(t, started, self.count, tuple(rtts[t][n] for n in sorted(rtts[t]))) for t in targets}
