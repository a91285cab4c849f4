"""HTML documents to PDF with WeasyPrint: CSS paged media (A4 from the document's ``@page``, page numbers
in the margin boxes, table headers repeated on each page), fonts from the system's fontconfig.

WeasyPrint rather than a headless browser: it is a library (no browser process to start and supervise per
document), it implements the paged-media parts of CSS that official documents need, and it installs from
PyPI on top of Pango, which Debian ships."""

from __future__ import annotations

import logging

#: the Debian packages WeasyPrint needs to make a PDF (Pango and fonts); `make install` installs them
PDF_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-liberation2 fonts-dejavu-core"


class PdfUnavailable(Exception):
    """The PDF engine cannot run on this machine (Pango missing): the other formats can still be written."""


def to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (images inline as ``data:`` URIs).

    Raises:
        PdfUnavailable: WeasyPrint or the Pango it loads is not installed.
    """
    try:
        from weasyprint import HTML  # noqa: PLC0415 (on use: it loads Pango, which only documents need)
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            f"no PDF: {exc}; install Pango and the fonts (apt-get install {PDF_PACKAGES}; make install does)"
        ) from None
    for name in ("weasyprint", "fontTools"):  # their warnings about CSS they skip are not the user's business
        logging.getLogger(name).setLevel(logging.ERROR)
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()  # bytes when no target is given
    return pdf
