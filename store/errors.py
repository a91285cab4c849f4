"""Errors of the store package (importing them loads no database driver; :mod:`store.translate` maps
the driver's errors to them).

StoreError   the store cannot be opened, migrated, read or written (names the operation and what to do)
StoreUnusable  the configured store cannot be used at all (its folder, its driver): a user error
NotFound     a record asked for by its id does not exist (names it and where to look)
"""

from __future__ import annotations

from i18n import Msg


class StoreError(Exception):
    """The state store failed; ``operation`` names what pantau was doing."""

    def __init__(self, message: str | Msg, operation: str = "") -> None:
        self.operation = operation
        super().__init__(message)


class StoreUnusable(StoreError):
    """The configured store cannot be used (a state directory that cannot be made, a missing driver)."""


class NotFound(LookupError):
    """A record asked for by its id (a ticket, a run, a report) does not exist."""
