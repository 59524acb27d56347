"""System checks of what the documents need (`manage.py check`; errors under production settings).

`REQUIRE_DOCUMENT_FONTS` (True in config/settings/production.py): a Chinese font must be installed,
or every Chinese agreement, statement and report would be refused (common/pdf.py)."""

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
