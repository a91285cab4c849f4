"""The agent's way to the store: one thread of its own, a timeout on every call, and outboxes for what it
writes. A slow or locked store never holds a poll; rollups and link events wait (bounded) until it is back,
and a write that timed out on this side but finished in the store's thread is settled late, never resent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from core.board import Entry
from core.rollup import OpenPeriod
from store import links as link_store
from store.cluster import Fence, Fenced
from store.engine import Store
from store.errors import StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outbox:
    """What waits to be written to the store, oldest first, at most ``limit`` items: past that the oldest
    not being written is dropped (and counted). The first ``in_flight`` items are being written."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[Any] = []
        self.in_flight = 0
        self.dropped = 0

    def add(self, items: list[Any]) -> None:
        self.items += items
        over = len(self.items) - self.limit
        if over > 0:
            del self.items[self.in_flight : self.in_flight + over]
            self.dropped += over

    def take(self) -> list[Any]:
        self.in_flight = len(self.items)
        return self.items[: self.in_flight]

    def settle(self, written: bool) -> None:
        if written:
            del self.items[: self.in_flight]
        self.in_flight = 0


class StoreChannel:
    """Calls into the store from the event loop. ``errors`` counts failures by reason (the agent exports
    them as ``pantau_collector_errors_total{collector="store"}``); ``up`` says whether the last call
    answered in time (None: no store)."""

    def __init__(self, store: Store | None, timeout: float, buffer: int, errors: Counter[tuple[str, str]]) -> None:
        self.store = store
        self.timeout = timeout
        self.errors = errors
        self.up: bool | None = None if store is None else True
        self.rows = Outbox(buffer)  # rollup rows
        self.events = Outbox(buffer)  # link state changes
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store")
        self._call: asyncio.Future[Any] | None = None  # the store thread's current call
        self._write: asyncio.Future[Any] | None = None  # the measurements' write, until settled
        self._refuse_in_flight = False  # the write out now was made under a lease that ran out

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T] | None:
        """Run ``fn(store, *args)`` in the store's thread, unless its last call has not returned (then None:
        nothing queues behind a call that hangs)."""
        if self.store is None:
            return None
        if self._call is not None and not self._call.done():
            self.errors[("store", "busy")] += 1
            return None
        self._call = asyncio.get_running_loop().run_in_executor(self._thread, fn, self.store, *args)
        return self._call

    async def _wait(self, what: str, call: asyncio.Future[T]) -> bool:
        """Wait for a store call up to store_timeout; whether it returned (its outcome is in ``call``)."""
        try:
            await asyncio.wait_for(asyncio.shield(call), self.timeout)
        except TimeoutError:
            self._failed(what, f"no answer within {self.timeout:.0f} s", "timeout")
            return False
        except StoreError:
            pass  # read from ``call`` by the caller
        return True

    def _failed(self, what: str, why: object, reason: str = "error") -> None:
        self.errors[("store", reason)] += 1
        self.up = False
        log.warning("store: %s failed: %s", what, why)

    async def call(self, what: str, fn: Callable[..., T], *args: Any) -> T | None:
        """``fn(store, *args)``'s result, or None (logged, counted) if it failed or took too long."""
        call = self._submit(fn, *args)
        if call is None or not await self._wait(what, call):
            return None
        if call.exception() is not None:
            self._failed(what, call.exception())
            return None
        self.up = True
        return call.result()

    def refuse_buffered(self) -> None:
        """Drop what waits to be written (not what is being written: the store settles that), counted as
        ``fenced``: it was measured under a lease that ran out, and the store would refuse it."""
        for box in (self.rows, self.events):
            waiting = len(box.items) - box.in_flight
            if waiting > 0:
                del box.items[box.in_flight :]
                self.errors[("store", "fenced")] += waiting
        self._refuse_in_flight = self._write is not None  # and the write out now, should it fail

    def _settle_write(self) -> None:
        """Take the outcome of the measurements' write: written rows leave the outboxes. A write that timed
        out on this side may still have finished in the store's thread: it settles here, late."""
        call = self._write
        if call is None or not call.done():
            return
        self._write = None
        written = call.exception() is None
        refused, self._refuse_in_flight = self._refuse_in_flight, False
        if refused and not written:  # it failed after the agent joined again: never sent under the new epoch
            self.errors[("store", "fenced")] += len(self.rows.items[: self.rows.in_flight]) or 1
            log.warning("store: a write of a lease that ran out failed (%s); its rows are dropped", call.exception())
            written = True
        elif isinstance(call.exception(), Fenced):  # this agent's lease ran out: its late rows are refused
            self.errors[("store", "fenced")] += len(self.rows.items[: self.rows.in_flight]) or 1
            log.warning("store: %s", call.exception())
            written = True  # not stored, and never sent again: they are the other agents' to measure
        elif not written:
            self._failed("writing rollups and link events", call.exception())
        else:
            self.up = True
        self.rows.settle(written)
        self.events.settle(written)

    async def flush(
        self,
        open_periods: list[OpenPeriod] | None,
        agent: str = "",
        fence: Fence | None = None,
        board: list[Entry] | None = None,
    ) -> None:
        """Write the buffered rollups and link events, and the periods still open and the agent's entries on
        the board when given (one transaction); what is not written stays buffered for the next flush, up to
        store_buffer of each (the board is written afresh each time)."""
        self._settle_write()
        if self._write is not None:
            return
        rows, events = self.rows.take(), self.events.take()
        call = self._submit(link_store.add_measurements, rows, events, open_periods, agent, fence, board)
        if call is None:
            self.rows.settle(False)
            self.events.settle(False)
            return
        self._write = call
        if await self._wait("writing rollups and link events", call):
            self._settle_write()
        self.errors[("store", "dropped")] = self.rows.dropped + self.events.dropped
