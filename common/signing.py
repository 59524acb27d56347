"""The agency's PAdES signature on the PDFs it issues (pyHanko): agreements, closing reports, visit
reports and audit-export PDFs. Anyone holding the agency's certificate can check who issued a PDF and
that not one byte changed since (`pyhanko sign validate --trust agency.crt file.pdf`, or a PDF reader).

Settings (environment, config/settings/base.py):

    DOCUMENT_SIGNING_KEY         path of the agency's private key (PEM)
    DOCUMENT_SIGNING_CERT        path of its certificate (PEM)
    DOCUMENT_SIGNING_CHAIN       optional: path of intermediate certificates (PEM, one file)
    DOCUMENT_SIGNING_PASSPHRASE  optional: the key's passphrase
    DOCUMENT_TSA_URL             optional: an RFC 3161 time-stamp authority; each signature then
                                 carries its timestamp token
    DOCUMENT_SIGNING_REQUIRED    True in production: a missing key/cert is a system check error
                                 (fieldledger.E002), never a demo certificate

Without a configured key (local settings, tests), a self-signed demo certificate is made once and
kept in var/signing/demo-agency.pem; its subject says "DEMO — not a real agency signature". The
stored SHA-256 of a document is that of the signed file (what is stored and handed out).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

DEMO_SUBJECT = "FieldLedger DEMO agency - not a real agency signature"
FIELD = "AgencySignature"
_lock = threading.Lock()
_cached: dict[str, Any] = {}


@dataclass(frozen=True)
class AgencyCertificate:
    pem: bytes  # the certificate (PEM): the trust root to verify with
    demo: bool
    subject: str


def demo_path() -> Path:
    return Path(settings.BASE_DIR) / "var" / "signing" / "demo-agency.pem"


def is_configured() -> bool:
    return bool(
        getattr(settings, "DOCUMENT_SIGNING_KEY", "") and getattr(settings, "DOCUMENT_SIGNING_CERT", "")
    )


def _make_demo(path: Path) -> None:
    """A self-signed RSA key and certificate, written atomically (a second process keeps the first's)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_SUBJECT),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(settings.AGENCY_NAME)[:64] or "FieldLedger"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs is kept
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _load() -> tuple[Any, AgencyCertificate]:
    """The pyHanko signer and the agency certificate (cached per process)."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder, load_private_key_from_pemder
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    with _lock:
        if "signer" in _cached:
            return _cached["signer"], _cached["cert"]
        if is_configured():
            passphrase = getattr(settings, "DOCUMENT_SIGNING_PASSPHRASE", "") or None
            key = load_private_key_from_pemder(
                settings.DOCUMENT_SIGNING_KEY, passphrase.encode() if passphrase else None
            )
            cert = load_cert_from_pemder(settings.DOCUMENT_SIGNING_CERT)
            chain_path = getattr(settings, "DOCUMENT_SIGNING_CHAIN", "")
            chain = list(load_certs_from_pemder([chain_path])) if chain_path else []
            demo = False
        else:
            path = demo_path()
            if not path.exists():
                _make_demo(path)
            blocks = list(asn1_pem.unarmor(path.read_bytes(), multiple=True))
            from asn1crypto import keys as asn1_keys

            key = asn1_keys.PrivateKeyInfo.load(next(b for t, _h, b in blocks if "PRIVATE KEY" in t))
            cert = asn1_x509.Certificate.load(next(b for t, _h, b in blocks if t == "CERTIFICATE"))
            chain = []
            demo = True
        signer = signers.SimpleSigner(
            signing_cert=cert,
            signing_key=key,
            cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
        )
        agency = AgencyCertificate(
            pem=asn1_pem.armor("CERTIFICATE", cert.dump()),
            demo=demo,
            subject=cert.subject.human_friendly,
        )
        _cached.update(signer=signer, cert=agency)
        return signer, agency


def agency_certificate() -> AgencyCertificate:
    return _load()[1]


def reset() -> None:
    """Forget the loaded key (tests that change the settings)."""
    with _lock:
        _cached.clear()


def sign_pdf(content: bytes, *, reason: str = "") -> bytes:
    """The PDF with the agency's PAdES signature (B-B, or B-T with a timestamp when a TSA is set)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer, agency = _load()
    tsa = getattr(settings, "DOCUMENT_TSA_URL", "")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason
        or ("Issued by the agency (DEMO certificate)" if agency.demo else "Issued by the agency"),
        name=agency.subject[:200],
    )
    timestamper = timestamps.HTTPTimeStamper(tsa, timeout=10) if tsa else None
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    out = signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
    signed: bytes = out.getvalue()
    return signed
