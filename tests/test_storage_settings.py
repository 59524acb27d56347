"""Uploads and evidence can live on S3-compatible storage by settings alone, private and encrypted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

pytest.importorskip("storages", reason="the s3 extra (django-storages) is not installed")

PROBE = (
    'from django.core.files.storage import storages; s = storages["default"]; '
    "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.default_acl, s.querystring_auth, "
    "s.file_overwrite, s.object_parameters['ServerSideEncryption'], s.location)"
)


def test_the_s3_backend_is_configured_from_the_environment(tmp_path):
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        MEDIA_STORAGE="storages.backends.s3.S3Storage",
        S3_BUCKET="fieldledger-evidence",
        S3_ENDPOINT_URL="https://minio.example.test:9000",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
        S3_PREFIX="prod",
    )

    probe = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split()[-8:] == [
        "S3Storage",
        "fieldledger-evidence",
        "https://minio.example.test:9000",
        "None",  # no ACL: objects are private
        "True",  # any URL the storage would make is signed and expiring
        "False",  # never overwrite evidence with the same name
        "AES256",
        "prod",
    ]
