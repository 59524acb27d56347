"""The agency's PAdES signature (common/signing.py): a signed agreement validates with pyHanko's
validator against the agency certificate and stops validating after one byte is changed; the stored
digest is the signed file's; a configured time-stamp authority adds an RFC 3161 token; production
settings refuse to run without the agency's own key and certificate."""

from __future__ import annotations

import hashlib
import io

import pytest
from asn1crypto import pem, x509
from django.test import override_settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from common import checks, signing
from common.pdf import html_to_pdf
from tests.agreements.conftest import (  # noqa: F401 - the agreement fixtures
    active,
    draft,
    owing,
)

pytestmark = pytest.mark.django_db


def agency_root() -> x509.Certificate:
    _type, _headers, der = pem.unarmor(signing.agency_certificate().pem)
    return x509.Certificate.load(der)


def validate(content: bytes):  # type: ignore[no-untyped-def]
    reader = PdfFileReader(io.BytesIO(content))
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[agency_root()]))


def test_a_signed_agreement_validates_and_fails_after_one_changed_byte(active):  # noqa: F811
    content = active.pdf.read()

    status = validate(content)

    assert status.bottom_line
    assert status.intact
    assert status.trusted
    assert status.signing_cert.subject.native["common_name"].startswith("FieldLedger DEMO")
    assert active.pdf_sha256 == hashlib.sha256(content).hexdigest()  # the signed file is what is stored

    start = content.index(b"stream", content.index(b"/Type /Page")) + 20
    tampered = content[:start] + bytes([content[start] ^ 0x01]) + content[start + 1 :]
    try:
        broken = validate(tampered)
    except Exception:
        broken = None
    assert broken is None or not broken.bottom_line
    assert broken is None or not broken.intact


def test_a_configured_time_stamp_authority_adds_an_rfc3161_token(monkeypatch):
    from pyhanko.sign import timestamps
    from pyhanko.sign.signers import SimpleSigner

    signer, _cert = signing._load()
    asked = []

    def dummy(url: str, timeout: int = 10):  # type: ignore[no-untyped-def]
        asked.append(url)
        assert isinstance(signer, SimpleSigner)
        return timestamps.DummyTimeStamper(tsa_cert=signer.signing_cert, tsa_key=signer.signing_key)

    monkeypatch.setattr(timestamps, "HTTPTimeStamper", dummy)
    with override_settings(DOCUMENT_TSA_URL="http://tsa.example.test/"):
        content = html_to_pdf("<p>Closing report</p>", filename="r.pdf", sign=True).content

    reader = PdfFileReader(io.BytesIO(content))
    (signature,) = reader.embedded_signatures
    assert asked == ["http://tsa.example.test/"]
    unsigned = [a["type"].native for a in signature.signer_info["unsigned_attrs"]]
    assert "signature_time_stamp_token" in unsigned


def test_production_refuses_to_run_without_the_agencys_key(tmp_path):
    with override_settings(DOCUMENT_SIGNING_REQUIRED=True, DOCUMENT_SIGNING_KEY="", DOCUMENT_SIGNING_CERT=""):
        missing = checks.document_signing()
    key, cert = tmp_path / "agency.key", tmp_path / "agency.crt"
    key.write_text("k")
    cert.write_text("c")
    with override_settings(
        DOCUMENT_SIGNING_REQUIRED=True, DOCUMENT_SIGNING_KEY=str(key), DOCUMENT_SIGNING_CERT=str(cert)
    ):
        present = checks.document_signing()

    assert [e.id for e in missing] == ["fieldledger.E002"]
    assert "DOCUMENT_SIGNING_KEY" in missing[0].msg
    assert present == []


def test_a_configured_key_and_certificate_sign_instead_of_the_demo(tmp_path):
    import datetime as dt

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Agency Test Signing")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "a.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "a.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signing.reset()
    try:
        with override_settings(
            DOCUMENT_SIGNING_KEY=str(tmp_path / "a.key"), DOCUMENT_SIGNING_CERT=str(tmp_path / "a.crt")
        ):
            content = html_to_pdf("<p>Agreement</p>", filename="a.pdf", sign=True).content
            status = validate(content)
            demo = signing.agency_certificate().demo
    finally:
        signing.reset()

    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "Agency Test Signing"
    assert demo is False
