"""Which agent polls which device when several share one store: rendezvous (highest-random-weight)
hashing over the live members. Each device goes to the member whose hash of (member, device) is highest,
so a member joining takes about 1/n of the devices from the others and a member lost gives up exactly its
own, spread over the rest; nothing else moves. Pure: the members come from the store's heartbeats."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def _weight(member: str, key: str) -> int:
    digest = hashlib.blake2b(f"{member}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(key: str, members: Sequence[str]) -> str | None:
    """The member that owns ``key`` (a device's name); None when there are no members."""
    if not members:
        return None
    return max(members, key=lambda m: (_weight(m, key), m))


def shard(keys: Iterable[str], members: Sequence[str], me: str) -> set[str]:
    """The keys ``me`` owns among ``members`` (none when ``me`` is not a live member)."""
    if me not in members:
        return set()
    return {k for k in keys if owner(k, members) == me}
