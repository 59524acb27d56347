"""The shared PDF renderer embeds a CJK font for Chinese (checked with pdffonts, not extracted text)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from django.template import Context, Template

from common.pdf import html_to_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils (pdffonts)")


def embedded_fonts(content: bytes, tmp_path) -> list[str]:  # type: ignore[no-untyped-def]
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)  # noqa: S603, S607
    # Lines after the two header lines: name type encoding emb sub uni object ID
    return [line for line in out.stdout.splitlines()[2:] if line.strip()]


def test_chinese_text_embeds_a_cjk_font(tmp_path):
    html = Template(
        '{% extends "pdf/base.html" %}{% block body %}<h1>上门催收 报告</h1><p>债务人 张三</p>{% endblock %}'
    ).render(Context({}))

    pdf = html_to_pdf(html, filename="s.pdf")

    assert pdf.content.startswith(b"%PDF")
    assert pdf.sha256 == hashlib.sha256(pdf.content).hexdigest()
    fonts = embedded_fonts(pdf.content, tmp_path)
    cjk = [f for f in fonts if any(n in f for n in ("WenQuanYi", "NotoSansCJK", "NotoSansSC", "SourceHan"))]
    assert cjk, f"no CJK font embedded: {fonts}"
    assert all(" yes " in f for f in cjk), f"CJK font present but not embedded: {cjk}"
