"""The language the CLI speaks: Bahasa Indonesia by default, English with ``pantau --lang en`` or
``PANTAU_LANG=en`` (or ``lang: en`` in pantau.yml).

What the code writes in English is translated from the message catalogs (:mod:`i18n`): ``--help`` texts,
:func:`tr` messages, and the :class:`~i18n.Msg` every layer raises its user errors with (their English is
what logs and tests read; :func:`error_text` renders them in the user's language). ``make catalogs`` keeps
the catalogs (:mod:`agent.catalog`). The CLI's own output, its tables' headers included, is :func:`tr`'s.
"""

from __future__ import annotations

from i18n import LANGUAGES, Msg, catalog, message_of

_current = ["id"]


def set_language(lang: str, source: str = "--lang") -> None:
    """Speak ``lang`` from now on; ``source`` names where it was set (a flag, a variable), for the error."""
    if lang not in LANGUAGES:
        raise ValueError(f"{source} {lang}: choose id (Bahasa Indonesia) or en (English)")
    _current[0] = lang


def current() -> str:
    return _current[0]


def tr(message: str, /, **fields: object) -> str:
    """``message`` (English, as written in the code) in the current language, from its catalog, with its
    ``{fields}`` filled in (a message without fields is not formatted: its braces are its own)."""
    text = catalog(_current[0]).gettext(message)
    return text.format(**fields) if fields else text


def label(kind: str = "error") -> str:
    """``error``/``galat``, ``warning``/``peringatan``."""
    return {"error": tr("error"), "warning": tr("warning")}[kind]


def error_text(error: BaseException | Msg | str, lang: str | None = None) -> str:
    """``error`` in ``lang`` (default: the current language): its :class:`~i18n.Msg` from the catalog, or
    the text as it is when it was raised without one (a library's own message, say)."""
    msg = error if isinstance(error, Msg) else message_of(error) if isinstance(error, BaseException) else None
    if msg is None:
        return str(error)
    return msg.render(catalog(lang or _current[0]).gettext)
