"""The one place driver errors become :class:`store.errors.StoreError`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from i18n import Msg
from store.errors import StoreError

P = ParamSpec("P")
R = TypeVar("R")


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
                    Msg(
                        "the store failed: {cause} (while {operation}). If another pantau process "
                        "held it, run the command again; an interrupted playbook is listed by "
                        "`pantau runs list` and undone by `pantau runs recover`.",
                        cause=cause,
                        operation=operation,
                    ),
                    operation,
                ) from exc

        return inner

    return wrap
