"""Thin wrappers over the host commands the lab runs (ip, nsenter, kill): the runner's only I/O edge."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lab.errors import LabCommandError
from lab.topology import RUN_ROOT

log = logging.getLogger(__name__)
#: util-linux's mount and umount keep a userspace table (utab) and, on their first bind mount on a machine,
#: make /run/mount for its lock even when nothing is written to it. The lab's commands keep theirs in the
#: lab's own runtime folder instead, so the host's /run is left as it was (libmount reads LIBMOUNT_UTAB).
LIBMOUNT_ENV = {"LIBMOUNT_UTAB": str(RUN_ROOT / "utab")}


def run(
    argv: list[str],
    *,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    node: str | None = None,
    timeout: float = 60,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing output; ``check`` raises :class:`LabCommandError` on failure."""
    full_env = {**os.environ, **LIBMOUNT_ENV, **(env or {})}
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, env=full_env, timeout=timeout, check=False, input=input_text
        )
    except FileNotFoundError as exc:
        raise LabCommandError(argv, 127, f"{argv[0]}: not installed; run 'make setup'", node) from exc
    except subprocess.TimeoutExpired as exc:
        raise LabCommandError(argv, -1, f"timed out after {timeout} s", node) from exc
    if check and result.returncode != 0:
        raise LabCommandError(argv, result.returncode, result.stderr or result.stdout, node)
    return result


def spawn(argv: list[str], log_file: Path) -> None:
    """Start a long-running process detached from this one (``setsid -f``), output to ``log_file``.

    The process is not this process's child, so nothing here waits for it; it writes its own PID file.
    """
    with log_file.open("ab") as out:
        result = subprocess.run(
            ["setsid", "-f", *argv], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False
        )
    if result.returncode != 0:
        raise LabCommandError(argv, result.returncode, f"could not start; see {log_file}")


def ip_json(args: list[str], netns: str | None = None) -> Any:
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    out = run([*prefix, "-j", *args]).stdout
    return json.loads(out) if out.strip() else []


def netns_list() -> list[str]:
    return [entry["name"] for entry in ip_json(["netns", "list"])]


def netns_pids(netns: str) -> list[int]:
    result = run(["ip", "netns", "pids", netns], check=False)
    return [int(p) for p in result.stdout.split()] if result.returncode == 0 else []


def is_mount_point(path: Path) -> bool:
    """Whether ``path`` is a mount point (bind mounts too, which ``os.path.ismount`` misses on one filesystem)."""
    target = str(path)
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return any(fields[1] == target for fields in map(str.split, mounts) if len(fields) > 1)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def terminate(pids: Iterable[int], grace: float = 5.0) -> None:
    """SIGTERM the given processes (which the lab started), then SIGKILL those still alive after ``grace``."""
    pending = {p for p in pids if alive(p)}
    for pid in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        _reap()
        pending = {p for p in pending if alive(p)}
        if pending:
            time.sleep(0.05)
    for pid in pending:
        log.warning("process %d ignored SIGTERM; killing it", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap()


def _reap() -> None:
    """Collect exited children of this process (daemons it started with Popen), so they are not zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
