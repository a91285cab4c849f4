"""Each alert's runbook, in Bahasa Indonesia and in English (``exporters/prometheus/runbooks/{id,en}.md``, a
section ``## AlertName`` each): the status page serves them at ``/runbooks/<alert>``, where the rules'
``runbook_url`` points once :func:`rules_for` has given them the page's address."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from markdown_it import MarkdownIt

from core.sop import cite
from inventory.models import SopCatalog

HERE = Path(__file__).resolve().parent / "prometheus"
RUNBOOKS = HERE / "runbooks"
RULES = HERE / "rules.yml"
LANGS = ("id", "en")
#: how the shipped rules name each runbook: a path on the status page, completed by :func:`rules_for`
URL_PREFIX = 'runbook_url: "/runbooks/'


@functools.cache
def runbooks(lang: str) -> dict[str, str]:
    """Alert name -> its runbook (Markdown) in ``lang`` (``id`` or ``en``), in the file's order."""
    text = (RUNBOOKS / f"{lang}.md").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        name, _, body = part.partition("\n")
        out[name.strip()] = body.strip()
    return out


def to_html(markdown: str) -> str:
    """A runbook as HTML (CommonMark; raw HTML in the text is shown as text, never run)."""
    return str(MarkdownIt("commonmark", {"html": False}).render(markdown))


def rules_for(external_url: str, sops: SopCatalog | None = None, rules: str | None = None) -> str:
    """The shipped alert rules with each ``runbook_url`` at ``external_url``'s ``/runbooks/<alert>`` and each
    ``sop`` label the agency's procedure (``sops``; the rest of the file byte for byte)."""
    text = RULES.read_text(encoding="utf-8") if rules is None else rules
    text = text.replace(URL_PREFIX, f'runbook_url: "{external_url.rstrip("/")}/runbooks/')
    return cite(text, sops) if sops is not None else text
