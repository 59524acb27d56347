"""System checks of what the documents need (`manage.py check`; errors under production settings).

`REQUIRE_DOCUMENT_FONTS` (True in config/settings/production.py): a Chinese font must be installed,
or every Chinese agreement, statement and report would be refused (common/pdf.py).
`DOCUMENT_SIGNING_REQUIRED` (True in production): the agency's key and certificate must be configured
(common/signing.py); the self-signed demo certificate is for local settings and tests only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def document_fonts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "REQUIRE_DOCUMENT_FONTS", False):
        return []
    from .pdf import FONT_PACKAGES, font_installed

    found = font_installed("zh")
    if found:
        return []
    why = "fontconfig's fc-list is not installed" if found is None else "fc-list :lang=zh finds none"
    return [
        checks.Error(
            f"No Chinese font is installed ({why}): Chinese documents (agreements, statements, "
            "reports) would be refused.",
            hint=f"Install {FONT_PACKAGES}: apt-get install fontconfig fonts-wqy-zenhei",
            id="fieldledger.E001",
        )
    ]


@checks.register()
def document_signing(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production signs with the agency's own certificate, never the demo one."""
    if not getattr(settings, "DOCUMENT_SIGNING_REQUIRED", False):
        return []
    from pathlib import Path

    problems = []
    for name in ("DOCUMENT_SIGNING_KEY", "DOCUMENT_SIGNING_CERT"):
        value = getattr(settings, name, "")
        if not value:
            problems.append(f"{name} is not set")
        elif not Path(value).is_file():
            problems.append(f"{name} names no file ({value})")
    if not problems:
        return []
    return [
        checks.Error(
            "The agency's signing key and certificate are required to sign agreements and reports: "
            + "; ".join(problems)
            + ".",
            hint="Create them as README.md 'Signed documents' says (openssl), then set "
            "DOCUMENT_SIGNING_KEY and DOCUMENT_SIGNING_CERT to their paths.",
            id="fieldledger.E002",
        )
    ]
