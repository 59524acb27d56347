"""Personal data helpers: keyed digests for matching/search, and masking for display.

Digests are HMAC-SHA256 with settings.PII_DIGEST_KEY, so a leaked digest column cannot be reversed
by hashing every possible phone number. Audit payloads and logs carry only these digests.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"[^\d+]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def digest(value: str, *, kind: str) -> str:
    """Keyed digest of a normalized value; `kind` separates namespaces (id numbers vs phones)."""
    key = (settings.PII_DIGEST_KEY or settings.SECRET_KEY).encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def id_digest(id_type: str, id_number: str) -> str:
    return digest(id_number.strip().upper(), kind=f"id:{id_type}")


def phone_digest(phone: str) -> str:
    return digest(normalize_phone(phone), kind="phone")


def mask_middle(value: str, *, keep_start: int, keep_end: int, char: str = "*") -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return char * len(value)
    return value[:keep_start] + char * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """`110105199001011234` → `110105********1234`."""
    return mask_middle(value, keep_start=6, keep_end=4)


def mask_phone(value: str) -> str:
    """`13800138000` → `138****8000`."""
    return mask_middle(normalize_phone(value), keep_start=3, keep_end=4)


def mask_address(value: str) -> str:
    """Keep the first few characters (city/district level), hide the street and number."""
    if not value:
        return ""
    keep = 6 if any("\u4e00" <= ch <= "\u9fff" for ch in value) else 10
    return value[:keep] + "…" if len(value) > keep else "…"
