"""The files pantau keeps are private, whatever the process umask: the state directory 0700, the SQLite
store 0600 (SQLite gives its -wal and -shm files the database's mode), reports 0640 in folders 0750 (the
owner's group may read them, nobody else)."""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
STORE_MODE = 0o600
REPORT_MODE = 0o640
REPORT_DIRECTORY_MODE = 0o750


def private_directory(path: Path, mode: int = DIRECTORY_MODE) -> None:
    """Create ``path`` (and its parents) with ``mode``; a directory that exists is left as its owner set it."""
    if not path.is_dir():
        path.mkdir(parents=True, mode=mode, exist_ok=True)
        path.chmod(mode)  # mkdir's mode passes through the umask


def create_private(path: Path, mode: int = STORE_MODE) -> None:
    """Create ``path`` empty with ``mode`` unless it exists (SQLite takes an empty file as a new database)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def write_report(path: Path, text: str, mode: int = REPORT_MODE) -> None:
    """Write a report readable by its owner and group only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(fd, mode)
        handle.write(text)
