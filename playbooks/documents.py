"""What every official document of the agency shares: the letterhead (kop surat) read from the inventory,
and writing a document as Markdown, HTML and PDF."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from exporters.pdf import PdfUnavailable, to_pdf
from exporters.reports import Letterhead
from inventory.models import Inventory
from store.files import REPORT_DIRECTORY_MODE, private_directory, write_report

log = logging.getLogger(__name__)
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def letterhead(inv: Inventory) -> Letterhead:
    """The kop surat of the agency's documents, its logo read in as a ``data:`` URI."""
    a = inv.agency
    logo = None
    if a.logo is not None:
        path = Path(a.logo)
        try:
            logo = f"data:{MIME[path.suffix.lower()]};base64," + base64.b64encode(path.read_bytes()).decode()
        except OSError as exc:  # a missing image costs the kop its logo, not the document
            log.warning(
                "agency.logo %s: %s; the documents are made without the logo until it is there", path, exc.strerror
            )
    return Letterhead(a.name, a.government, a.address, a.contact, logo, a.city)


def write_document(directory: Path, stem: str, markdown: str, html: str) -> list[Path]:
    """``stem.md``, ``stem.html`` and ``stem.pdf`` in ``directory`` (0750, files 0640); the paths written.
    Without a PDF engine the Markdown and HTML stand and the log names the missing PDF."""
    private_directory(directory, REPORT_DIRECTORY_MODE)
    paths = []
    for fmt, content in (("md", markdown), ("html", html)):
        write_report(directory / f"{stem}.{fmt}", content)
        paths.append(directory / f"{stem}.{fmt}")
    try:
        pdf = to_pdf(html)
    except PdfUnavailable as exc:
        log.warning("%s: %s", stem, exc)
        return paths
    write_report(directory / f"{stem}.pdf", pdf)
    return [*paths, directory / f"{stem}.pdf"]
