"""The agent's heap: what it builds once and holds kept out of Python's cyclic collector, and what it
frees given back to the system.

Measured with 5,000 devices × 20 interfaces (``python -m benchmarks.fleet``, 7 December 2026): reading the
inventory set off 28 full collections that took 5.7 s in all, each walking every object made so far; and
while polling, about four full collections per 30 s walked the whole inventory again, 1.2 s of the event
loop's time every round (1.7 s with the young collections). The inventory holds no garbage: it is freed
by reference counting when a reload replaces it, so the collector has nothing to find in it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable, Iterator


@functools.cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc's; musl and others have none
    return trim if callable(trim) else None


def give_back() -> None:
    """Return the heap freed since the last call to the system (glibc's ``malloc_trim``). Reading a large
    inventory builds its whole YAML tree first: 5,000 devices peaked near 310 MiB and, without this, the
    agent's resident size stayed at that peak after the tree was freed (about 80 MiB more than it holds)."""
    trim = _trim()
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def building() -> Iterator[None]:
    """No cyclic collection while a large structure is built (it would walk everything built so far, again
    and again); the collector runs as before afterwards (and not at all if it was off)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def hold_long_lived() -> None:
    """Collect once, then keep every object alive now out of later collections (``gc.freeze``): the
    agent's inventory and state, which live until a reload, are no longer walked every few seconds. Called
    again after a reload: what was held before is released to the collector first, so the replaced
    inventory's cycles, if any, are freed by this collection rather than kept forever."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    give_back()


def release() -> None:
    """Undo :func:`hold_long_lived` when the agent stops (an agent run inside another program, a test's,
    leaves it as it found it)."""
    gc.unfreeze()


#: the agent's pace of collection: young objects every 10,000 allocations (Python's default, 700, ran 40
#: collections a second at 5,000 devices), and no full collection of the collector's own accord: the
#: objects a round keeps for the next (samples, views, probe points: about 300,000 at 5,000 devices) set
#: one off every few seconds, eight per 30 s. :func:`collect` runs one after each SNMP round instead.
PACE = (10_000, 10, 2**30)


@contextlib.contextmanager
def paced() -> Iterator[None]:
    """Collections at the agent's pace (:data:`PACE`) while it runs; Python's own afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*PACE)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def collect() -> None:
    """The full collection of a round's end: cycles left by a round are freed before the next begins."""
    gc.collect()
