"""The message catalogs, kept with Babel: ``make catalogs`` (``python -m agent.catalog``).

The code writes its messages in English; each language has ``i18n/locale/<lang>/LC_MESSAGES/pantau.po``
(``id`` translated, ``en`` empty: a place to reword the English) and its compiled ``.mo``, which is what
:func:`agent.lang.tr` reads. The messages are every ``--help`` text of pantau's commands and options
(found by walking the command tree, as Typer builds it from docstrings and ``help=``), every literal
``tr("…")`` and ``Msg("…")`` in the product's code and every ``_("…")`` of its templates. A catalog run
writes ``pantau.pot``, merges it into each ``.po`` (a message whose English changed becomes fuzzy, with
Babel's guess at its translation, for a translator to check; one that went away is dropped) and compiles
the ``.mo``. ``tests/unit/agent/test_catalogs.py`` fails while a message lacks its Indonesian.

A development tool (Babel is a development dependency): nothing of the running product imports it.
"""

from __future__ import annotations

import ast
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po as read
from babel.messages.pofile import write_po
from jinja2 import Environment
from jinja2.ext import extract_from_ast

from agent.cli import COMMANDS, _command, root
from agent.lang import current, set_language
from i18n import DOMAIN, LANGUAGES, LOCALE_DIR

#: the product's packages, whose ``tr("…")`` calls are messages (the lab is a development tool: English)
PACKAGES = ("agent", "core", "store", "collectors", "platforms", "playbooks", "inventory", "exporters", "i18n")
ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = ("tr", "Msg")  # the callables whose first argument is a message (templates are literals)
HEADER = {
    "project": "pantau",
    "domain": DOMAIN,
    "copyright_holder": "the pantau authors",
    "msgid_bugs_address": "the pantau issue tracker",
    "charset": "utf-8",
    "last_translator": "the pantau authors",
    "language_team": "the pantau authors",
    "header_comment": "# The messages of pantau (Apache-2.0), kept by make catalogs: edit msgstr only.\n#",
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def help_texts() -> dict[str, str]:
    """Every help text of pantau's own commands (English, as written) -> the command or option it is of."""
    was = current()
    set_language("en")  # the texts as the code writes them
    try:
        found: dict[str, str] = {}
        _walk(root(), "pantau", found)
        for name, (module, attribute) in COMMANDS.items():
            _walk(_command(module, attribute, name), f"pantau {name}", found)
        return found
    finally:
        set_language(was)


def _walk(command: Any, where: str, found: dict[str, str]) -> None:
    for attribute in ("help", "short_help"):
        if getattr(command, attribute, None):
            found.setdefault(getattr(command, attribute), where)
    for param in [*command.params, command.get_help_option(command.context_class(command))]:
        if param is not None and getattr(param, "help", None):
            found.setdefault(param.help, f"{where} --{param.name}")
    for name, sub in getattr(command, "commands", {}).items():
        _walk(sub, f"{where} {name}", found)


def code_messages() -> dict[str, str]:
    """Every literal ``tr("…")`` and ``Msg("…")`` in the product's code, and every ``_("…")`` of its Jinja
    templates -> the file it is in. The code is read from its syntax tree, so a call inside an f-string's
    braces is found too (Babel's extractor does not look there)."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) in KEYWORDS
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.setdefault(node.args[0].value, str(path.relative_to(ROOT)))
        templates = Environment(autoescape=True)  # only parsed, never rendered
        for path in sorted((ROOT / package).rglob("*.j2")):
            for _line, _function, message in extract_from_ast(templates.parse(path.read_text(encoding="utf-8"))):
                if isinstance(message, str):
                    found.setdefault(message, str(path.relative_to(ROOT)))
    return found


def messages() -> dict[str, str]:
    """What the catalogs must translate: message -> where it is used."""
    return {**help_texts(), **code_messages()}


def template() -> Catalog:

    catalog = Catalog(**HEADER, fuzzy=False)
    for message, where in sorted(messages().items(), key=lambda item: item[1]):
        catalog.add(message, auto_comments=[where])
    return catalog


def mo_bytes(catalog: Catalog) -> bytes:

    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def read_po(lang: str) -> Catalog:

    with po_path(lang).open("rb") as handle:
        return read(handle, locale=lang, domain=DOMAIN)


def update() -> list[str]:
    """Write the template, merge it into each language's catalog and compile it; the files written."""

    pot, pot_path = template(), LOCALE_DIR / f"{DOMAIN}.pot"
    if pot_path.exists():  # the same messages keep their date: a run with nothing new changes no file
        with pot_path.open("rb") as handle:
            before = read(handle)
        if _messages_of(before) == _messages_of(pot):
            pot.creation_date = before.creation_date
    written = [_write(pot_path, pot)]
    for lang in LANGUAGES:
        path = po_path(lang)
        catalog = read_po(lang) if path.exists() else Catalog(**HEADER, locale=lang, fuzzy=False)
        catalog.update(pot, update_header_comment=False)
        written.append(_write(path, catalog))
        mo = path.with_suffix(".mo")
        mo.write_bytes(mo_bytes(read_po(lang)))  # from the file as written
        written.append(str(mo.relative_to(ROOT)))
    return written


def _messages_of(catalog: Catalog) -> list[tuple[object, list[str]]]:
    return [(message.id, message.auto_comments) for message in catalog if message.id]


def _write(path: Path, catalog: Catalog) -> str:

    path.parent.mkdir(parents=True, exist_ok=True)
    for message in catalog:
        if not message.fuzzy:  # the English it was guessed from matters only while the guess is unchecked
            message.previous_id = []
    with path.open("wb") as handle:  # no line wrapping: a catalog changes only where a message did
        write_po(handle, catalog, width=0, include_previous=True, ignore_obsolete=True)
    return str(path.relative_to(ROOT))


def main() -> None:
    for name in update():
        sys.stdout.write(f"{name}\n")


if __name__ == "__main__":
    main()
