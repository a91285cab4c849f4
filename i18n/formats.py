"""Numbers as each language writes them (Babel's CLDR data): Indonesian ``1.234,5`` and ``87,5 %``, English
``1,234.5`` and ``87.5%``. Apart from :mod:`i18n` so that only what writes numbers loads Babel."""

from __future__ import annotations

from babel.numbers import format_decimal


def number(value: float, lang: str, digits: int = 1, fixed: bool = False) -> str:
    """``value`` as the language writes numbers (Indonesian: ``1.234,5``; English: ``1,234.5``), with at most
    ``digits`` decimals (trailing zeros dropped), or exactly ``digits`` when ``fixed`` (a table's column)."""
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=lang))


def percent(ratio: float, lang: str, digits: int = 1, fixed: bool = False) -> str:
    """A ratio as a percentage the language's way (``87,5 %`` in Indonesian, ``87.5%`` in English)."""
    text = number(ratio * 100, lang, digits, fixed)
    return f"{text} %" if lang == "id" else f"{text}%"
