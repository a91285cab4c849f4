"""Errors of the store package.

StoreError   the store cannot be opened, migrated, read or written (names the operation and what to do)
"""

from __future__ import annotations


class StoreError(Exception):
    """The state store failed; ``operation`` names what pantau was doing."""

    def __init__(self, message: str, operation: str = "") -> None:
        self.operation = operation
        super().__init__(message)
