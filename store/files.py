"""The files pantau keeps are private, whatever the process umask: the state directory 0700, the SQLite
store 0600 (SQLite gives its -wal and -shm files the database's mode), the key that fingerprints hidden
secrets 0600, reports 0640 in folders 0750 (the owner's group may read them, nobody else)."""

from __future__ import annotations

import os
import secrets
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


def write_report(path: Path, content: str | bytes, mode: int = REPORT_MODE) -> None:
    """Write a report (text, or a PDF's bytes) readable by its owner and group only."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(fd, mode)
        handle.write(data)


KEY_BYTES = 32


def secret_key(path: Path) -> bytes:
    """The key kept in ``path`` (0600), made once with random bytes: it fingerprints the secrets hidden
    from device configurations, so it never goes into the store or a report."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, STORE_MODE)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ValueError(f"{path}: not a key of {KEY_BYTES} bytes; remove it and a new one is made") from None
        return key
    key = secrets.token_bytes(KEY_BYTES)
    try:
        os.fchmod(fd, STORE_MODE)
        os.write(fd, key)
    finally:
        os.close(fd)
    return key
