"""WeasyPrint never fetches anything while rendering: only `data:` URLs are read (images the templates
embed, such as signatures); `file:`, `http(s):` and every other scheme are refused, so HTML or CSS that
slipped into a document cannot pull a local file (or a server's answer) into a PDF."""

from __future__ import annotations

import base64
import http.server
import io
import shutil
import subprocess
import threading
import zlib

import pytest
from PIL import Image

from common.pdf import html_to_pdf, url_fetcher

pytestmark = pytest.mark.skipif(shutil.which("pdfimages") is None, reason="needs poppler-utils")

SECRET = "TOP-SECRET-7f3a9c-do-not-leak"


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(out, "PNG")
    return out.getvalue()


def images_in(content: bytes, tmp_path) -> int:  # type: ignore[no-untyped-def]
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return len(listing.stdout.splitlines()[2:])


def attachments_in(content: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    command = ["pdfdetach", "-list", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def all_streams(content: bytes) -> bytes:
    """The PDF with every deflated stream inflated, so that a leaked file's text would show."""
    out = [content]
    for chunk in content.split(b"stream")[1:]:
        body = chunk.split(b"endstream")[0].lstrip(b"\r\n")
        try:
            out.append(zlib.decompress(body))
        except zlib.error:
            continue
    return b"\n".join(out)


@pytest.fixture
def local_files(tmp_path):  # type: ignore[no-untyped-def]
    secret_text = tmp_path / "secret.txt"
    secret_text.write_text(SECRET, encoding="utf-8")
    secret_image = tmp_path / "secret.png"
    secret_image.write_bytes(png("red"))
    secret_css = tmp_path / "secret.css"
    secret_css.write_text(f'body::after {{ content: "{SECRET}"; }}', encoding="utf-8")
    return {"text": secret_text, "image": secret_image, "css": secret_css}


@pytest.fixture
def local_server():  # type: ignore[no-untyped-def]
    """A server on the loopback interface that counts the requests it gets (there must be none)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # type: ignore[no-untyped-def]
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png("blue"))

        def log_message(self, *args):  # type: ignore[no-untyped-def]
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_an_injection_cannot_pull_a_local_file_or_reach_a_server(local_files, local_server, tmp_path):
    base, hits = local_server
    injected = f"""
    <html><head>
      <link rel="stylesheet" href="file://{local_files["css"]}">
      <link rel="attachment" href="file://{local_files["text"]}">
      <style>
        @import url("file://{local_files["css"]}");
        @import url("{base}/style.css");
        body {{ background: url("file://{local_files["image"]}"); }}
        h1 {{ background-image: url("{base}/bg.png"); }}
        @font-face {{ font-family: Leak; src: url("file://{local_files["text"]}"); }}
      </style>
    </head><body>
      <h1>Visit report</h1>
      <img src="file://{local_files["image"]}">
      <img src="{base}/pixel.png">
      <img src="ftp://127.0.0.1/x.png">
      <img src="{local_files["image"]}">
      <object data="file://{local_files["text"]}"></object>
      <embed src="file://{local_files["text"]}">
      <iframe src="file://{local_files["text"]}"></iframe>
      <p>ok</p>
    </body></html>
    """

    pdf = html_to_pdf(injected, filename="x.pdf")

    assert pdf.content.startswith(b"%PDF")
    assert hits == []  # the server was never asked
    assert images_in(pdf.content, tmp_path) == 0
    assert "0 embedded files" in attachments_in(pdf.content, tmp_path)
    assert SECRET.encode() not in all_streams(pdf.content)


def test_data_urls_still_render(tmp_path):
    signature = base64.b64encode(png("black")).decode()

    pdf = html_to_pdf(
        f'<html><body><img src="data:image/png;base64,{signature}"></body></html>', filename="s.pdf"
    )

    assert images_in(pdf.content, tmp_path) == 1


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "http://127.0.0.1/",
        "https://example.com/",
        "ftp://x/",
        "relative.png",
        "//host/x",
    ],
)
def test_the_fetcher_refuses_every_scheme_but_data(url):
    with pytest.raises(ValueError, match="data: URLs only"):
        url_fetcher().fetch(url)
