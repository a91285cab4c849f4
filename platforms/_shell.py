"""A revert on a host with a POSIX shell: the lines that undo a change are saved in a file, and a detached
job (``setsid``) replays them after the timer unless the file was removed by then (the confirmation).
It outlives the SSH session and pantau, not a reboot of the host."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from platforms.errors import PlatformError


def saved_file(kind: str, token: str, suffix: str) -> str:
    """``$HOME/pantau-KIND-TOKEN.SUFFIX``; the token is checked (it becomes part of a shell word)."""
    if not re.fullmatch(r"[A-Za-z0-9-]{1,40}", token):
        raise PlatformError(f"revert token '{token}' must be letters, digits and '-'")
    return f"$HOME/pantau-{kind}-{token}.{suffix}"


#: the longest command line sent at once: an interactive shell's echo of a longer one wraps, and the session
#: no longer finds its prompt (seen: 540 characters of tc lines)
LINE_MAX = 240


def write_lines(path: str, lines: Sequence[str]) -> tuple[str, ...]:
    """Commands that write ``lines`` to ``path`` (quoted for the shell, one argument each): the first
    truncates the file, the next append, each under :data:`LINE_MAX` where the lines allow."""
    commands: list[str] = []
    batch: list[str] = []

    def flush() -> None:
        redirect = ">>" if commands else ">"
        commands.append(f"printf '%s\\n' {' '.join(batch)} {redirect} \"{path}\"")
        batch.clear()

    for line in lines:
        quoted = shlex.quote(line)
        if batch and len(" ".join([*batch, quoted])) + len(path) + 20 > LINE_MAX:
            flush()
        batch.append(quoted)
    if batch or not commands:
        flush()
    return tuple(commands)


def replay_job(path: str, seconds: int, replay: str) -> str:
    """A detached job: after ``seconds``, if ``path`` is still there, ``replay`` it (the command is given
    the file as ``$f``), then remove it."""
    job = f'sleep {seconds}; f="{path}"; if [ -f "$f" ]; then {replay}; rm -f "$f"; fi'
    return f"setsid -f sh -c {shlex.quote(job)} >/dev/null 2>&1 </dev/null"


def cancel(path: str) -> str:
    """Remove the saved lines: the job then finds nothing to replay. ``rm`` without ``-f``: a file already
    gone (the revert fired) is an answer, so an error."""
    return f'rm "{path}"'
