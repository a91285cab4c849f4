"""Errors of the store package, and the one place driver errors are translated.

StoreError   the store cannot be opened, migrated, read or written (names the operation and what to do)
NotFound     a record asked for by its id does not exist (names it and where to look)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(Exception):
    """The state store failed; ``operation`` names what pantau was doing."""

    def __init__(self, message: str, operation: str = "") -> None:
        self.operation = operation
        super().__init__(message)


class NotFound(LookupError):
    """A record asked for by its id (a ticket, a run, a report) does not exist."""


def translated(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a repository function: a driver error escaping it becomes a :class:`StoreError` that names
    ``operation`` (nothing above ``store/`` sees a SQLAlchemy exception)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except SQLAlchemyError as exc:
                cause = getattr(exc, "orig", None) or exc
                raise StoreError(
                    f"the store failed: {cause} (while {operation}). If another pantau process held it, run the "
                    "command again; an interrupted playbook is listed by `pantau runs list` and undone by "
                    "`pantau runs recover`.",
                    operation,
                ) from exc

        return inner

    return wrap
