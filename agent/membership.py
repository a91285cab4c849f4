"""This agent among others sharing one PostgreSQL store (``cluster.enabled``): it joins with a new epoch,
keeps its heartbeat, reads who else is alive, and owns the devices rendezvous hashing gives it among them.

A lost agent's devices go to the others once its heartbeat is older than the lease. An agent that cannot
reach the store keeps polling what it owned for at most one lease after its last heartbeat, then owns
nothing (its devices are the others' by then: no double polling beyond that), and the store refuses its
late writes (:class:`store.cluster.Fenced`). A newer incarnation of the same id (a restart while this one
hangs) supersedes it at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from agent.config import ClusterConfig
from agent.store_channel import StoreChannel
from core.cluster import shard
from store import cluster
from store.cluster import Fence

log = logging.getLogger(__name__)


class Membership:
    """Who this agent is among the live ones, and what it owns."""

    def __init__(
        self,
        config: ClusterConfig,
        agent_id: str,
        clock: Callable[[], float] = time.monotonic,
        settle: float = 0.0,
        hand_over: float = 0.0,
    ) -> None:
        """``settle``: seconds after joining during which the agent takes no device it does not hold yet while
        others are alive, so that they have let its share go first (a heartbeat and a round); ``hand_over``:
        seconds after a clean stop before the others take its devices (a round). Either way a device is
        never polled by two agents in one interval, and misses at most one round instead."""
        self.agent_id = agent_id
        self.settle = settle
        self.hand_over = timedelta(seconds=hand_over)
        self._joined = float("-inf")  # when this incarnation joined (monotonic)
        self.lease = timedelta(seconds=config.lease_seconds)
        self.clock = clock
        self.fence: Fence | None = None
        self.members: list[str] = []
        self.owned: set[str] = set()
        self._last_beat = float("-inf")  # when the store last took the heartbeat (monotonic)
        self.superseded = False  # a newer incarnation of this id took over: this one never joins again

    async def join(self, channel: StoreChannel) -> bool:
        """Join under a new epoch; whether the store answered."""
        sent = self.clock()
        epoch = await channel.call("joining the agents", cluster.join, self.agent_id)
        if epoch is None:
            return False
        self.fence = Fence(self.agent_id, epoch, self.lease)
        self._last_beat, self._joined = sent, self.clock()
        log.info("joined the agents as %s (epoch %d)", self.agent_id, epoch)
        return True

    async def refresh(self, channel: StoreChannel, keys: Iterable[str]) -> bool:
        """Keep the heartbeat and take the live members from the store; own ``keys``' share of them. Without
        the store for longer than the lease, own nothing. True when the lease had run out and the agent
        joined again: what it measured meanwhile must not be written."""
        if self.superseded:
            return False
        if self.fence is None and not await self.join(channel):
            self._lapse()
            return False
        assert self.fence is not None
        sent = self.clock()  # the store dates the heartbeat no earlier than this: the lease runs from here
        kept = await channel.call("keeping the heartbeat", cluster.beat, self.fence)
        if kept == "superseded":  # a newer incarnation of this id joined: this one steps back for good
            log.error("agent %s epoch %d was superseded by a newer one; polling nothing", *self._who())
            self.fence, self.members, self.owned, self.superseded = None, [], set(), True
            return False
        rejoined = kept == "lapsed"
        if kept == "lapsed":  # the store took no heartbeat for a lease: join again as a new incarnation
            log.warning("agent %s epoch %d: the lease ran out before the store took a heartbeat; joining again, "
                        "and what was measured meanwhile is refused", *self._who())  # fmt: skip
            self.fence, self.owned = None, set()
            kept = "held" if await self.join(channel) else None
        if kept == "held":
            self._last_beat = sent
        alive = await channel.call("reading the agents", cluster.members, self.lease)
        if alive is not None and kept:
            self.members = alive
            share = shard(keys, alive, self.agent_id)
            settling = alive != [self.agent_id] and self.clock() - self._joined < self.settle
            self.owned = share & self.owned if settling else share  # settling: nothing new is taken
        self._lapse()
        return rejoined

    def _lapse(self) -> None:
        """Own nothing once the last heartbeat the store took is older than the lease."""
        if self.clock() - self._last_beat > self.lease.total_seconds() and self.owned:
            log.error("no heartbeat for %.0f s (lease): %s polls nothing until the store answers", *self._lapsed())
            self.owned = set()

    def _who(self) -> tuple[str, int]:
        return self.agent_id, self.fence.epoch if self.fence else 0

    def _lapsed(self) -> tuple[float, str]:
        return self.clock() - self._last_beat, self.agent_id

    def leads(self) -> bool:
        """Whether this agent runs the jobs one agent must run: it is the first live agent by name."""
        return self.fence is not None and bool(self.members) and self.members[0] == self.agent_id

    def owns(self, key: str) -> bool:
        """Whether this agent polls ``key`` now: its share, while the lease of its last heartbeat holds
        (checked at each use, not only at the next refresh, which waits on a store that may not answer)."""
        return key in self.owned and self.clock() - self._last_beat <= self.lease.total_seconds()

    async def leave(self, channel: StoreChannel) -> None:
        """A clean stop: the others take the devices over a round from now, not a lease later."""
        if self.fence is not None:
            await channel.call("leaving the agents", cluster.leave, self.fence, self.hand_over)
