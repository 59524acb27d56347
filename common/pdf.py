"""PDF rendering with WeasyPrint: one place for the fonts, the page style and the digest.

Chinese text needs a CJK font installed on the machine (Debian `fonts-wqy-zenhei` or `fonts-noto-cjk`);
fontconfig finds it by the family names in templates/pdf/_style.css. Without one, WeasyPrint draws empty
boxes while text extraction still "works", so tests check the embedded fonts with `pdffonts`.
`libharfbuzz-subset0` makes font subsetting fast (a 10-page CJK PDF: ~8 s without it, ~1 s with it).

Rendering never fetches anything: the documents hold what people typed (names, conversation notes,
complaint texts), so an `<img src="file:///etc/...">` or a CSS `url(http://...)` that slipped through
must not pull a local file or reach the network. `url_fetcher()` allows `data:` URLs only (images the
templates embed, such as signatures) and refuses every other scheme; fonts come from fontconfig.

No unreadable legal document: a document with Chinese text is refused before rendering when
fontconfig knows no Chinese font (`fc-list :lang=zh`), and any document is refused after rendering
when WeasyPrint logged a `.notdef` glyph (a character no installed font draws): `FontMissing`, whose
message names the Debian package to install. Those warnings are caught here, not printed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


class FontMissing(DomainError):
    """A document would print characters as empty boxes: no installed font draws them."""


FONT_PACKAGES = "fonts-wqy-zenhei (or fonts-noto-cjk)"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_fonts_found: set[str] = set()


def font_installed(lang: str = "zh") -> bool | None:
    """Whether fontconfig knows a font for `lang` (None: `fc-list` is not installed, so unknown).
    Only a positive answer is remembered: a font installed while the server runs is seen at once."""
    if lang in _fonts_found:
        return True
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [fc_list, f":lang={lang}", "family"], capture_output=True, text=True, timeout=20, check=False
    ).stdout
    if out.strip():
        _fonts_found.add(lang)
        return True
    return False


def font_missing_error(characters: str = "") -> FontMissing:
    if characters:
        message = _(
            "This document cannot be printed readably: no installed font draws %(chars)s. Install a "
            "font that covers them (for Chinese: apt-get install %(package)s); nothing was stored."
        ) % {"chars": characters, "package": FONT_PACKAGES}
    else:
        message = _(
            "This document is in Chinese and no Chinese font is installed on the server, so it would "
            "print as empty boxes. Install %(package)s: apt-get install fonts-wqy-zenhei; nothing was "
            "stored."
        ) % {"package": FONT_PACKAGES}
    return FontMissing([Failure("FONT_MISSING", message, "")])


class _NotdefCatcher(logging.Filter):
    """Catches WeasyPrint's `.notdef glyph rendered` warnings of this thread (and keeps them out of the
    log: the refusal says it once)."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.missing: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread or ".notdef" not in str(record.msg):
            return True
        message = record.getMessage()
        found = re.search(r'fonts: "(.+?)"', message)
        self.missing.append(found.group(1) if found else "?")
        return False


@contextmanager
def _catch_missing_glyphs() -> Iterator[_NotdefCatcher]:
    catcher = _NotdefCatcher()
    logger = logging.getLogger("weasyprint")
    logger.addFilter(catcher)
    try:
        yield catcher
    finally:
        logger.removeFilter(catcher)


def render_pdf(
    *,
    template: str,
    context: dict[str, Any],
    filename: str,
    language: str | None = None,
    sign: bool = False,
) -> RenderedPdf:
    """Render `template` (which extends pdf/base.html) to PDF bytes in `language` (default: current);
    `sign`: with the agency's PAdES signature (common/signing.py), the digest being the signed file's."""
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
    return html_to_pdf(html, filename=filename, html_class=HTML, sign=sign)


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


def html_to_pdf(html: str, *, filename: str, html_class: Any = None, sign: bool = False) -> RenderedPdf:
    """PDF bytes of an HTML document (already rendered), with their SHA-256; nothing is fetched."""
    if html_class is None:
        from weasyprint import HTML

        html_class = HTML
    if CJK.search(html) and font_installed("zh") is False:
        raise font_missing_error()
    with _catch_missing_glyphs() as caught:
        content = html_class(string=html, base_url=None, url_fetcher=url_fetcher()).write_pdf()
    if caught.missing:
        raise font_missing_error(" ".join(dict.fromkeys(caught.missing)))
    if sign:
        from .signing import sign_pdf

        content = sign_pdf(content)
    return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), filename=filename)
