"""Edits to the agency's own inventory files that keep every comment and the layout of every line they do
not change, validated before anything is written, written all at once or not at all.

The files are read with ruamel.yaml's round-trip loader, which keeps comments, key order, flow or block
style and quoting; a new list item takes the style of the item before it (a one-line ``{...}`` entry
after one-line entries). A file the round trip would change even without an edit (an indentation
ruamel.yaml cannot reproduce) is refused, named, rather than rewritten.

:meth:`InventoryEdit.commit` validates the edited files as a whole inventory (in a scratch copy of the
folder), then writes each changed file beside its original, flushed to disk, records the renames in a
journal, and renames. A crash before the journal is complete leaves the inventory as it was; after it,
:func:`inventory.journal.finish_interrupted` (called by every load) completes the renames: a reader sees the inventory
before the edit or after it, never half of it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from i18n import Msg
from inventory.errors import InventoryError, InventoryLoadError, Problem
from inventory.journal import JOURNAL, NEW, finish, locked, write_atomic
from inventory.loader import inventory_files


class InventoryEditError(InventoryError):
    """An edit that cannot be made as asked: the section or item is missing, a file's layout cannot be
    kept, or the result does not validate."""

    def __init__(self, message: Msg) -> None:
        super().__init__(str(message))
        self.msg = message


def _yaml(mapping: int, sequence: int, offset: int) -> YAML:
    y = YAML()
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    y.width = 4096  # never fold a long line the agency wrote on one
    y.preserve_quotes = True
    return y


def _layouts(indent: int | None, block_seq_indent: int | None) -> list[tuple[int, int, int]]:
    """Indentations to try, the guessed one first: (mapping, sequence, offset of the dash)."""
    guessed = (indent or 2, indent or 2, block_seq_indent or 0)
    common = [(2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 4, 0), (4, 6, 4)]
    return [guessed, *(c for c in common if c != guessed)]


class _File:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.original = path.read_text(encoding="utf-8")
        try:
            data, indent, block_seq_indent = load_yaml_guess_indent(self.original)
        except YAMLError as exc:
            raise InventoryEditError(Msg("{file}: not YAML pantau can edit: {error}", file=path, error=exc)) from None
        first = ""
        for layout in _layouts(indent, block_seq_indent):
            self.yaml = _yaml(*layout)
            self.data = self.yaml.load(self.original) if data is not None else CommentedMap()
            if (dumped := self.dump()) == self.original or data is None:
                break
            first = first or dumped
        else:
            raise InventoryEditError(
                Msg(
                    "{file}: its layout cannot be kept by pantau's YAML editor (line {line} would change); "
                    "indent it as the example inventory does, or make this change by hand",
                    file=path,
                    line=_first_difference(self.original, first),
                )
            )
        self.changed = False

    def dump(self) -> str:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return out.getvalue()


def _first_difference(a: str, b: str) -> int:
    for number, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            return number
    return min(len(a.splitlines()), len(b.splitlines())) + 1


def _styled(value: Any, like: Any) -> Any:
    """``value`` (plain data) as ruamel.yaml nodes in the style of ``like`` (the item before it): flow
    where it is flow, its keys in its order, nested values alike."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        order = [k for k in like if k in value] if isinstance(like, Mapping) else []
        for key in [*order, *(k for k in value if k not in order)]:
            node[key] = _styled(value[key], like.get(key) if isinstance(like, Mapping) else None)
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            node.fa.set_flow_style()
        elif not isinstance(like, Mapping):
            node.fa.set_flow_style()  # a nested mapping with no model: on one line ({device: core, ...})
        return node
    if isinstance(value, list | tuple):
        first = like[-1] if isinstance(like, list) and like else None
        seq = CommentedSeq(_styled(v, first) for v in value)
        if isinstance(like, CommentedSeq) and like.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    return value


class InventoryEdit:
    """Items added to and removed from an inventory folder's list sections (``opds``, ``links``...),
    kept in memory until :meth:`commit`. Used as a context manager, it holds the folder's edit lock from
    the first read to the commit: two edits at once never overwrite each other."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._files: dict[Path, _File] = {}
        self._lock: contextlib.ExitStack | None = None

    def __enter__(self) -> InventoryEdit:
        self._lock = contextlib.ExitStack()
        self._lock.enter_context(locked(self.directory))
        finish(self.directory)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._lock is not None
        self._lock.close()

    def _file(self, path: Path) -> _File:
        if path not in self._files:
            self._files[path] = _File(path)
        return self._files[path]

    def _sections(self, section: str) -> list[tuple[_File, CommentedSeq]]:
        """Every file holding ``section`` (in name order: an agency may split its devices over several), with
        its list.

        Raises:
            InventoryEditError: no file has the section, or it is not a list there.
        """
        found = []
        for path in inventory_files(self.directory):
            head = path.read_text(encoding="utf-8")
            if not any(line.startswith(f"{section}:") for line in head.splitlines()):
                continue
            file = self._file(path)
            items = file.data.get(section)
            if items is None:
                items = file.data[section] = CommentedSeq()
            if not isinstance(items, CommentedSeq):
                raise InventoryEditError(Msg("{file}: '{section}:' is not a list", file=path, section=section))
            found.append((file, items))
        if not found:
            raise InventoryEditError(
                Msg(
                    "no file of {directory} has a '{section}:' section; add one (e.g. {section}.yml) and try again",
                    directory=self.directory,
                    section=section,
                )
            )
        return found

    def append(self, section: str, item: Mapping[str, Any]) -> None:
        """Add ``item`` at the end of ``section`` (in its first file), in the style of the item before it."""
        file, items = self._sections(section)[0]
        items.append(_styled(item, items[-1] if items else None))
        file.changed = True

    def _find(self, section: str, key: str, value: str) -> tuple[_File, CommentedMap]:
        for file, items in self._sections(section):
            for item in items:
                if isinstance(item, CommentedMap) and item.get(key) == value:
                    return file, item
        raise InventoryEditError(Msg("no {section} item with {key} {value}", section=section, key=key, value=value))

    def append_within(self, section: str, key: str, value: str, field: str, item: Mapping[str, Any]) -> None:
        """Add ``item`` to the list ``field`` of the ``section`` item whose ``key`` is ``value`` (an interface
        of a device)."""
        file, owner = self._find(section, key, value)
        inner = owner.get(field)
        if inner is None:
            inner = owner[field] = CommentedSeq()
        inner.append(_styled(item, inner[-1] if inner else None))
        file.changed = True

    def remove(self, section: str, match: Callable[[Mapping[str, Any]], bool]) -> int:
        """Remove the items of ``section`` that ``match``, in whichever file; how many were removed."""
        removed = 0
        for file, items in self._sections(section):
            gone = [i for i, item in enumerate(items) if isinstance(item, Mapping) and match(item)]
            for index in reversed(gone):
                del items[index]
            file.changed = file.changed or bool(gone)
            removed += len(gone)
        return removed

    def remove_within(
        self, section: str, key: str, value: str, field: str, match: Callable[[Mapping[str, Any]], bool]
    ) -> int:
        file, owner = self._find(section, key, value)
        inner = owner.get(field) or []
        gone = [i for i, item in enumerate(inner) if isinstance(item, Mapping) and match(item)]
        for index in reversed(gone):
            del inner[index]
        file.changed = file.changed or bool(gone)
        return len(gone)

    def texts(self) -> dict[Path, str]:
        """The new text of each changed file."""
        return {path: f.dump() for path, f in self._files.items() if f.changed}

    def validate(self, load: Callable[[Path], object]) -> None:
        """Load the edited inventory as a whole with ``load`` (the composition root's loader, checking the
        platforms), in a scratch copy of the folder.

        Raises:
            InventoryLoadError: the result does not validate; each problem at its file and line (the file's
                name as in the inventory folder).
        """
        texts = self.texts()
        with tempfile.TemporaryDirectory(prefix="pantau-inventory-") as scratch:
            copy = Path(scratch) / self.directory.name
            shutil.copytree(self.directory, copy, ignore=shutil.ignore_patterns(JOURNAL, f"*{NEW}"))
            for path, text in texts.items():
                (copy / path.name).write_text(text, encoding="utf-8")
            try:
                load(copy)
            except InventoryLoadError as exc:
                problems = [
                    Problem(p.file.replace(str(copy), str(self.directory)), p.line, p.message) for p in exc.problems
                ]
                raise InventoryLoadError(self.directory, problems) from None

    def commit(self, load: Callable[[Path], object], pause: Callable[[str], None] | None = None) -> list[Path]:
        """Validate (see :meth:`validate`), then write every changed file at once (see the module's
        docstring); the files written. ``pause`` is called at ``staged`` (the new files on disk, no journal)
        and ``journaled`` (the journal on disk, no file renamed): the crash tests stop there.

        Raises:
            InventoryLoadError: the edited inventory does not validate; nothing was written.
            OSError: a file could not be written; the inventory is as it was, or is completed on next load.
        """
        self.validate(load)
        texts = self.texts()
        if not texts:
            return []
        staged: list[tuple[Path, Path]] = []
        for path, text in texts.items():
            new = path.with_name(f".{path.name}{NEW}")
            with open(new, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            shutil.copymode(path, new)
            staged.append((new, path))
        if pause is not None:
            pause("staged")
        write_atomic(self.directory / JOURNAL, json.dumps([[new.name, path.name] for new, path in staged]))
        if pause is not None:
            pause("journaled")
        finish(self.directory)
        for f in self._files.values():
            f.changed = False
        return [path for _new, path in staged]
