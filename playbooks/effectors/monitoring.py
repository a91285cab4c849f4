"""Monitoring registration (SOP 14 step 8): servers become probe targets the running agent picks up."""

from __future__ import annotations

from i18n import Msg
from playbooks.errors import PlaybookError
from store import targets
from store.engine import Store


def register(store: Store, name: str, address: str, opd: str | None, by: str, run_id: int | None) -> str:
    """Add ``name`` as a server probe target; 'registered', or 'already registered' when it is there already."""
    existing = targets.add(store, name, address, opd, by, run_id)
    if existing is None:
        return "registered"
    if existing.address != address:
        raise PlaybookError(
            Msg(
                "{name} is already monitored at {address}, not {wanted}; decommission it first",
                name=name,
                address=existing.address,
                wanted=address,
            )
        )
    return "already registered"


def unregister(store: Store, name: str) -> str:
    return "unregistered" if targets.remove(store, name) else "not registered"
