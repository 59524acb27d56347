"""PDF rendering with WeasyPrint: one place for the fonts, the page style and the digest.

Chinese text needs a CJK font installed on the machine (Debian `fonts-wqy-zenhei` or `fonts-noto-cjk`);
fontconfig finds it by the family names in templates/pdf/_style.css. Without one, WeasyPrint draws empty
boxes while text extraction still "works", so tests check the embedded fonts with `pdffonts`.
`libharfbuzz-subset0` makes font subsetting fast (a 10-page CJK PDF: ~8 s without it, ~1 s with it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .errors import DomainError, Failure


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    sha256: str
    filename: str


class PdfUnavailable(DomainError):
    """WeasyPrint's system libraries (Pango) are missing on this machine."""


def render_pdf(
    *, template: str, context: dict[str, Any], filename: str, language: str | None = None
) -> RenderedPdf:
    """Render `template` (which extends pdf/base.html) to PDF bytes in `language` (default: current)."""
    try:
        from weasyprint import HTML
    except OSError as error:  # pragma: no cover - depends on the machine's libraries
        raise PdfUnavailable(
            [
                Failure(
                    "PDF_UNAVAILABLE",
                    _("PDF rendering is not available on this server (WeasyPrint needs Pango): %(e)s")
                    % {"e": error},
                    "",
                )
            ]
        ) from error
    with translation.override(language or translation.get_language()):
        html = render_to_string(template, context)
    return html_to_pdf(html, filename=filename, html_class=HTML)


def html_to_pdf(html: str, *, filename: str, html_class: Any = None) -> RenderedPdf:
    """PDF bytes of an HTML document (already rendered), with their SHA-256."""
    if html_class is None:
        from weasyprint import HTML as html_class
    content = html_class(string=html, base_url=None).write_pdf()
    return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), filename=filename)
