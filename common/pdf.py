"""PDF rendering with WeasyPrint: one place for the fonts, the page style and the digest.

Chinese text needs a CJK font installed on the machine (Debian `fonts-wqy-zenhei` or `fonts-noto-cjk`);
fontconfig finds it by the family names in templates/pdf/_style.css. Without one, WeasyPrint draws empty
boxes while text extraction still "works", so tests check the embedded fonts with `pdffonts`.
`libharfbuzz-subset0` makes font subsetting fast (a 10-page CJK PDF: ~8 s without it, ~1 s with it).

Rendering never fetches anything: the documents hold what people typed (names, conversation notes,
complaint texts), so an `<img src="file:///etc/...">` or a CSS `url(http://...)` that slipped through
must not pull a local file or reach the network. `url_fetcher()` allows `data:` URLs only (images the
templates embed, such as signatures) and refuses every other scheme; fonts come from fontconfig.
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


ALLOWED_SCHEMES = frozenset({"data"})


def url_fetcher() -> Any:
    """WeasyPrint's fetcher limited to `data:` URLs, without redirects: `file:`, `http(s):`, `ftp:` and
    every other scheme are refused (WeasyPrint then leaves the resource out and logs a warning)."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
            if scheme not in ALLOWED_SCHEMES:
                raise ValueError(
                    f"PDF rendering fetches data: URLs only, refused a {scheme or 'relative'} URL"
                )
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=ALLOWED_SCHEMES, allow_redirects=False, timeout=1)


def html_to_pdf(html: str, *, filename: str, html_class: Any = None) -> RenderedPdf:
    """PDF bytes of an HTML document (already rendered), with their SHA-256; nothing is fetched."""
    if html_class is None:
        from weasyprint import HTML

        html_class = HTML
    content = html_class(string=html, base_url=None, url_fetcher=url_fetcher()).write_pdf()
    return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), filename=filename)
