"""Load an inventory directory of YAML files, reporting every problem with its file, line and field.

The loader composes each file into YAML nodes (which keep their line numbers), converts them to plain
data while recording where each key and list item stood, validates each object on its own, and then
runs the cross-checks of :mod:`inventory.crosscheck`. Problems are collected, never raised one by one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from inventory.crosscheck import cross_check
from inventory.errors import InventoryLoadError, Problem
from inventory.journal import JOURNAL, finish_interrupted
from inventory.located import CREDENTIAL_SECTIONS, LIST_SECTIONS, TOP_SECTIONS, Located
from inventory.models import (
    Agency,
    Credentials,
    Device,
    DeviceKind,
    Inventory,
    PlatformTraits,
    default_kind,
)

MAX_NODES = 200_000  # at least: alias bombs ("billion laughs") expand to more nodes than their text has characters
# libyaml where PyYAML has it: composes 8x faster (a 2,000-device devices.yml: 3.1 s → 0.39 s)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_IP_MESSAGE = re.compile(r"Input is not a valid IPv(4|6) (address|network|interface)")


@dataclass
class _Raw:
    section: str
    data: Any
    file: str
    path: tuple[str | int, ...]
    lines: dict[tuple[str | int, ...], int]


class _Converter:
    """YAML nodes → plain Python data, recording the line of every key and list item."""

    def __init__(self, file: str, problems: list[Problem], budget: int = MAX_NODES) -> None:
        self.file = file
        self.problems = problems
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.constructor = yaml.SafeLoader("")
        self.budget = budget

    def convert(self, node: Node, path: tuple[str | int, ...]) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooBig
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            if node.tag == _STR:  # the composer resolved the tag: a string is its value (most scalars)
                return node.value
            return self.constructor.construct_object(node, deep=True)
        if isinstance(node, SequenceNode):
            return [self.convert(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode):
                    self.problems.append(Problem(self.file, line, "a mapping key must be a plain word"))
                    continue
                key = key_node.value if key_node.tag == _STR else str(self.constructor.construct_object(key_node))
                if key in result:
                    self.problems.append(
                        Problem(self.file, line, f"key '{key}' appears twice in one mapping; keep one")
                    )
                    continue
                self.lines[(*path, key)] = line
                result[key] = self.convert(value_node, (*path, key))
            return result
        raise yaml.constructor.ConstructorError(None, None, "unknown YAML node", node.start_mark)


class _TooBig(Exception):
    pass


def inventory_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def load_inventory(
    directory: Path, platforms: Collection[str] | Mapping[str, PlatformTraits] | None = None
) -> Inventory:
    """Load and cross-check the inventory in ``directory``; every device's platform must be one of
    ``platforms`` (the registry's names, or its traits by name: then each device's kind and SSH access are
    checked against its platform's; None: any well-formed name, for tools that talk to no device). A device
    whose kind the file does not give gets its role's, or its platform's (:func:`default_kind`).

    Raises:
        InventoryLoadError: with every problem found, each at its file and line.
    """
    problems: list[Problem] = []
    if not directory.is_dir():
        raise InventoryLoadError(
            directory, [Problem(str(directory), 0, "not a directory; give the inventory's folder")]
        )
    _finish_edit(directory)
    files = inventory_files(directory)
    if not files:
        raise InventoryLoadError(
            directory, [Problem(str(directory), 0, "no .yml files here; is this the inventory folder?")]
        )
    raws: list[_Raw] = []
    for path in files:
        raws.extend(_read_file(path, problems))
    unreadable = {p.file for p in problems}  # files that could not be read or parsed at all

    agencies: list[Located] = []
    located: dict[str, list[Located]] = {name: [] for name in LIST_SECTIONS}
    invalid: dict[str, set[str]] = {name: set() for name in LIST_SECTIONS}
    shared: dict[object, object] = {}  # equal parts of the models, one object each (see Device.interfaces)
    for raw in raws:
        model = Agency if raw.section == "agency" else LIST_SECTIONS[raw.section][0]
        obj = _validate(model, raw, problems, shared)
        if obj is not None:
            target = agencies if raw.section == "agency" else located[raw.section]
            target.append(Located(obj, raw.file, raw.path, raw.lines))
        elif raw.section != "agency" and isinstance(raw.data, dict):
            invalid[raw.section].add(str(raw.data.get(LIST_SECTIONS[raw.section][1])))

    if not agencies and not raws_have_agency(raws) and not unreadable:
        problems.append(
            Problem(str(directory), 0, "no file has an 'agency:' section; create agency.yml with agency: name, zone")
        )
    for extra in agencies[1:]:
        problems.append(
            Problem(
                extra.file,
                extra.line(),
                f"a second 'agency:' section (first at {agencies[0].file}:{agencies[0].line()}); keep one",
            )
        )

    if unreadable:  # what those files define is unknown: checks across files would only cascade
        problems.append(Problem(str(directory), 0, "checks across files are made once every file can be read"))
    else:
        problems.extend(cross_check(located, invalid, platforms))
    if problems:
        raise InventoryLoadError(directory, problems)

    def objs(section: str) -> tuple[Any, ...]:
        return tuple(item.obj for item in located[section])

    kinds = {name: t.kinds for name, t in platforms.items()} if isinstance(platforms, Mapping) else {}
    agency = agencies[0].obj
    if agency.logo is not None:  # found beside the inventory, whatever the working directory later
        agency = agency.model_copy(update={"logo": str((directory / agency.logo).resolve())})
    return Inventory(
        agency=agency,
        sites=objs("sites"),
        opds=objs("opds"),
        devices=tuple(_with_kind(d, kinds) for d in objs("devices")),
        links=objs("links"),
        prefixes=objs("prefixes"),
        zones=objs("zones"),
        credentials=Credentials(snmp=objs("snmp"), ssh=objs("ssh"), tsig=objs("tsig")),
    )


def _with_kind(dev: Device, kinds: Mapping[str, tuple[DeviceKind, ...]]) -> Device:
    """``dev`` with its kind: as written, else its role's or its platform's (:func:`default_kind`)."""
    if dev.kind is not None:
        return dev
    return dev.model_copy(update={"kind": default_kind(dev.role, kinds.get(dev.platform, ()))})


def agency_timezone(directory: Path) -> tuple[str, Path] | None:
    """The time zone the inventory's ``agency:`` section names (its default where it names none), and the
    file; None where no file can be read for one (loading the inventory then says why). Only the agency's
    file is parsed: the configuration takes the agency's zone without reading a fleet's devices."""
    try:
        files = inventory_files(directory)
    except OSError:
        return None
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            if not re.search(r"^agency:", text, re.MULTILINE):
                continue
            data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (the safe loader: CSafeLoader or SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None
        agency = data.get("agency") if isinstance(data, dict) else None
        if isinstance(agency, dict):
            zone = agency.get("timezone", Agency.model_fields["timezone"].default)
            return (zone, path) if isinstance(zone, str) else None
    return None


def _finish_edit(directory: Path) -> None:
    """Complete an edit cut off after its journal, before anything is read (:mod:`inventory.journal`).

    Raises:
        InventoryLoadError: it cannot be completed by this user.
    """
    try:
        finish_interrupted(directory)
    except OSError as exc:
        problem = Problem(
            str(directory / JOURNAL),
            0,
            f"an interrupted edit cannot be completed ({exc.strerror}); load the inventory once as a user who may "
            "write its folder",
        )
        raise InventoryLoadError(directory, [problem]) from None


def raws_have_agency(raws: list[_Raw]) -> bool:
    return any(raw.section == "agency" for raw in raws)


def _read_file(path: Path, problems: list[Problem]) -> Iterator[_Raw]:
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(file, 0, f"cannot read the file: {exc.strerror}; check its mode"))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        problems.append(
            Problem(file, line, f"not UTF-8 (byte 0x{byte}, as Latin-1 or Windows-1252 write); save the file as UTF-8")
        )
        return
    # every node written out takes at least a character of the text; only aliases give more nodes than
    # that, so a large fleet's file (5,000 devices: about 500,000 nodes) is read, an alias bomb is not
    converter = _Converter(file, problems, max(MAX_NODES, len(text)))
    try:
        node = yaml.compose(text, Loader=_LOADER)
        if node is None:
            return
        data = converter.convert(node, ())
    except yaml.MarkedYAMLError as exc:
        line, what = yaml_syntax_error(exc)
        problems.append(Problem(file, line, f"not valid YAML: {what}; fix the syntax"))
        return
    except yaml.YAMLError as exc:
        problems.append(Problem(file, 1, f"not valid YAML: {exc}; fix the syntax"))
        return
    except _TooBig:
        problems.append(Problem(file, 1, f"more YAML nodes than {max(MAX_NODES, len(text))} (alias bomb?); simplify"))
        return
    except RecursionError:
        problems.append(Problem(file, 1, "YAML nested too deeply; simplify"))
        return
    if not isinstance(data, dict):
        problems.append(Problem(file, 1, f"the file must be a mapping of sections ({', '.join(TOP_SECTIONS)})"))
        return
    lines = converter.lines
    for section, value in data.items():
        line = lines.get((section,), 1)
        if section == "agency":
            yield _Raw("agency", value, file, ("agency",), lines)
        elif section == "credentials":
            if not isinstance(value, dict):
                problems.append(Problem(file, line, "'credentials' must be a mapping of snmp, ssh, tsig lists"))
                continue
            for kind, items in value.items():
                if kind not in CREDENTIAL_SECTIONS:
                    problems.append(
                        Problem(
                            file,
                            lines.get((section, kind), line),
                            _unknown("credential kind", kind, CREDENTIAL_SECTIONS),
                        )
                    )
                    continue
                yield from _items(kind, items, file, (section, kind), lines, problems)
        elif section in LIST_SECTIONS and section not in CREDENTIAL_SECTIONS:
            yield from _items(section, value, file, (section,), lines, problems)
        else:
            problems.append(Problem(file, line, _unknown("section", section, TOP_SECTIONS)))


def yaml_syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The line a YAML syntax error is at, and what it is. The parser notices some errors only on the line
    after (a key without ': ', a flow mapping or sequence never closed, a quote never closed); its context
    mark is then the line to fix. Other errors are where the parser stopped."""
    context = exc.context or ""
    at_context = context.startswith(("while scanning a simple key", "while parsing a flow", "while scanning a quoted"))
    mark = exc.context_mark if at_context and exc.context_mark is not None else exc.problem_mark or exc.context_mark
    what = f"{exc.problem} ({context})" if exc.problem and context else exc.problem or context
    return (mark.line + 1 if mark is not None else 1), str(what)


def _items(
    section: str,
    value: Any,
    file: str,
    path: tuple[str | int, ...],
    lines: dict[tuple[str | int, ...], int],
    problems: list[Problem],
) -> Iterator[_Raw]:
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(Problem(file, lines.get(path, 1), f"'{path[-1]}' must be a list (items start with '- ')"))
        return
    for i, item in enumerate(value):
        yield _Raw(section, item, file, (*path, i), lines)


def _validate(
    model: type[BaseModel], raw: _Raw, problems: list[Problem], shared: dict[object, object]
) -> BaseModel | None:
    try:
        return model.model_validate(raw.data, context={"shared": shared})
    except ValidationError as exc:
        where = Located(None, raw.file, raw.path, raw.lines)
        subject = _subject(raw)
        for loc, error in _merged(exc.errors(include_url=False)):
            problems.append(Problem(raw.file, where.line(*loc), f"{subject}: {_explain(model, loc, error)}"))
        return None


def _merged(errors: list[Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """pydantic's errors by field: the union branches it tried (an address as IPv4, then as IPv6) are one
    error of that field, named by the field alone, never by pydantic's internal branch tags."""
    by_loc: dict[tuple[Any, ...], list[Any]] = {}
    for error in errors:
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        by_loc.setdefault(loc, []).append(error)
    merged = []
    for loc, group in by_loc.items():
        if len(group) == 1:
            merged.append((loc, group[0]))
            continue
        kinds = {m.group(2) for e in group if (m := _IP_MESSAGE.fullmatch(str(e["msg"])))}
        if len(kinds) == 1 and all(_IP_MESSAGE.fullmatch(str(e["msg"])) for e in group):
            message = f"'{group[0]['input']}' is not a valid IP {kinds.pop()} (IPv4 or IPv6)"
        else:
            message = "; or ".join(dict.fromkeys(str(e["msg"]) for e in group))
        merged.append((loc, {**group[0], "msg": message}))
    return merged


def _subject(raw: _Raw) -> str:
    if raw.section == "agency":
        return "agency"
    _, key, noun = LIST_SECTIONS[raw.section]
    name = raw.data.get(key) if isinstance(raw.data, dict) else None
    index = raw.path[-1]
    return f"{noun} '{name}'" if isinstance(name, str) else f"{noun} #{int(index) + 1}"


def _explain(model: type[BaseModel], loc: tuple[Any, ...], error: Mapping[str, Any]) -> str:
    dotted = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    kind = error["type"]
    if not loc:
        if kind in ("model_type", "model_attributes_type"):
            return "must be a mapping of fields (key: value)"
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f"field '{dotted}' is required; add it"
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        return _unknown("field", str(loc[-1]), known)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"field '{dotted}': {message}"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = _inner_model(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (list, tuple, Union, UnionType):
        for arg in get_args(annotation):
            found = _inner_model(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation


def _unknown(what: str, name: str, known: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(known)}" if known else ""
    return f"unknown {what} '{name}'{hint}"
