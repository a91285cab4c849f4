"""Reading a rendered configuration back from what the device shows: every line pantau wrote must be
found where it was written. Two forms cover the platforms: indented sections (``interface X`` with its
lines below it: IOS, FRR, Huawei, Ruijie) and RouterOS's ``/path add key=value`` commands."""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterator

#: a secret pantau does not write into a file: the technician puts the value from the agency's vault there
PLACEHOLDER = re.compile(r"SECRET:[\w.-]+")
#: lines of an indented configuration that only separate (IOS ``!``, FRR ``exit``)
_SEPARATORS = re.compile(r"^\s*(!.*|exit|end|exit-address-family)?\s*$")


def _sections(text: str) -> Iterator[tuple[str | None, str]]:
    """(section header or None, line) for every line of an indented configuration; a header is also
    given as a line of its own (top level)."""
    header: str | None = None
    for raw in text.splitlines():
        if _SEPARATORS.match(raw):
            if raw.strip() in ("exit", "!", "end"):
                header = None if not raw.startswith(" ") else header
            continue
        line = raw.rstrip()
        if line.startswith(" "):
            yield header, " ".join(line.split())
        else:
            header = " ".join(line.split())
            yield None, header


def indented_lines(text: str) -> set[tuple[str | None, str]]:
    return set(_sections(text))


def _found(header: str | None, line: str, have: set[tuple[str | None, str]]) -> bool:
    if PLACEHOLDER.search(line) is None:
        return (header, line) in have
    pattern = re.compile(r"\S+".join(re.escape(part) for part in PLACEHOLDER.split(line)))
    return any(h == header and pattern.fullmatch(text) for h, text in have)


def missing_indented(rendered: str, shown: str, invisible: Collection[str] = ()) -> list[str]:
    """The lines of ``rendered`` that ``shown`` (the device's running configuration) does not hold in the
    same section; lines matching ``invisible`` (defaults the device never prints, secrets it never shows)
    are not looked for; a secret's placeholder matches any one word."""
    have = indented_lines(shown)
    out = []
    for header, line in _sections(rendered):
        if any(re.search(pattern, line) for pattern in invisible):
            continue
        if not _found(header, line, have):
            out.append(line if header is None else f"{header} / {line}")
    return out


def present_indented(rendered: str, shown: str, invisible: Collection[str] = ()) -> list[str]:
    """The lines of ``rendered`` inside sections that ``shown`` still holds (headers alone do not count:
    FRR keeps an interface's empty section): what a removal left behind."""
    have = indented_lines(shown)
    return [
        f"{header} / {line}"
        for header, line in _sections(rendered)
        if header is not None and not any(re.search(p, line) for p in invisible) and (header, line) in have
    ]


def terse_commands(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """RouterOS commands as (path, verb, key=value pairs): ``/export terse`` lines, and ``/export``'s form
    (a ``/path`` line, then ``add ...`` lines, ``\\`` continuing a line)."""
    out: list[tuple[str, str, dict[str, str]]] = []
    path = ""
    joined = re.sub(r"\\\n\s*", "", text)
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, posix=True)
        except ValueError:
            continue
        if words[0].startswith("/"):
            verbs = [i for i, w in enumerate(words) if w in ("add", "set")]
            if not verbs:
                path = " ".join(words)
                continue
            path, words = " ".join(words[: verbs[0]]), words[verbs[0] :]
        if words and words[0] in ("add", "set"):
            pairs = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            out.append((path, words[0], pairs))
    return out


def _terse_found(path: str, pairs: dict[str, str], have: list[tuple[str, str, dict[str, str]]]) -> bool:
    wanted = {k: v for k, v in pairs.items() if not PLACEHOLDER.fullmatch(v)}
    return any(p == path and all(entry.get(k) == v for k, v in wanted.items()) for p, _v, entry in have)


def missing_terse(rendered: str, shown: str) -> list[str]:
    """The commands of ``rendered`` that ``shown`` (``/export terse``) holds no entry for: a command is
    found when one entry of its path has every key=value it set (the device adds keys of its own, as
    ``network=``); a secret's placeholder is not compared (the export hides passwords anyway)."""
    have = terse_commands(shown)
    return [
        f"{path} {verb} " + " ".join(f"{k}={v}" for k, v in pairs.items())
        for path, verb, pairs in terse_commands(rendered)
        if not _terse_found(path, pairs, have)
    ]


def present_terse(rendered: str, shown: str) -> list[str]:
    """The ``add`` commands of ``rendered`` that ``shown`` still holds: what a removal left behind."""
    have = terse_commands(shown)
    return [
        f"{path} {verb} " + " ".join(f"{k}={v}" for k, v in pairs.items())
        for path, verb, pairs in terse_commands(rendered)
        if verb == "add" and _terse_found(path, pairs, have)
    ]
