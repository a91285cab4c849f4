"""Monitoring registration (SOP 14 step 8): servers become probe targets the running agent picks up."""

from __future__ import annotations

from enum import StrEnum

from i18n import Msg
from playbooks.errors import PlaybookError
from store import targets
from store.engine import Store


class Registration(StrEnum):
    """What a (un)registration did (the text is what run facts and outputs show)."""

    REGISTERED = "registered"
    ALREADY_REGISTERED = "already registered"
    UNREGISTERED = "unregistered"
    NOT_REGISTERED = "not registered"


def register(store: Store, name: str, address: str, opd: str | None, by: str, run_id: int | None) -> Registration:
    """Add ``name`` as a server probe target: REGISTERED, or ALREADY_REGISTERED when it is there already."""
    existing = targets.add(store, name, address, opd, by, run_id)
    if existing is None:
        return Registration.REGISTERED
    if existing.address != address:
        raise PlaybookError(
            Msg(
                "{name} is already monitored at {address}, not {wanted}; decommission it first",
                name=name,
                address=existing.address,
                wanted=address,
            )
        )
    return Registration.ALREADY_REGISTERED


def unregister(store: Store, name: str) -> Registration:
    return Registration.UNREGISTERED if targets.remove(store, name) else Registration.NOT_REGISTERED
