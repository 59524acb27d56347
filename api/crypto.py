"""Webhook secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key derived
from PII_DIGEST_KEY, the deployment's stable data key (its label keeps the two uses apart).

A secret must be read back to sign each delivery, so it cannot be hashed like an API key; encrypting it
keeps a database dump or backup from handing out every creditor's signing secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

_LABEL = b"fieldledger:webhook-secrets:v1"


class SecretUnreadable(Exception):
    """The stored secret does not decrypt with this deployment's key (PII_DIGEST_KEY changed)."""


def _fernet() -> Fernet:
    base = (settings.PII_DIGEST_KEY or settings.SECRET_KEY).encode()
    key = hmac.new(base, _LABEL, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as error:
        raise SecretUnreadable("the webhook secret cannot be decrypted; rotate it in the admin") from error
