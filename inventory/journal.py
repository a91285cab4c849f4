"""The journal of an inventory edit: the renames that complete it, written once every new file is on
disk. :func:`finish_interrupted` (every load calls it) completes an edit cut off after its journal, so a
reader sees the inventory before the edit or after it, never half of it (:mod:`inventory.editor`)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

JOURNAL = ".pantau-edit.json"
NEW = ".pantau-new"


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One editor of the folder at a time (and no completion of a journal while one writes)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)  # the folder itself: no lock file among the agency's
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """``text`` in ``path`` whole or not at all (a file beside it, flushed, renamed over it)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    sync_dir(path.parent)


def sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finish_interrupted(directory: Path) -> bool:
    """Complete an edit whose journal was written (the renames it lists); drop the staged files of an
    edit that never got so far. Whether there was anything to do (nothing is locked or written if not).

    Raises:
        OSError: the folder cannot be written (the next load by someone who may write completes it).
    """
    if not (directory / JOURNAL).exists() and not any(directory.glob(f".*{NEW}")):
        return False
    with locked(directory):
        return finish(directory)


def finish(directory: Path) -> bool:
    """:func:`finish_interrupted` for a caller that holds the folder's lock."""
    journal = directory / JOURNAL
    if not journal.exists():
        stale = list(directory.glob(f".*{NEW}"))
        for path in stale:
            path.unlink(missing_ok=True)
        return bool(stale)
    for new_name, name in json.loads(journal.read_text(encoding="utf-8")):  # renamed into place whole
        new = directory / new_name
        if new.exists():
            os.replace(new, directory / name)
    sync_dir(directory)
    journal.unlink()
    sync_dir(directory)
    return True
