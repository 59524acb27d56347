"""Evidence of a visit (photos, recordings, the statement handed over) and the visit report.

Uploads are judged by their content (common/uploads.py), limited in size per kind, hashed (SHA-256) as
they are read and stored through Django's storage (local disk by default, S3-compatible by settings);
a file whose digest matches any earlier evidence is stored but flagged as a duplicate. Every download of
evidence and every report generated is an audit event (who saw what).
"""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError, Failure
from common.pdf import RenderedPdf, render_pdf
from common.uploads import digest_upload, safe_name, size_failure, sniff
from compliance import audit, documents
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import Evidence, EvidenceKind, VisitLog, VisitState
from ..models import Visit as VisitModel
from ..selectors import debt_statement, report_context
from .onsite import SOURCE_ONSITE, _draft, _key, _refuse, _replayed, _require_state, _save
from .planning import _lock_case, _lock_visit

KIND_LABELS = {"photo": _("Photo"), "audio": _("Audio"), "video": _("Video")}


def _limits() -> dict[str, int]:
    return {
        "photo": settings.EVIDENCE_MAX_PHOTO_BYTES,
        "audio": settings.EVIDENCE_MAX_AUDIO_BYTES,
        "video": settings.EVIDENCE_MAX_VIDEO_BYTES,
    }


@refusals_recorded("evidence.add", object_type="visits.visit")
@transaction.atomic
def evidence_add(
    *,
    visit: VisitModel,
    actor: User,
    idempotency_key: str,
    upload: UploadedFile,
    caption: str = "",
    now: dt.datetime | None = None,
) -> Evidence:
    """Store a photo or recording of the visit with its SHA-256; flag a file seen before as a duplicate."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    visit = _lock_visit(visit)
    policies.require(policies.can_add_evidence(actor, visit))
    replay = _replayed(Evidence, key, visit=visit, actor=actor)
    if replay is not None:
        return replay
    _require_state(visit, *policies.EVIDENCE_STATES, action=_("Adding evidence"))
    sniffed = sniff(
        upload, allowed_kinds=("photo", "audio", "video"), declared_mime=upload.content_type or ""
    )
    if sniffed is None:
        raise DomainError(
            [
                Failure(
                    "UPLOAD_TYPE",
                    _(
                        "Only photos (JPEG, PNG, WebP, HEIC), audio (MP3, M4A, AAC, AMR, OGG, WAV) and video "
                        "(MP4, MOV, 3GP, WebM) are accepted, judged by the file's content."
                    ),
                    SOURCE_ONSITE,
                    "file",
                )
            ]
        )
    sha256, size = digest_upload(upload)
    failure = size_failure(size, _limits()[sniffed.kind], "file", KIND_LABELS[sniffed.kind])
    if failure is not None:
        raise DomainError([failure])
    log = VisitLog.objects.filter(visit=visit).order_by("-version").first()
    if sniffed.kind in ("audio", "video") and log is not None and log.recording_consent is False:
        raise _refuse(
            "RECORDING_CONSENT",
            _("The person met did not consent to recording: no audio or video of this visit is kept."),
            "file",
        )
    duplicate = Evidence.objects.filter(sha256=sha256).order_by("pk").first()
    evidence = Evidence(
        visit=visit,
        kind=sniffed.kind,
        original_name=safe_name(upload.name, sniffed.extension),
        content_type=sniffed.mime,
        size=size,
        sha256=sha256,
        duplicate_of=duplicate,
        caption=(caption or "").strip()[:200],
        uploaded_by=actor,
        uploaded_at=now,
        idempotency_key=key,
    )
    evidence.file.save(evidence.original_name, upload, save=False)
    _save(evidence, actor)
    audit.record(
        actor=actor,
        action="evidence.added",
        obj=evidence,
        case_id=visit.case_id,
        data={
            "visit": visit.pk,
            "kind": evidence.kind,
            "content_type": evidence.content_type,
            "size": size,
            "sha256": sha256,
            "duplicate_of": duplicate.pk if duplicate else None,
        },
    )
    return evidence


@transaction.atomic
def evidence_open(*, evidence: Evidence, actor: User) -> IO[bytes]:
    """Open a stored evidence file for someone who may see the visit; the access is recorded."""
    policies.require(policies.can_view(actor, evidence.visit))
    documents.record_download(
        actor=actor,
        key="evidence",
        profile=documents.require_download(actor, "evidence"),
        sha256=evidence.sha256,
        case_id=evidence.visit.case_id,
        obj=evidence,
        data={"visit": evidence.visit_id},
    )
    return evidence.file.open("rb")


# --- the debt statement handed over ----------------------------------------------------------------


def _statement_pdf(visit: VisitModel, *, language: str, now: dt.datetime) -> RenderedPdf:
    from zoneinfo import ZoneInfo

    as_of = now.astimezone(ZoneInfo(visit.time_zone)).date()
    return render_pdf(
        template="visits/pdf/statement.html",
        context={"statement": debt_statement(visit.case, as_of=as_of), "visit": visit, "generated_at": now},
        filename=f"statement-{visit.case.external_ref}-{as_of:%Y%m%d}.pdf",
        language=language,
    )


@refusals_recorded("visit.statement_hand_over", object_type="visits.visit")
@transaction.atomic
def statement_hand_over(
    *, visit: VisitModel, actor: User, idempotency_key: str, language: str, now: dt.datetime | None = None
) -> Evidence:
    """Generate the debt statement as a PDF for the debtor (their right to know), keep it as evidence of
    exactly what was handed over, and mark the statement as shown in the log."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    visit = _lock_visit(visit)
    _lock_case(visit.case)
    policies.require(policies.can_fill_log(actor, visit))
    replay = _replayed(Evidence, key, visit=visit, actor=actor)
    if replay is not None:
        return replay
    _require_state(visit, VisitState.ON_SITE, action=_("Handing over the statement"))
    log = _draft(visit)
    if not (log.checks_confirmed and log.identity_verified):
        raise _refuse(
            "IDENTITY_BEFORE_DISCLOSURE",
            _(
                "The statement is given only to the debtor, once identified and after the credentials were shown."
            ),
            "statement",
        )
    pdf = _statement_pdf(visit, language=language, now=now)
    evidence = Evidence(
        visit=visit,
        kind=EvidenceKind.STATEMENT,
        original_name=pdf.filename,
        content_type="application/pdf",
        size=len(pdf.content),
        sha256=pdf.sha256,
        uploaded_by=actor,
        uploaded_at=now,
        idempotency_key=key,
    )
    evidence.file.save(pdf.filename, ContentFile(pdf.content), save=False)
    _save(evidence, actor)
    log.statement_shown = True
    _save(log, actor)
    audit.record(
        actor=actor,
        action="visit.statement_handed_over",
        obj=evidence,
        case_id=visit.case_id,
        data={"visit": visit.pk, "sha256": pdf.sha256, "language": language, "size": len(pdf.content)},
    )
    return evidence


def statement_preview_pdf(
    *, visit: VisitModel, actor: User, language: str, now: dt.datetime | None = None
) -> RenderedPdf:
    """The statement as a PDF for whoever may see the visit (supervisors, compliance), recorded."""
    policies.require(policies.can_view_statement(actor, visit))
    now = now or timezone.now()
    profile = documents.require_download(actor, "statement")
    pdf = _statement_pdf(visit, language=language, now=now)
    documents.record_download(
        actor=actor,
        key="statement",
        profile=profile,
        sha256=pdf.sha256,
        case_id=visit.case_id,
        obj=visit,
        data={"visit": visit.pk, "language": language},
    )
    return pdf


# --- the visit report ------------------------------------------------------------------------------

REPORT_STATES = (
    VisitState.ON_SITE,
    VisitState.COMPLETED,
    VisitState.CORRECTION,
    VisitState.ACCEPTED,
    VisitState.ABORTED,
)


@transaction.atomic
def visit_report(
    *, visit: VisitModel, actor: User, language: str, now: dt.datetime | None = None
) -> RenderedPdf:
    """The visit report as a PDF: everything recorded on site, the decision trace and the audit hash of
    the visit's last event (so the report can be matched to the chain). Its generation is recorded."""
    now = now or timezone.now()
    policies.require(policies.can_view(actor, visit))
    if visit.state not in REPORT_STATES:
        raise _refuse("WRONG_STATE", _("A visit report exists once the agents are on site."), "state")
    profile = documents.require_download(actor, "visit_report")
    context: dict[str, Any] = report_context(visit, user=actor)
    context["generated_at"] = now
    context["generated_by"] = actor
    pdf = render_pdf(
        template="visits/pdf/report.html",
        context=context,
        filename=f"visit-{visit.pk}-report.pdf",
        language=language,
        sign=True,
    )
    last = context.get("last_event")
    documents.record_download(
        actor=actor,
        key="visit_report",
        profile=profile,
        sha256=pdf.sha256,
        case_id=visit.case_id,
        obj=visit,
        data={
            "visit": visit.pk,
            "language": language,
            "last_event": [last.seq, last.hash] if last else None,
        },
    )
    return pdf
