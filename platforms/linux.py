"""A Linux host over SSH (a login shell): disk use from ``df -P``; no configuration is read from it.

A Linux router that shapes its OPDs' traffic does it with HTB: each OPD is one HTB class on the interface
its traffic leaves by (towards the OPD), its queue written ``DEV/CLASSID`` (``eth1/10:1``), its guarantee
the class's ``rate`` and its ceiling the class's ``ceil``. The login user needs only ``tc`` with
CAP_NET_ADMIN (the lab gives it a copy of ``tc`` with that file capability, first on its PATH); nothing
else it runs is privileged. The revert is a detached job on the host (``setsid``): it sleeps for the
timer, then replays the saved ``tc`` lines unless its file was removed (the confirmation). It outlives the
SSH session and pantau, not a reboot of the host (which loses every ``tc`` change anyway).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from platforms import Command, DeviceKind, Limit, Platform, Revert, Shaper
from platforms._shell import cancel, replay_job, saved_file, write_lines
from platforms.errors import PlatformError

_DEV = re.compile(r"^== (?P<dev>\S+)$")
#: ``class htb 10:1 root prio 0 rate 20Mbit ceil 20Mbit burst 1600b cburst 1600b`` (``parent 10:`` for a child)
_CLASS = re.compile(r"^class htb (?P<id>[0-9a-f]+:[0-9a-f]+) .*?\brate (?P<rate>\S+) ceil (?P<ceil>\S+)")
_RATE = re.compile(r"(\d+(?:\.\d+)?)([KMG]?)bit")
_UNITS = {"": 1, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
_QUEUE = re.compile(r"^(?P<dev>[A-Za-z0-9_.@-]{1,15})/(?P<id>[0-9a-f]{1,4}:[0-9a-f]{1,4})$")


def _split(queue: str) -> tuple[str, str]:
    match = _QUEUE.match(queue)
    if match is None:
        raise PlatformError(f"queue '{queue}' is not DEV/CLASSID (as eth1/10:1), an HTB class on an interface")
    return match["dev"], match["id"]


def _bits(text: str) -> int:
    """Bit/s of a rate as ``tc`` prints it (``20Mbit``, ``7344Kbit``, ``1500bit``)."""
    match = _RATE.fullmatch(text)
    if match is None:
        raise PlatformError(f"'{text}' is not a rate as tc prints it (as 20Mbit)")
    return round(float(match.group(1)) * _UNITS[match.group(2)])


def show_classes(queues: Sequence[str]) -> str:
    """One command that lists the HTB classes of each interface the queues are on, each list after a
    ``== DEV`` line."""
    devices = sorted({_split(q)[0] for q in queues})
    return f'for d in {" ".join(devices)}; do echo "== $d"; tc class show dev "$d"; done'


def class_limits(text: str) -> dict[str, Limit]:
    """The HTB classes of :func:`show_classes`'s answer by queue (``DEV/CLASSID``).

    Raises:
        PlatformError: a class whose rates are not rates.
    """
    limits: dict[str, Limit] = {}
    dev = None
    for line in text.splitlines():
        if match := _DEV.match(line.strip()):
            dev = match["dev"]
        elif dev and (match := _CLASS.match(line.strip())):
            queue = f"{dev}/{match['id']}"
            try:
                limits[queue] = Limit(queue, _bits(match["ceil"]), _bits(match["rate"]))
            except PlatformError as exc:
                raise PlatformError(f"class {queue}: {exc}") from None
    return limits


def _kbit(bps: int) -> str:
    return f"{bps // 1000}kbit" if bps % 1000 == 0 else f"{bps}bit"


def _burst(bps: int) -> int:
    """Bytes a class may send at once: 10 ms of its rate, at least a full frame's worth. tc's default
    (one timer tick's) is a frame or two, and a host whose timers run late then sends short of the rate
    (seen in the lab: 24.7 Mbit/s through a 30 Mbit/s class)."""
    return max(BURST_MIN, bps // 800)


BURST_MIN = 1600


def set_class(limit: Limit) -> tuple[str, ...]:
    """The ``tc`` line that sets one class's rate and ceiling, with bursts of 10 ms of each; the quantum is
    given so that the kernel has nothing to warn about (an answer is an error)."""
    dev, classid = _split(limit.queue)
    rate = limit.guaranteed_bps if limit.guaranteed_bps is not None else limit.ceiling_bps
    rates = f"rate {_kbit(rate)} ceil {_kbit(limit.ceiling_bps)}"
    bursts = f"burst {_burst(rate)}b cburst {_burst(limit.ceiling_bps)}b"
    return (f"tc class change dev {dev} classid {classid} htb {rates} {bursts} quantum 1514",)


def arm_revert(token: str, seconds: int, restore: tuple[Limit, ...]) -> tuple[str, ...]:
    """The saved ``tc`` lines written to a file, and a detached job that replays them after ``seconds``
    unless the file is gone by then."""
    path = saved_file("revert", token, "tc")
    batch = [line.removeprefix("tc ") for limit in restore for line in set_class(limit)]
    return *write_lines(path, batch), replay_job(path, seconds, 'tc -batch "$f"')


def confirm_revert(token: str) -> tuple[str, ...]:
    return (cancel(saved_file("revert", token, "tc")),)


PLATFORM = Platform(
    name="linux",
    title="Linux host",
    driver="linux",
    kinds=(DeviceKind.ROUTER, DeviceKind.SERVER),
    interface_form=(r"[^\s/:]{1,15}", "eth1"),
    commands={"disk": Command("df -P /", "linux_df_p.textfsm")},
    redaction=(),  # no configuration is read: nothing to hide
    shaper=Shaper(show_classes, class_limits, set_class, Revert(arm_revert, confirm_revert), step_bps=8_000),
)
