"""The document policy: one table says, for every kind of document the system hands out, which roles
may download it, in which masking profile, and whether (and why not) it travels in a dossier.

Every download view asks `profile_for()` (or `require_download()`), hands the file out only when a
profile comes back, and calls `record_download()`: an audit event naming who, what (kind and object),
the profile and the SHA-256 of the bytes handed out. Those events are access actions, so they appear
in "who saw what" (the access log). The profiles:

    full     the debtor's document number, phones and addresses in plain text
    masked   those three masked (common.pii); nothing else differs

A document whose stored file holds the debtor's plain personal data (the closing report, uploaded
files, evidence photos) is not handed to a role whose profile is `masked`: the role is refused, or
gets a rendering made for that profile. docs/documents.md is the human-readable copy of this table;
tests/compliance/test_documents.py walks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.errors import PermissionRefused

from . import audit
from .registry import role_reader

FULL = "full"
MASKED = "masked"

SUPERVISOR, AGENT, OFFICER = "supervisor", "field_agent", "compliance_officer"


@dataclass(frozen=True)
class DocumentKind:
    key: str
    label: Any
    action: str  # the audit event a download records
    roles: Mapping[str, str]  # role -> masking profile; a role not listed is refused
    # dossier profile -> why the file is left out of a dossier made in that profile ("" = included)
    dossier: Mapping[str, Any] = field(default_factory=dict)
    refusal: Any = ""


_UPLOAD_LEFT_OUT = _(
    "left out: an uploaded file cannot be masked, and it may show the debtor's document number, "
    "phone or address"
)

KINDS: dict[str, DocumentKind] = {
    k.key: k
    for k in (
        DocumentKind(
            "case_document",
            _("Case document"),
            "case.document_viewed",
            {SUPERVISOR: FULL, AGENT: FULL, OFFICER: FULL},
            {"creditor": _UPLOAD_LEFT_OUT},
        ),
        DocumentKind(
            "evidence",
            _("Visit evidence (photo, recording)"),
            "evidence.viewed",
            {SUPERVISOR: FULL, AGENT: FULL, OFFICER: FULL},
            {"creditor": _UPLOAD_LEFT_OUT},
        ),
        # The preview for staff; agents hand the statement over on site (visit.statement_handed_over),
        # and the copy handed over is kept as evidence.
        DocumentKind(
            "statement",
            _("Debt statement"),
            "visit.statement_generated",
            {SUPERVISOR: MASKED, OFFICER: MASKED},
        ),
        DocumentKind(
            "visit_report",
            _("Visit report"),
            "visit.report_generated",
            {SUPERVISOR: MASKED, AGENT: MASKED, OFFICER: MASKED},
        ),
        DocumentKind(
            "agreement",
            _("Signed agreement"),
            "agreement.pdf_viewed",
            {SUPERVISOR: MASKED, AGENT: MASKED, OFFICER: MASKED},
        ),
        DocumentKind(
            "lawyer_letter",
            _("Lawyer's letter"),
            "escalation.document_downloaded",
            {SUPERVISOR: MASKED, AGENT: MASKED, OFFICER: MASKED},
        ),
        DocumentKind(
            "closing_report",
            _("Closing report"),
            "closure.report_downloaded",
            {SUPERVISOR: FULL, OFFICER: FULL},
            {
                "creditor": _(
                    "left out: the closing report is the regulator's copy with the debtor's full "
                    "personal data; dossier.pdf holds the same sections masked"
                ),
            },
            refusal=_(
                "The closing report holds the debtor's full personal data: the team's supervisor and "
                "compliance officers download it."
            ),
        ),
        DocumentKind(
            "dossier",
            _("Case dossier"),
            "dossier.exported",
            {SUPERVISOR: MASKED, OFFICER: FULL},
        ),
        DocumentKind(
            "audit_export",
            _("Audit export"),
            "audit.export_downloaded",
            {OFFICER: MASKED},
        ),
    )
}

# How a dossier profile masks (registry.PROFILES): the creditor's copy is masked; the regulator's and
# the debtor's own copy (a subject-access request) hold the debtor's data in full.
DOSSIER_MASKING = {"regulator": FULL, "creditor": MASKED, "debtor": FULL}


def kind(key: str) -> DocumentKind:
    return KINDS[key]


def profile_for(user: Any, key: str) -> str | None:
    """The masking profile `user` downloads a document of kind `key` in, or None: refused.

    The caller has already found the object through the visibility policy (a case outside the user's
    scope is a 404 before this is asked)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    roles = role_reader()
    if roles.is_service(user) or user.is_superuser:
        return FULL
    profiles = [KINDS[key].roles[r] for r in roles.roles_of(user) if r in KINDS[key].roles]
    if not profiles:
        return None
    return FULL if FULL in profiles else MASKED


def can_download(user: Any, key: str) -> bool:
    return profile_for(user, key) is not None


def require_download(user: Any, key: str) -> str:
    profile = profile_for(user, key)
    if profile is None:
        document = KINDS[key]
        raise PermissionRefused.because(
            document.refusal
            or _("Your role may not download this document (%(kind)s).") % {"kind": document.label}
        )
    return profile


def dossier_left_out(key: str, dossier_profile: str) -> str:
    """Why a file of kind `key` stays out of a dossier in `dossier_profile` ("" when it goes in)."""
    return str(KINDS[key].dossier.get(dossier_profile, ""))


def record_download(
    *,
    actor: Any,
    key: str,
    profile: str,
    sha256: str,
    case_id: int | None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    data: Mapping[str, Any] | None = None,
) -> None:
    """The download in the audit trail (and so in the access log): who, what, profile, digest.

    `data` adds references (ids, language); never personal data or file names people typed."""
    payload: dict[str, Any] = {**(data or {}), "kind": key, "profile": profile, "sha256": sha256}
    audit.record(
        actor=actor,
        action=KINDS[key].action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        data=payload,
    )


def access_actions() -> list[tuple[str, Any]]:
    """The download actions for the access log (compliance.apps registers those no app registers)."""
    return [(k.action, _("%(kind)s downloaded") % {"kind": k.label}) for k in KINDS.values()]


def file_response(
    *,
    actor: Any,
    key: str,
    handle: Any,
    filename: str,
    sha256: str,
    case_id: int | None,
    obj: Any = None,
    content_type: str = "application/pdf",
    data: Mapping[str, Any] | None = None,
    inline: bool = False,
) -> Any:
    """Ask the policy (PermissionRefused when the role may not have it), record the download, and
    hand the file out: the one way a stored document leaves the system through the web."""
    from django.http import FileResponse

    profile = require_download(actor, key)
    record_download(actor=actor, key=key, profile=profile, sha256=sha256, case_id=case_id, obj=obj, data=data)
    response = FileResponse(handle, content_type=content_type, filename=filename, as_attachment=not inline)
    response["X-Content-SHA256"] = sha256
    response["X-Document-Profile"] = profile
    response["Cache-Control"] = "private, no-store"
    return response
