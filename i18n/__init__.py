"""Messages for people, translated where they are shown: the lowest package, so every layer can use it.

The catalogs are gettext's, in ``i18n/locale/<lang>/LC_MESSAGES/pantau.po`` (and the compiled ``.mo``),
kept by ``make catalogs`` (:mod:`agent.catalog`); the code writes English, the catalog's keys.

Every layer raises its user errors with a :class:`Msg`: an English template with named fields
(``Msg("no run {run}; see pantau runs list", run=7)``). ``str()`` of it, and so of the error, is the
English text that logs and tests read; the CLI and the status page render it in the user's language from
the message catalogs (:func:`agent.lang.error_text`), the template being the catalog's key. A field may
itself be a :class:`Msg` (translated too) or a list of them (one per line).

Templates are plain string literals (a layout test holds it) so that ``make catalogs`` finds them.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("id", "en")  # Bahasa Indonesia first
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "pantau"
Translate = Callable[[str], str]


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang``; without one, messages stay as written (English)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


class Msg:
    """An English message template and the values of its ``{fields}``."""

    __slots__ = ("fields", "template")

    def __init__(self, template: str, /, **fields: object) -> None:
        self.template = template
        self.fields = fields

    def render(self, translate: Translate) -> str:
        """The message with its template (and those of its fields) passed through ``translate``. A message
        without fields is not formatted: its braces are its own (or a later ``format``'s, as a document's)."""
        if not self.fields:
            return translate(self.template)
        return translate(self.template).format(**{k: _render(v, translate) for k, v in self.fields.items()})

    def __str__(self) -> str:
        return self.render(str)

    def to_json(self) -> dict[str, Any]:
        """The message as JSON, its nested messages too: kept now, rendered later in any language."""
        fields = {k: v.to_json() if isinstance(v, Msg) else v for k, v in self.fields.items()}
        return {"msg": self.template, "fields": fields}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Msg:
        """The message :meth:`to_json` wrote."""
        fields = {k: cls.from_json(v) if isinstance(v, dict) and "msg" in v else v for k, v in data["fields"].items()}
        return cls(data["msg"], **fields)

    def __repr__(self) -> str:
        return f"Msg({self.template!r}, {self.fields!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.template, self.fields) == (other.template, other.fields)

    def __hash__(self) -> int:
        return hash(self.template)


def in_language(message: Msg | str, lang: str) -> str:
    """``message`` in ``lang``, from its catalog; a plain string is shown as it is."""
    return message.render(catalog(lang).gettext) if isinstance(message, Msg) else message


def words(messages: Mapping[str, Msg], lang: str) -> dict[str, str]:
    """A document's words (key -> message) in ``lang``.

    Raises:
        ValueError: a language pantau does not speak.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"language '{lang}': choose {' or '.join(LANGUAGES)}")
    return {key: in_language(message, lang) for key, message in messages.items()}


def _render(value: object, translate: Translate) -> object:
    if isinstance(value, Msg):
        return value.render(translate)
    if isinstance(value, list):
        return "\n".join(str(_render(item, translate)) for item in value)
    return value


def message_of(error: BaseException) -> Msg | None:
    """The :class:`Msg` an error was raised with, or that of the error it wraps with the same text."""
    if error.args and isinstance(error.args[0], Msg):
        return error.args[0]
    cause = error.__cause__
    if cause is not None and str(cause) == str(error):
        return message_of(cause)
    return None
