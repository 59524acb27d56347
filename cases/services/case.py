"""Per-case services: each checks the policy and the rules, writes, and appends its audit event in one
transaction. A refusal is raised as `DomainError` and recorded as its own `<action>.refused` event.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Role, User
from common.errors import SOURCE_ROLES, DomainError, Failure, PermissionRefused
from common.pii import digest
from common.uploads import Sniffed, digest_upload, safe_name, sniff
from compliance import audit
from compliance.refusals import refusals_recorded
from compliance.rules import check_verification

from .. import policies, selectors, visibility, zones
from ..models import (
    Case,
    CaseAssessment,
    CaseAssignment,
    CaseDocument,
    DebtorAddress,
    DocumentKind,
    FactSource,
    Level,
    Stage,
    TimeZoneSource,
    VerificationStatus,
)
from .stage import case_stage_move

CASE_OBJECT_PERMS = ("view_case", "change_case")
# Case documents (contracts, ID copies, scans) by their sniffed type.
DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def sniff_document(upload: UploadedFile) -> Sniffed | None:
    """A PDF, PNG or JPEG by its content: images must open in Pillow, a PDF must carry its header and
    its end-of-file marker (a text file that merely starts with "%PDF" is not one)."""
    sniffed = sniff(upload, allowed_kinds=("document", "photo"))
    if sniffed is None or sniffed.mime not in DOCUMENT_TYPES:
        return None
    if sniffed.mime == "application/pdf" and not _looks_like_pdf(upload):
        return None
    return sniffed


def _looks_like_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(16)
    size = upload.size or 0
    upload.seek(max(0, size - 2048))
    tail = upload.read(2048)
    upload.seek(0)
    return bool(re.match(rb"%PDF-[12]\.\d", head)) and b"%%EOF" in tail


def _document_too_large(max_bytes: int) -> Failure:
    return Failure(
        "UPLOAD_TOO_LARGE",
        _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
        "",
        "file",
    )


def _lock(case: Case, related: tuple[str, ...] = ("debtor", "mandate", "creditor", "team")) -> Case:
    # of=("self",): lock the case row only; PostgreSQL refuses FOR UPDATE on the nullable (outer-joined)
    # mandate and team. `related`: a service that reads fewer relations joins fewer (case_verify).
    return Case.objects.select_for_update(of=("self",)).select_related(*related).get(pk=case.pk)


def _now() -> dt.datetime:
    return timezone.now()


# --- access --------------------------------------------------------------------------------------


def grant_case_access(case: Case) -> None:
    """Kept for callers: the team's supervisors and the assigned agents see and work a case by its
    scopes (cases.visibility), so nothing is granted any more. Forgets what the request read about the
    agents' access to it."""
    visibility.forget(*case.assigned_agents.all())


@refusals_recorded("case.agents_assigned")
@transaction.atomic
def case_assign_agents(*, case: Case, agents: Iterable[User], actor: User) -> Case:
    case = _lock(case)
    policies.require(policies.can_assign(actor, case))
    wanted = {a.pk: a for a in agents}
    failures = []
    for agent in wanted.values():
        agent_roles = set(agent.groups.values_list("name", flat=True))
        if not agent.is_active or Role.FIELD_AGENT not in agent_roles:
            failures.append(
                Failure(
                    "AGENT_NOT_FIELD_AGENT",
                    _("%(name)s is not an active field agent.") % {"name": agent.display_name},
                    SOURCE_ROLES,
                    "agents",
                )
            )
        elif case.team_id and agent.team_id != case.team_id:
            failures.append(
                Failure(
                    "AGENT_OTHER_TEAM",
                    _("%(name)s is not in this case's team.") % {"name": agent.display_name},
                    SOURCE_ROLES,
                    "agents",
                )
            )
    if failures:
        raise DomainError(failures)
    current = {a.agent_id: a for a in case.assignments.all()}
    if set(current) == set(wanted):
        return case  # nothing changed: nothing written, nothing recorded (the view says so)
    now = _now()
    for agent_id, assignment in current.items():
        if agent_id not in wanted:
            visibility.forget(assignment.agent)
            assignment._history_user = actor
            assignment.delete()
    for agent_id, agent in wanted.items():
        if agent_id not in current:
            assignment = CaseAssignment(case=case, agent=agent, assigned_at=now, assigned_by=actor)
            assignment._history_user = actor
            assignment.save()
            # The assignment is the agent's access (cases.visibility): no object permission is written.
            visibility.forget(agent)
    audit.record(
        actor=actor,
        action="case.agents_assigned",
        obj=case,
        case_id=case.pk,
        data={"agents": sorted(wanted), "previous": sorted(current)},
    )
    return case


SHARE_CODENAMES = ("view_case", "change_case")


def _share_target(user: User | None, team: Any) -> Any:
    if (user is None) == (team is None):
        raise DomainError(
            [Failure("SHARE_TARGET", _("Share the case with one named user or one team."), "", "user")]
        )
    return user if user is not None else team.supervisors_group


@refusals_recorded("case.shared")
@transaction.atomic
def case_share(
    *, case: Case, actor: User, user: User | None = None, team: Any = None, change: bool = False
) -> Case:
    """An explicit exception to the scopes (cover for an absent agent, an investigation): the case
    shared with a named user or with another team's supervisors, read-only unless `change`. Stored as
    django-guardian object permissions, read by their indexed (user|group, permission, object) pair."""
    case = _lock(case)
    policies.require(policies.can_share(actor, case))
    target = _share_target(user, team)
    codenames = SHARE_CODENAMES if change else SHARE_CODENAMES[:1]
    for codename in codenames:
        assign_perm(codename, target, case)
    visibility.forget(user)
    audit.record(
        actor=actor,
        action="case.shared",
        obj=case,
        case_id=case.pk,
        data={
            "user": user.pk if user is not None else None,
            "team": team.pk if team is not None else None,
            "perms": list(codenames),
        },
    )
    return case


@refusals_recorded("case.unshared")
@transaction.atomic
def case_unshare(*, case: Case, actor: User, user: User | None = None, team: Any = None) -> Case:
    """Withdraw an explicit share (both codenames); the scopes are untouched."""
    case = _lock(case)
    policies.require(policies.can_share(actor, case))
    target = _share_target(user, team)
    for codename in SHARE_CODENAMES:
        remove_perm(codename, target, case)
    visibility.forget(user)
    audit.record(
        actor=actor,
        action="case.unshared",
        obj=case,
        case_id=case.pk,
        data={"user": user.pk if user is not None else None, "team": team.pk if team is not None else None},
    )
    return case


# --- stage 1 facts -------------------------------------------------------------------------------


@refusals_recorded("debtor.identity_checked")
@transaction.atomic
def identity_check_record(*, case: Case, actor: User, method: str) -> Case:
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    method = (method or "").strip()
    if not method:
        raise DomainError(
            [Failure("FIELD_REQUIRED", _("Say how the identity document was checked."), "", "method")]
        )
    debtor = case.debtor
    debtor.identity_checked_at = _now()
    debtor.identity_checked_by = actor
    debtor.identity_check_source = method[:200]
    debtor._history_user = actor
    debtor.full_clean()
    debtor.save()
    audit.record(
        actor=actor,
        action="debtor.identity_checked",
        obj=debtor,
        case_id=case.pk,
        data={"method_digest": digest(method, kind="note")},
    )
    return case


def _unverify_debtor_cases(*, debtor_id: int, actor: User, reason: str, trigger: str) -> list[int]:
    """A verified fact was invalidated: every verified case of the debtor returns to `new`."""
    moved = []
    for case in Case.objects.select_for_update().filter(debtor_id=debtor_id, stage=Stage.VERIFIED):
        move = case_stage_move(case=case, transition="unverify", actor=actor, at=_now())
        audit.record(
            actor=actor,
            action="case.unverified",
            obj=case,
            case_id=case.pk,
            data={
                **move,
                "trigger": trigger,
                "reason_digest": digest(reason, kind="note"),
            },
        )
        moved.append(case.pk)
    return moved


@refusals_recorded("debtor.identity_check_revoked")
@transaction.atomic
def identity_check_revoke(*, case: Case, actor: User, reason: str) -> Case:
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    if not reason.strip():
        raise DomainError(
            [Failure("FIELD_REQUIRED", _("Give the reason the identity check is withdrawn."), "", "reason")]
        )
    debtor = case.debtor
    debtor.identity_checked_at = None
    debtor.identity_checked_by = None
    debtor.identity_check_source = ""
    debtor._history_user = actor
    debtor.save()
    audit.record(
        actor=actor,
        action="debtor.identity_check_revoked",
        obj=debtor,
        case_id=case.pk,
        data={"reason_digest": digest(reason, kind="note")},
    )
    _unverify_debtor_cases(debtor_id=debtor.pk, actor=actor, reason=reason, trigger="identity_check_revoked")
    case.refresh_from_db()
    return case


@refusals_recorded("debtor.address_added")
@transaction.atomic
def address_add(
    *,
    case: Case,
    actor: User,
    kind: str,
    text: str,
    time_zone: str,
    source: str,
    note: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> DebtorAddress:
    """Add an address; its coordinates (both or neither) let check-in show the agents' distance to it.
    Its time zone is the one picked, or (none picked) the one derived from the coordinates."""
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    if (latitude is None) != (longitude is None):
        raise DomainError(
            [Failure("INVALID_INPUT", _("Give both latitude and longitude, or neither."), "", "latitude")]
        )
    zone_source = TimeZoneSource.AGENT
    if not time_zone:
        time_zone = _zone_from(latitude, longitude)
        zone_source = TimeZoneSource.COORDINATES
    address = DebtorAddress(
        debtor=case.debtor,
        kind=kind,
        text=text.strip(),
        time_zone=time_zone,
        time_zone_source=zone_source,
        source=source,
        note=note.strip(),
        latitude=latitude,
        longitude=longitude,
    )
    _full_clean(address)
    address._history_user = actor
    address.save()
    audit.record(
        actor=actor,
        action="debtor.address_added",
        obj=address,
        case_id=case.pk,
        data={
            "kind": kind,
            "source": source,
            "address_digest": digest(address.text, kind="address"),
            "coordinates": latitude is not None,
        },
    )
    return address


def _full_clean(obj: Any) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean()
    except ValidationError as error:
        raise DomainError(
            [
                Failure("INVALID_INPUT", "; ".join(str(m) for m in messages), "", field_name)
                for field_name, messages in error.message_dict.items()
            ]
        ) from error


def _address_of(case: Case, address_id: int) -> DebtorAddress:
    address = (
        DebtorAddress.objects.select_for_update().filter(debtor_id=case.debtor_id, pk=address_id).first()
    )
    if address is None:
        raise DomainError(
            [Failure("NOT_FOUND", _("That address does not belong to this debtor."), "", "address")]
        )
    return address


def _zone_from(latitude: Decimal | None, longitude: Decimal | None) -> str:
    if latitude is None or longitude is None:
        raise DomainError(
            [
                Failure(
                    "FIELD_REQUIRED",
                    _("Choose the time zone, or give the coordinates to derive it from."),
                    "",
                    "time_zone",
                )
            ]
        )
    zone = zones.zone_from_coordinates(latitude, longitude)
    if zone is None:
        raise DomainError(
            [
                Failure(
                    "INVALID_INPUT",
                    _("No time zone is known at these coordinates: choose it."),
                    "",
                    "time_zone",
                )
            ]
        )
    return zone


@refusals_recorded("debtor.address_time_zone_set")
@transaction.atomic
def address_time_zone_set(
    *, case: Case, address_id: int, actor: User, time_zone: str = "", source: str
) -> DebtorAddress:
    """Correct an address's time zone: picked by the user (`source` "agent", `time_zone` named) or
    derived again from its coordinates (`source` "coordinates"). Every check then uses the new zone."""
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    address = _address_of(case, address_id)
    if source == TimeZoneSource.COORDINATES:
        new = _zone_from(address.latitude, address.longitude)
    elif source == TimeZoneSource.AGENT:
        if time_zone not in zoneinfo.available_timezones():
            raise DomainError(
                [Failure("INVALID_INPUT", _("Choose a time zone from the list."), "", "time_zone")]
            )
        new = time_zone
    else:
        raise DomainError([Failure("FIELD_REQUIRED", _("Say where the time zone comes from."), "", "source")])
    old = address.time_zone
    address.time_zone, address.time_zone_source = new, source
    address._history_user = actor
    address.save()
    audit.record(
        actor=actor,
        action="debtor.address_time_zone_set",
        obj=address,
        case_id=case.pk,
        data={"from": old, "to": new, "source": source},
    )
    return address


@refusals_recorded("debtor.address_verified")
@transaction.atomic
def address_verify(*, case: Case, address_id: int, actor: User, source: str) -> DebtorAddress:
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    if source not in FactSource.values:
        raise DomainError(
            [Failure("FIELD_REQUIRED", _("Say where the address was verified from."), "", "source")]
        )
    address = _address_of(case, address_id)
    address.status = VerificationStatus.VERIFIED
    address.source = source
    address.verified_at = _now()
    address.verified_by = actor
    address._history_user = actor
    address.save()
    audit.record(
        actor=actor,
        action="debtor.address_verified",
        obj=address,
        case_id=case.pk,
        data={"source": source, "kind": address.kind},
    )
    return address


@refusals_recorded("debtor.address_invalidated")
@transaction.atomic
def address_invalidate(*, case: Case, address_id: int, actor: User, reason: str) -> DebtorAddress:
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    if not reason.strip():
        raise DomainError(
            [Failure("FIELD_REQUIRED", _("Give the reason the address is invalid."), "", "reason")]
        )
    address = _address_of(case, address_id)
    was_verified = address.status == VerificationStatus.VERIFIED
    address.status = VerificationStatus.INVALID
    address.note = reason.strip()[:400]
    address._history_user = actor
    address.save()
    audit.record(
        actor=actor,
        action="debtor.address_invalidated",
        obj=address,
        case_id=case.pk,
        data={"was_verified": was_verified, "reason_digest": digest(reason, kind="note")},
    )
    still_verified = DebtorAddress.objects.filter(
        debtor_id=case.debtor_id, status=VerificationStatus.VERIFIED
    )
    if was_verified and not still_verified.exists():
        _unverify_debtor_cases(
            debtor_id=case.debtor_id, actor=actor, reason=reason, trigger="address_invalidated"
        )
    return address


@refusals_recorded("case.document_added")
@transaction.atomic
def document_add(*, case: Case, actor: User, kind: str, upload: UploadedFile) -> CaseDocument:
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    failures = []
    if kind not in DocumentKind.values:
        failures.append(Failure("INVALID_INPUT", _("Choose the kind of document."), "", "kind"))
    max_bytes = settings.FIELDLEDGER_MAX_UPLOAD_BYTES
    # Judged by the content (common/uploads.py, as visit evidence): the name only gives the stored file
    # its stem; its extension is the real type's. The declared size is checked before anything is read.
    too_large = upload.size is None or upload.size > max_bytes
    if too_large:
        failures.append(_document_too_large(max_bytes))
    sniffed = None if too_large else sniff_document(upload)
    if not too_large and sniffed is None:
        failures.append(
            Failure(
                "UPLOAD_TYPE", _("Only PDF, PNG and JPEG files are accepted, by their content."), "", "file"
            )
        )
    if failures or sniffed is None:
        raise DomainError(failures)
    sha256, size = digest_upload(upload)
    if size > max_bytes:  # the bytes read, whatever the upload declared
        raise DomainError([_document_too_large(max_bytes)])
    name = safe_name(upload.name, sniffed.extension)
    document = CaseDocument(
        case=case,
        kind=kind,
        original_name=name,
        content_type=sniffed.mime,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    document.file.save(name, upload, save=False)
    document._history_user = actor
    document.save()
    audit.record(
        actor=actor,
        action="case.document_added",
        obj=document,
        case_id=case.pk,
        data={"kind": kind, "sha256": document.sha256, "size": document.size},
    )
    return document


@refusals_recorded("case.assessment_recorded")
@transaction.atomic
def assessment_record(
    *, case: Case, actor: User, capacity: str, willingness: str, note: str
) -> CaseAssessment:
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    failures = []
    if capacity not in Level.values:
        failures.append(Failure("INVALID_INPUT", _("Choose the repayment capacity."), "", "capacity"))
    if willingness not in Level.values:
        failures.append(Failure("INVALID_INPUT", _("Choose the willingness to repay."), "", "willingness"))
    if not note.strip():
        failures.append(Failure("FIELD_REQUIRED", _("Write what the assessment is based on."), "", "note"))
    if failures:
        raise DomainError(failures)
    assessment = CaseAssessment(
        case=case, capacity=capacity, willingness=willingness, note=note.strip(), assessed_by=actor
    )
    assessment._history_user = actor
    assessment.save()
    audit.record(
        actor=actor,
        action="case.assessment_recorded",
        obj=assessment,
        case_id=case.pk,
        data={"capacity": capacity, "willingness": willingness},
    )
    return assessment


# --- transitions ---------------------------------------------------------------------------------


@refusals_recorded("case.verify")
@transaction.atomic
def case_verify(*, case: Case, actor: User, today: dt.date | None = None) -> Case:
    """new → verified: identity checked, an address verified with its source, contract on file,
    a valid covering mandate (MANDATE_VALID), and a capacity/willingness assessment."""
    case = _lock(case, related=("debtor", "mandate"))  # what the facts read; no creditor or team
    policies.require(policies.can_verify(actor, case))
    if case.stage != Stage.NEW:
        raise DomainError(
            [
                Failure(
                    "WRONG_STAGE",
                    _("Only a new case can be verified (this one is %(stage)s).")
                    % {"stage": case.get_stage_display()},
                    "",
                    "stage",
                )
            ]
        )
    today = today or timezone.localdate()
    failures = check_verification(selectors.verification_facts(case), today=today)
    if failures:
        raise DomainError(failures)
    move = case_stage_move(case=case, transition="verify", actor=actor, at=_now())
    audit.record(
        actor=actor,
        action="case.verified",
        obj=case,
        case_id=case.pk,
        data={**move, "mandate": case.mandate.number if case.mandate else None},
    )
    return case


@refusals_recorded("case.unverify")
@transaction.atomic
def case_unverify(*, case: Case, actor: User, reason: str) -> Case:
    """verified → new, by hand, when a verified fact turns out wrong."""
    case = _lock(case)
    policies.require(policies.can_verify(actor, case))
    if case.stage != Stage.VERIFIED:
        raise DomainError(
            [Failure("WRONG_STAGE", _("Only a verified case can be returned to new."), "", "stage")]
        )
    if not reason.strip():
        raise DomainError(
            [Failure("FIELD_REQUIRED", _("Give the reason the case returns to new."), "", "reason")]
        )
    move = case_stage_move(case=case, transition="unverify", actor=actor, at=_now())
    audit.record(
        actor=actor,
        action="case.unverified",
        obj=case,
        case_id=case.pk,
        data={
            **move,
            "trigger": "manual",
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return case


# --- personal data -------------------------------------------------------------------------------

PII_FIELDS = ("id_number", "phones", "addresses")


@refusals_recorded("pii.viewed")
@transaction.atomic
def pii_reveal(*, case: Case, actor: User, field: str) -> dict[str, Any]:
    """Full view of a debtor's personal data: an audited action, for roles with the need."""
    if field not in PII_FIELDS:
        raise DomainError([Failure("INVALID_INPUT", _("Unknown personal data field."), "", "field")])
    if not policies.can_view_full_pii(actor, case):
        raise PermissionRefused.because(_("Your role sees personal data masked only."))
    debtor = case.debtor
    if field == "id_number":
        value: Any = {"id_type": debtor.id_type, "id_number": debtor.id_number}
        refs = [debtor.pk]
    elif field == "phones":
        phones = list(debtor.phones.all())
        value = [{"id": p.pk, "number": p.number} for p in phones]
        refs = [p.pk for p in phones]
    else:
        addresses = list(debtor.addresses.all())
        value = [{"id": a.pk, "kind": a.kind, "text": a.text} for a in addresses]
        refs = [a.pk for a in addresses]
    audit.record(
        actor=actor, action="pii.viewed", obj=debtor, case_id=case.pk, data={"field": field, "refs": refs}
    )
    return {"field": field, "value": value}
