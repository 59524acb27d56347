"""The debtor's acknowledgement of the debt, recorded with its evidence.

An acknowledgement restarts the limitation period where the case's rule pack counts it
(`limitation_interrupted_by`: `acknowledgement_written` for a signed letter or a message from the
debtor, `acknowledgement_oral` in person or on the phone; compliance/limitation.py). The evidence is
judged by its content (a PDF, a photo or scan, a call recording) and kept with its SHA-256; the
statement stays on the record and only its digest goes to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case
from common.errors import DomainError, Failure
from common.pii import digest
from common.uploads import digest_upload, safe_name, sniff
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import Acknowledgement, AcknowledgementForm
from ._shared import fail, local_today, lock_case, save
from ._shared import now as _now

EVIDENCE_KINDS = ("document", "photo", "audio")


def _evidence_failures(evidence: UploadedFile | None) -> tuple[list[Failure], Any]:
    if evidence is None:
        return [
            fail(
                "EVIDENCE_REQUIRED",
                _("Attach the evidence: the signed letter, the message, or the call recording."),
                "evidence",
            )
        ], None
    limit = settings.FIELDLEDGER_MAX_UPLOAD_BYTES
    if evidence.size is None or evidence.size > limit:
        return [
            fail(
                "UPLOAD_TOO_LARGE",
                _("The evidence may be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                "evidence",
            )
        ], None
    sniffed = sniff(
        evidence, allowed_kinds=EVIDENCE_KINDS, declared_mime=getattr(evidence, "content_type", "")
    )
    if sniffed is None:
        return [
            fail(
                "UPLOAD_TYPE",
                _("The evidence must be a PDF, a photo (JPEG, PNG) or a sound recording, by its content."),
                "evidence",
            )
        ], None
    return [], sniffed


@refusals_recorded("acknowledgement.record")
@transaction.atomic
def acknowledgement_record(
    *,
    case: Case,
    actor: User,
    form: str,
    acknowledged_at: dt.datetime | None,
    statement: str,
    evidence: UploadedFile | None,
    now: dt.datetime | None = None,
) -> Acknowledgement:
    """Record that the debtor acknowledged the debt, when and how, with the evidence. The time may not
    lie in the future or before the debt fell overdue."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_record_acknowledgement(actor, case))
    statement = (statement or "").strip()
    failures: list[Failure] = []
    if form not in AcknowledgementForm.values:
        failures.append(fail("INVALID_INPUT", _("Choose how the debtor acknowledged the debt."), "form"))
    if acknowledged_at is None:
        failures.append(
            fail("FIELD_REQUIRED", _("Give when the debtor acknowledged the debt."), "acknowledged_at")
        )
    elif acknowledged_at > now + dt.timedelta(minutes=5):
        failures.append(fail("GIVEN_IN_FUTURE", _("The time given lies in the future."), "acknowledged_at"))
    elif local_today(case, acknowledged_at) < case.overdue_since:
        failures.append(
            fail(
                "DATE_INVALID",
                _("The debt fell overdue on %(d)s; an acknowledgement counts from then on.")
                % {"d": case.overdue_since.isoformat()},
                "acknowledged_at",
            )
        )
    if len(statement) < 10:
        failures.append(
            fail(
                "FIELD_REQUIRED",
                _("Write what the debtor said or wrote (at least 10 characters)."),
                "statement",
            )
        )
    evidence_failures, sniffed = _evidence_failures(evidence)
    failures += evidence_failures
    if failures or sniffed is None or evidence is None or acknowledged_at is None:
        raise DomainError(failures)
    sha256, size = digest_upload(evidence)
    if size > settings.FIELDLEDGER_MAX_UPLOAD_BYTES:  # the bytes read, whatever the upload declared
        raise DomainError([fail("UPLOAD_TOO_LARGE", _("The evidence is too large."), "evidence")])
    name = safe_name(evidence.name, sniffed.extension)
    ack = Acknowledgement(
        case=case,
        form=form,
        acknowledged_at=acknowledged_at,
        statement=statement[:2000],
        evidence_name=name,
        evidence_type=sniffed.mime,
        evidence_size=size,
        evidence_sha256=sha256,
        recorded_by=actor,
    )
    ack.evidence.save(name, evidence, save=False)
    ack.full_clean()
    save(ack, actor)
    audit.record(
        actor=actor,
        action="acknowledgement.recorded",
        obj=ack,
        case_id=case.pk,
        data={
            "form": form,
            "at": acknowledged_at,
            "statement_digest": digest(statement, kind="note"),
            "evidence_sha256": sha256,
            "evidence_size": size,
        },
    )
    return ack
