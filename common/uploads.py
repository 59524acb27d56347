"""Uploads judged by their content, never by their name: type sniffing, size limits, SHA-256.

The type comes from the file's leading bytes (puremagic: a maintained, pure-Python magic-number
database, so no libmagic is needed on the server); images are also opened with Pillow, which refuses a
file that only starts like an image. The digest is computed over the chunks as they are read, so a large
recording never sits in memory whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .errors import Failure

# What may be uploaded, by sniffed MIME type → (kind, extension stored).
MEDIA_TYPES: dict[str, tuple[str, str]] = {
    "image/jpeg": ("photo", ".jpg"),
    "image/png": ("photo", ".png"),
    "image/webp": ("photo", ".webp"),
    "image/heic": ("photo", ".heic"),
    "audio/mpeg": ("audio", ".mp3"),
    "audio/mp4": ("audio", ".m4a"),
    "audio/aac": ("audio", ".aac"),
    "audio/amr": ("audio", ".amr"),
    "audio/ogg": ("audio", ".ogg"),
    "audio/wav": ("audio", ".wav"),
    "audio/webm": ("audio", ".webm"),
    "audio/3gpp": ("audio", ".3gp"),
    "video/mp4": ("video", ".mp4"),
    "video/quicktime": ("video", ".mov"),
    "video/3gpp": ("video", ".3gp"),
    "video/webm": ("video", ".webm"),
    "application/pdf": ("document", ".pdf"),
}
# Containers whose sniffed type is ambiguous between audio and video, resolved by what was declared.
_AUDIO_OR_VIDEO = {"video/mp4": "audio/mp4", "video/webm": "audio/webm", "video/3gpp": "audio/3gpp"}
# puremagic's other names for the same types, and its matches that carry only an extension.
_ALIASES = {
    "image/heif": "image/heic",
    "audio/wave": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "application/ogg": "audio/ogg",
}
_BY_EXTENSION = {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".amr": "audio/amr", ".heic": "image/heic"}
_VERIFIABLE_IMAGES = {"image/jpeg", "image/png", "image/webp"}
HEAD_BYTES = 8192


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: str
    extension: str


def _candidates(head: bytes) -> list[str]:
    """Sniffed MIME types, most confident first (puremagic, normalized to the names above)."""
    import puremagic

    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return []
    found = []
    for match in sorted(matches, key=lambda m: -m.confidence):
        mime = match.mime_type or _BY_EXTENSION.get((match.extension or "").lower(), "")
        if mime:
            found.append(_ALIASES.get(mime, mime))
    return found


def sniff(upload: UploadedFile, *, allowed_kinds: tuple[str, ...], declared_mime: str = "") -> Sniffed | None:
    """The upload's type by its content, if it is one of `allowed_kinds`; None otherwise."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    found: Sniffed | None = None
    for mime in _candidates(head):
        if mime in _AUDIO_OR_VIDEO and (declared_mime or "").startswith("audio/"):
            mime = _AUDIO_OR_VIDEO[mime]
        if mime in MEDIA_TYPES:
            kind, extension = MEDIA_TYPES[mime]
            if kind in allowed_kinds:
                found = Sniffed(mime, kind, extension)
                break
    if found is None and head.startswith(b"#!AMR") and "audio" in allowed_kinds:
        found = Sniffed("audio/amr", "audio", ".amr")  # Android call/voice recorders
    if found is not None and found.mime in _VERIFIABLE_IMAGES and not _image_opens(upload):
        return None
    return found


def _image_opens(upload: UploadedFile) -> bool:
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
    except Exception:  # Pillow raises many types for broken files; any of them means "not an image"
        return False
    finally:
        upload.seek(0)
    return True


def digest_upload(upload: UploadedFile) -> tuple[str, int]:
    """(SHA-256 hex, size in bytes), reading the upload chunk by chunk."""
    sha, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        sha.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return sha.hexdigest(), size


def safe_name(name: str | None, extension: str) -> str:
    """The original file name, without folders, shortened, with the extension of its real type."""
    base = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in stem).strip() or "file"
    return f"{stem[:80]}{extension}"


def size_failure(size: int, limit: int, field: str, kind_label: Any) -> Failure | None:
    if size <= limit:
        return None
    return Failure(
        "UPLOAD_TOO_LARGE",
        _("%(kind)s files may be at most %(mb)d MB (this one is %(size)s MB).")
        % {"kind": kind_label, "mb": limit // (1024 * 1024), "size": f"{size / (1024 * 1024):.1f}"},
        "",
        field,
    )
