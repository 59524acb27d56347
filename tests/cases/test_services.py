"""Every per-case service: happy path, each refusal, exactly the audit events, history with the actor."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_fsm import ConcurrentTransition

from cases import policies, services
from cases.models import (
    Case,
    CaseAssignment,
    CaseDocument,
    DebtorAddress,
    FactSource,
    Stage,
    VerificationStatus,
)
from common.errors import DomainError, PermissionRefused
from compliance import audit
from compliance.models import AuditEvent
from tests.factories import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    TODAY,
    CaseFactory,
    MandateFactory,
    UserFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
    make_verifiable,
)

pytestmark = pytest.mark.django_db

NOT_ENTITLED_TO_WORK = [
    "other_agent",
    "other_supervisor",
    "other_team_agent",
    "compliance_officer",
    "administrator",
]


def pdf(name: str = "contract.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def last_history(obj):  # type: ignore[no-untyped-def]
    return obj.history.order_by("-history_id").first()


def refused_with(codes: list[str], since: int, action: str) -> None:
    """The refusal was audited as `<action>.refused` carrying its codes, and nothing else was written."""
    events = audit_events_since(since)
    assert [e.action for e in events] == [f"{action}.refused"]
    assert events[0].data["codes"] == codes


def establish(case: Case, actor, *, skip: str = "") -> Case:  # type: ignore[no-untyped-def]
    """Every verification fact but `skip`, each left in a near-miss state that must not count."""
    if skip != "identity":
        services.identity_check_record(case=case, actor=actor, method="ID card copy vs creditor KYC")
    address = services.address_add(
        case=case,
        actor=actor,
        kind="home",
        text="上海市徐汇区漕溪北路88号",
        time_zone="Asia/Shanghai",
        source=FactSource.CREDITOR,
    )
    if skip != "address":  # otherwise the address stays unverified
        services.address_verify(case=case, address_id=address.pk, actor=actor, source=FactSource.DATABASE)
    services.document_add(
        case=case, actor=actor, kind="contract" if skip != "contract" else "statement", upload=pdf()
    )
    if skip != "assessment":
        services.assessment_record(
            case=case, actor=actor, capacity="medium", willingness="low", note="Salary confirmed."
        )
    case.refresh_from_db()
    return case


@pytest.fixture
def verified_case(case, agent):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    return services.case_verify(case=case, actor=agent, today=TODAY)


# --- case_verify -----------------------------------------------------------------------------------


def test_verify_moves_new_to_verified_with_one_event_and_history(case, agent):
    make_verifiable(case, agent)
    since = audit_head()

    result = services.case_verify(case=case, actor=agent, today=TODAY)

    case.refresh_from_db()
    assert case.stage == result.stage == Stage.VERIFIED
    assert case.stage_changed_at is not None
    events = audit_events_since(since)
    assert [e.action for e in events] == ["case.verified"]
    assert events[0].data == {
        "stage": {"from": "new", "to": "verified", "transition": "verify"},
        "mandate": case.mandate.number,
        "case": case.pk,
    }
    assert (events[0].object_type, events[0].object_id) == ("cases.case", str(case.pk))
    assert events[0].case_id == case.pk
    history = last_history(case)
    assert (history.stage, history.history_user) == (Stage.VERIFIED, agent)


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_entitled_roles_may_verify(request, case, agent, role):
    make_verifiable(case, agent)

    services.case_verify(case=case, actor=request.getfixturevalue(role), today=TODAY)

    assert Case.objects.get(pk=case.pk).stage == Stage.VERIFIED


@pytest.mark.parametrize(
    ("skip", "code"),
    [
        ("identity", "IDENTITY_UNCHECKED"),
        ("address", "ADDRESS_UNVERIFIED"),
        ("contract", "CONTRACT_MISSING"),
        ("assessment", "ASSESSMENT_MISSING"),
    ],
)
def test_verify_names_the_one_missing_item(case, agent, skip, code):
    establish(case, agent, skip=skip)
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.case_verify(case=case, actor=agent, today=TODAY)

    assert error.value.codes == [code]
    refused_with([code], since, "case.verify")
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW
    assert last_history(case).stage == Stage.NEW


def test_verify_with_nothing_established_names_every_item(case, agent):
    case.mandate = None
    case.save()

    with pytest.raises(DomainError) as error:
        services.case_verify(case=case, actor=agent, today=TODAY)

    assert error.value.codes == [
        "IDENTITY_UNCHECKED",
        "ADDRESS_UNVERIFIED",
        "CONTRACT_MISSING",
        "ASSESSMENT_MISSING",
        "MANDATE_VALID",
    ]


@pytest.mark.parametrize(
    ("mandate_change", "today"),
    [
        ({"valid_until": TODAY - dt.timedelta(days=1)}, TODAY),  # expired yesterday
        ({"valid_from": TODAY + dt.timedelta(days=1)}, TODAY),  # valid from tomorrow
        ({"revoked_on": TODAY - dt.timedelta(days=3)}, TODAY),
        ({"products": ["car_loan"]}, TODAY),  # the case is a consumer loan
        ({"document": ""}, TODAY),  # signed mandate not on file
        ({}, TODAY + dt.timedelta(days=266)),  # the factory's mandate ends at TODAY + 265 days
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "revoked",
        "product-out-of-scope",
        "no-document",
        "checked-on-given-day",
    ],
)
def test_verify_refuses_without_a_valid_covering_mandate(case, agent, mandate_change, today):
    make_verifiable(case, agent)
    mandate = case.mandate
    for field, value in mandate_change.items():
        setattr(mandate, field, value)
    mandate.save()
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.case_verify(case=case, actor=agent, today=today)

    assert error.value.codes == ["MANDATE_VALID"]
    refused_with(["MANDATE_VALID"], since, "case.verify")
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_verify_on_the_mandates_last_day_passes(case, agent):
    make_verifiable(case, agent)

    services.case_verify(case=case, actor=agent, today=case.mandate.valid_until)

    assert Case.objects.get(pk=case.pk).stage == Stage.VERIFIED


def test_verify_refuses_a_mandate_of_another_creditor(case, agent):
    make_verifiable(case, agent)
    case.mandate = MandateFactory()  # another creditor's
    case.save()

    with pytest.raises(DomainError) as error:
        services.case_verify(case=case, actor=agent, today=TODAY)

    assert error.value.codes == ["MANDATE_VALID"]


def test_verify_refuses_a_case_that_is_not_new(verified_case, agent):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.case_verify(case=verified_case, actor=agent, today=TODAY)

    assert error.value.codes == ["WRONG_STAGE"]
    refused_with(["WRONG_STAGE"], since, "case.verify")


@pytest.mark.parametrize("role", NOT_ENTITLED_TO_WORK)
def test_verify_refused_to_roles_without_the_right(request, case, agent, role):
    """Also for users who cannot even see the case: the service refuses (views answer 404 before)."""
    make_verifiable(case, agent)
    actor = request.getfixturevalue(role)
    since = audit_head()

    with pytest.raises(PermissionRefused) as error:
        services.case_verify(case=case, actor=actor, today=TODAY)

    assert error.value.codes == ["PERMISSION_DENIED"]
    refused_with(["PERMISSION_DENIED"], since, "case.verify")
    event = audit_events_since(since)[0]
    assert (event.actor, event.case_id) == (f"user:{actor.pk}", case.pk)
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_permission_is_checked_before_the_facts(case, compliance_officer):
    """A refused role learns nothing about what the case lacks."""
    with pytest.raises(PermissionRefused) as error:
        services.case_verify(case=case, actor=compliance_officer, today=TODAY)

    assert error.value.codes == ["PERMISSION_DENIED"]


# --- case_unverify ---------------------------------------------------------------------------------


def test_unverify_returns_to_new_with_reason_digest(verified_case, supervisor):
    since = audit_head()

    services.case_unverify(case=verified_case, actor=supervisor, reason="Debtor moved; address wrong")

    case = Case.objects.get(pk=verified_case.pk)
    assert case.stage == Stage.NEW
    events = audit_events_since(since)
    assert [e.action for e in events] == ["case.unverified"]
    assert events[0].data["trigger"] == "manual"
    assert events[0].data["stage"] == {"from": "verified", "to": "new", "transition": "unverify"}
    assert "moved" not in audit.export_line(events[0])  # free text is stored as a digest only
    assert len(events[0].data["reason_digest"]) == 64
    assert (last_history(case).stage, last_history(case).history_user) == (Stage.NEW, supervisor)


@pytest.mark.parametrize("reason", ["", "   "])
def test_unverify_requires_a_reason(verified_case, agent, reason):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.case_unverify(case=verified_case, actor=agent, reason=reason)

    assert error.value.codes == ["FIELD_REQUIRED"]
    refused_with(["FIELD_REQUIRED"], since, "case.unverify")
    assert Case.objects.get(pk=verified_case.pk).stage == Stage.VERIFIED


def test_unverify_refuses_a_new_case(case, agent):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.case_unverify(case=case, actor=agent, reason="why not")

    assert error.value.codes == ["WRONG_STAGE"]
    refused_with(["WRONG_STAGE"], since, "case.unverify")


@pytest.mark.parametrize("role", NOT_ENTITLED_TO_WORK)
def test_unverify_refused_to_roles_without_the_right(request, verified_case, role):
    actor = request.getfixturevalue(role)
    since = audit_head()

    with pytest.raises(PermissionRefused):
        services.case_unverify(case=verified_case, actor=actor, reason="x")

    refused_with(["PERMISSION_DENIED"], since, "case.unverify")
    assert Case.objects.get(pk=verified_case.pk).stage == Stage.VERIFIED


# --- optimistic locking and the protected stage ----------------------------------------------------


def test_stale_copy_cannot_save_a_transition(case, agent):
    make_verifiable(case, agent)
    fresh = Case.objects.get(pk=case.pk)
    stale = Case.objects.get(pk=case.pk)

    services.case_verify(case=fresh, actor=agent, today=TODAY)
    history_rows = case.history.count()

    stale.verify(at=dt.datetime.now(tz=dt.UTC))  # in memory: the stale copy still believes it is new
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert case.history.count() == history_rows
    assert Case.objects.get(pk=case.pk).stage == Stage.VERIFIED


def test_stage_cannot_be_assigned(case):
    loaded = Case.objects.get(pk=case.pk)

    with pytest.raises(AttributeError):
        loaded.stage = Stage.VERIFIED
    assert loaded.stage == Stage.NEW


def test_the_machine_holds_the_stages_delivered_so_far(case):
    """new <-> verified (stage 1); verified -> visit_planned -> notice_given and the refusal side state
    (visit planning); notice_given -> on_site -> conversation_logged / follow_up (on site); the dispute
    hold and its release (tests/cases/test_disputes.py); agreements, escalation, closure and reopening
    (tests/agreements)."""
    names = {t.name for t in case.get_all_stage_transitions()}

    assert names == {
        "verify",
        "unverify",
        "plan_visit",
        "give_notice",
        "drop_visit_plan",
        "refuse_visits",
        "resume_visits",
        "start_on_site",
        "log_conversation",
        "follow_up_after_visit",
        "sign_agreement",
        "back_to_follow_up",
        "escalate",
        "close",
        "reopen",
        "hold",
        "release_hold",
    }


# --- facts invalidated: verified cases return to new ---------------------------------------------


@pytest.fixture
def two_verified_cases_same_debtor(case, agent, creditor, mandate, team, supervisor):  # type: ignore[no-untyped-def]
    second = CaseFactory(
        creditor=creditor,
        mandate=mandate,
        debtor=case.debtor,
        team=team,
        supervisor=supervisor,
        agents=[agent],
    )
    make_verifiable(case, agent)
    services.document_add(case=second, actor=agent, kind="contract", upload=pdf())
    services.assessment_record(case=second, actor=agent, capacity="low", willingness="low", note="n")
    services.case_verify(case=case, actor=agent, today=TODAY)
    services.case_verify(case=second, actor=agent, today=TODAY)
    return Case.objects.get(pk=case.pk), Case.objects.get(pk=second.pk)


def test_invalidating_the_only_verified_address_unverifies_every_case_of_the_debtor(
    two_verified_cases_same_debtor, agent
):
    first, second = two_verified_cases_same_debtor
    address = DebtorAddress.objects.get(debtor=first.debtor, status=VerificationStatus.VERIFIED)
    since = audit_head()

    services.address_invalidate(case=first, address_id=address.pk, actor=agent, reason="Demolished")

    events = audit_events_since(since)
    assert [e.action for e in events] == ["debtor.address_invalidated", "case.unverified", "case.unverified"]
    assert {e.case_id for e in events[1:]} == {first.pk, second.pk}
    assert all(e.data["trigger"] == "address_invalidated" for e in events[1:])
    assert events[0].data["was_verified"] is True
    for case in (first, second):
        case.refresh_from_db()
        assert case.stage == Stage.NEW
        assert last_history(case).history_user == agent
    address.refresh_from_db()
    assert (address.status, address.note) == (VerificationStatus.INVALID, "Demolished")
    assert last_history(address).history_user == agent


def test_invalidating_one_of_two_verified_addresses_keeps_cases_verified(
    two_verified_cases_same_debtor, agent
):
    first, second = two_verified_cases_same_debtor
    other = services.address_add(
        case=first,
        actor=agent,
        kind="work",
        text="杭州市西湖区文三路1号",
        time_zone="Asia/Shanghai",
        source=FactSource.DEBTOR,
    )
    services.address_verify(case=first, address_id=other.pk, actor=agent, source=FactSource.FIELD)
    since = audit_head()

    services.address_invalidate(case=first, address_id=other.pk, actor=agent, reason="Left that job")

    assert audit_actions_since(since) == ["debtor.address_invalidated"]
    assert {Case.objects.get(pk=c.pk).stage for c in (first, second)} == {Stage.VERIFIED}


def test_invalidating_an_unverified_address_keeps_cases_verified(verified_case, agent):
    extra = services.address_add(
        case=verified_case,
        actor=agent,
        kind="other",
        text="广州市天河区体育西路2号",
        time_zone="Asia/Shanghai",
        source=FactSource.INVESTIGATION,
    )
    since = audit_head()

    services.address_invalidate(case=verified_case, address_id=extra.pk, actor=agent, reason="Wrong")

    events = audit_events_since(since)
    assert [e.action for e in events] == ["debtor.address_invalidated"]
    assert events[0].data["was_verified"] is False
    assert Case.objects.get(pk=verified_case.pk).stage == Stage.VERIFIED


def test_identity_check_revoke_returns_verified_cases_to_new(two_verified_cases_same_debtor, agent):
    first, second = two_verified_cases_same_debtor
    since = audit_head()

    result = services.identity_check_revoke(case=first, actor=agent, reason="Forged ID copy")

    events = audit_events_since(since)
    assert [e.action for e in events] == [
        "debtor.identity_check_revoked",
        "case.unverified",
        "case.unverified",
    ]
    assert all(e.data["trigger"] == "identity_check_revoked" for e in events[1:])
    assert "Forged" not in "".join(audit.export_line(e) for e in events)
    assert result.stage == Stage.NEW  # the returned case is fresh
    assert {Case.objects.get(pk=c.pk).stage for c in (first, second)} == {Stage.NEW}
    debtor = first.debtor
    debtor.refresh_from_db()
    assert debtor.identity_checked_at is None
    assert debtor.identity_checked_by is None
    assert last_history(debtor).history_user == agent


def test_identity_check_revoke_on_a_new_case_writes_one_event(case, agent):
    services.identity_check_record(case=case, actor=agent, method="KYC")
    since = audit_head()

    services.identity_check_revoke(case=case, actor=agent, reason="Wrong person")

    assert audit_actions_since(since) == ["debtor.identity_check_revoked"]


def test_identity_check_revoke_requires_a_reason(verified_case, agent):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.identity_check_revoke(case=verified_case, actor=agent, reason=" ")

    assert error.value.codes == ["FIELD_REQUIRED"]
    refused_with(["FIELD_REQUIRED"], since, "debtor.identity_check_revoked")
    assert Case.objects.get(pk=verified_case.pk).stage == Stage.VERIFIED


# --- identity check --------------------------------------------------------------------------------


def test_identity_check_record(case, agent):
    since = audit_head()

    services.identity_check_record(case=case, actor=agent, method="Compared the ID card with KYC photo")

    debtor = case.debtor
    debtor.refresh_from_db()
    assert debtor.identity_checked_at is not None
    assert (debtor.identity_checked_by, debtor.identity_check_source) == (
        agent,
        "Compared the ID card with KYC photo",
    )
    events = audit_events_since(since)
    assert [e.action for e in events] == ["debtor.identity_checked"]
    assert (events[0].object_type, events[0].case_id) == ("cases.debtor", case.pk)
    assert "KYC" not in audit.export_line(events[0])
    assert last_history(debtor).history_user == agent


def test_identity_check_requires_a_method(case, agent):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.identity_check_record(case=case, actor=agent, method="  ")

    assert error.value.codes == ["FIELD_REQUIRED"]
    refused_with(["FIELD_REQUIRED"], since, "debtor.identity_checked")
    case.debtor.refresh_from_db()
    assert case.debtor.identity_checked_at is None


# --- every fact-recording service refuses roles that may not work on the case ----------------------


def _call_identity(case, actor):  # type: ignore[no-untyped-def]
    return services.identity_check_record(case=case, actor=actor, method="KYC")


def _call_revoke(case, actor):  # type: ignore[no-untyped-def]
    return services.identity_check_revoke(case=case, actor=actor, reason="x")


def _call_address_add(case, actor):  # type: ignore[no-untyped-def]
    return services.address_add(
        case=case,
        actor=actor,
        kind="home",
        text="北京市",
        time_zone="Asia/Shanghai",
        source=FactSource.CREDITOR,
    )


def _call_address_verify(case, actor):  # type: ignore[no-untyped-def]
    address = DebtorAddress.objects.create(debtor=case.debtor, kind="home", text="北京市东城区1号")
    return services.address_verify(case=case, address_id=address.pk, actor=actor, source=FactSource.DATABASE)


def _call_address_invalidate(case, actor):  # type: ignore[no-untyped-def]
    address = DebtorAddress.objects.create(debtor=case.debtor, kind="home", text="北京市东城区1号")
    return services.address_invalidate(case=case, address_id=address.pk, actor=actor, reason="x")


def _call_document_add(case, actor):  # type: ignore[no-untyped-def]
    return services.document_add(case=case, actor=actor, kind="contract", upload=pdf())


def _call_assessment(case, actor):  # type: ignore[no-untyped-def]
    return services.assessment_record(case=case, actor=actor, capacity="low", willingness="low", note="n")


FACT_SERVICES = {
    "debtor.identity_checked": _call_identity,
    "debtor.identity_check_revoked": _call_revoke,
    "debtor.address_added": _call_address_add,
    "debtor.address_verified": _call_address_verify,
    "debtor.address_invalidated": _call_address_invalidate,
    "case.document_added": _call_document_add,
    "case.assessment_recorded": _call_assessment,
}


@pytest.mark.parametrize("action", list(FACT_SERVICES))
@pytest.mark.parametrize("role", NOT_ENTITLED_TO_WORK)
def test_fact_services_refuse_roles_that_may_not_work_on_the_case(request, case, action, role):
    actor = request.getfixturevalue(role)
    since = audit_head()
    counts = (DebtorAddress.objects.count(), CaseDocument.objects.count(), case.assessments.count())

    with pytest.raises(PermissionRefused):
        FACT_SERVICES[action](case, actor)

    refused_with(["PERMISSION_DENIED"], since, action)
    case.debtor.refresh_from_db()
    assert case.debtor.identity_checked_at is None
    assert (
        DebtorAddress.objects.filter(status=VerificationStatus.UNVERIFIED).count()
        == DebtorAddress.objects.count()
    )
    assert not DebtorAddress.objects.filter(text="北京市").exists()  # address_add wrote nothing
    assert CaseDocument.objects.count() == counts[1]
    assert case.assessments.count() == counts[2]


@pytest.mark.parametrize("action", list(FACT_SERVICES))
@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_fact_services_write_exactly_their_event(request, case, action, role):
    actor = request.getfixturevalue(role)
    since = audit_head()

    FACT_SERVICES[action](case, actor)

    assert audit_actions_since(since) == [action]
    assert audit_events_since(since)[0].actor == f"user:{actor.pk}"


# --- addresses -------------------------------------------------------------------------------------


def test_address_add(case, agent):
    since = audit_head()

    address = services.address_add(
        case=case,
        actor=agent,
        kind="work",
        text="  杭州市西湖区文三路478号 ",
        time_zone="Asia/Shanghai",
        source=FactSource.DEBTOR,
        note=" said so ",
    )

    address.refresh_from_db()
    assert (address.debtor, address.kind, address.text, address.note) == (
        case.debtor,
        "work",
        "杭州市西湖区文三路478号",
        "said so",
    )
    assert address.status == VerificationStatus.UNVERIFIED
    events = audit_events_since(since)
    assert [e.action for e in events] == ["debtor.address_added"]
    assert "文三路" not in audit.export_line(events[0])
    assert events[0].data["kind"] == "work"
    assert last_history(address).history_user == agent


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"kind": "castle"}, "kind"), ({"text": "  "}, "text"), ({"source": "rumour"}, "source")],
)
def test_address_add_refuses_invalid_input(case, agent, kwargs, field):
    values = {"kind": "home", "text": "北京市朝阳区1号", "time_zone": "Asia/Shanghai", "source": "creditor"}
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.address_add(case=case, actor=agent, **{**values, **kwargs})

    assert error.value.codes == ["INVALID_INPUT"]
    assert [f.field for f in error.value.failures] == [field]
    refused_with(["INVALID_INPUT"], since, "debtor.address_added")
    assert not DebtorAddress.objects.filter(debtor=case.debtor).exists()


def test_address_verify(case, agent):
    address = services.address_add(
        case=case,
        actor=agent,
        kind="home",
        text="北京市朝阳区1号",
        time_zone="Asia/Shanghai",
        source=FactSource.CREDITOR,
    )
    since = audit_head()

    services.address_verify(case=case, address_id=address.pk, actor=agent, source=FactSource.FIELD)

    address.refresh_from_db()
    assert (address.status, address.source, address.verified_by) == ("verified", "field", agent)
    assert address.verified_at is not None
    assert audit_actions_since(since) == ["debtor.address_verified"]
    assert last_history(address).history_user == agent


def test_address_verify_requires_a_source(case, agent):
    address = DebtorAddress.objects.create(debtor=case.debtor, kind="home", text="北京市东城区1号")
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.address_verify(case=case, address_id=address.pk, actor=agent, source="")

    assert error.value.codes == ["FIELD_REQUIRED"]
    refused_with(["FIELD_REQUIRED"], since, "debtor.address_verified")


@pytest.mark.parametrize("service", ["address_verify", "address_invalidate"])
def test_address_of_another_debtor_is_not_found(case, agent, creditor, mandate, service):
    stranger = CaseFactory(creditor=creditor, mandate=mandate)
    address = DebtorAddress.objects.create(debtor=stranger.debtor, kind="home", text="北京市东城区1号")
    extra = {"source": FactSource.FIELD} if service == "address_verify" else {"reason": "x"}

    with pytest.raises(DomainError) as error:
        getattr(services, service)(case=case, address_id=address.pk, actor=agent, **extra)

    assert error.value.codes == ["NOT_FOUND"]
    address.refresh_from_db()
    assert address.status == VerificationStatus.UNVERIFIED


def test_address_invalidate_requires_a_reason(case, agent):
    address = DebtorAddress.objects.create(debtor=case.debtor, kind="home", text="北京市东城区1号")
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.address_invalidate(case=case, address_id=address.pk, actor=agent, reason="")

    assert error.value.codes == ["FIELD_REQUIRED"]
    refused_with(["FIELD_REQUIRED"], since, "debtor.address_invalidated")


# --- documents -------------------------------------------------------------------------------------


def test_document_add_stores_file_and_sha256(case, agent):
    since = audit_head()

    document = services.document_add(case=case, actor=agent, kind="contract", upload=pdf("借款合同.pdf"))

    document.refresh_from_db()
    assert document.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (document.size, document.content_type, document.original_name) == (
        len(PDF_BYTES),
        "application/pdf",
        "借款合同.pdf",
    )
    with document.file.open("rb") as handle:
        assert handle.read() == PDF_BYTES
    events = audit_events_since(since)
    assert [e.action for e in events] == ["case.document_added"]
    assert events[0].data == {
        "kind": "contract",
        "sha256": document.sha256,
        "size": len(PDF_BYTES),
        "case": case.pk,
    }
    assert last_history(document).history_user == agent


@pytest.mark.parametrize(
    ("name", "data", "stored_as", "mime"),
    [
        ("scan.png", PNG_BYTES, "scan.png", "image/png"),
        ("photo.jpg", JPEG_BYTES, "photo.jpg", "image/jpeg"),
        ("SCAN.PDF", PDF_BYTES, "SCAN.pdf", "application/pdf"),
        # The content decides, not the name: the stored name gets the real type's extension.
        ("contract.pdf", PNG_BYTES, "contract.png", "image/png"),
        ("contract", PDF_BYTES, "contract.pdf", "application/pdf"),
        ("contract.pdf.exe", PDF_BYTES, "contract_pdf.pdf", "application/pdf"),
        ("../../etc/passwd.jpg", JPEG_BYTES, "passwd.jpg", "image/jpeg"),
    ],
)
def test_document_add_accepts_pdf_png_jpeg_by_content(case, agent, name, data, stored_as, mime):
    document = services.document_add(
        case=case, actor=agent, kind="id_copy", upload=SimpleUploadedFile(name, data)
    )

    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert (document.original_name, document.content_type, document.size) == (stored_as, mime, len(data))
    assert ".." not in document.file.name
    assert document.file.name.endswith(stored_as)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 16),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 16),  # a program named like a PDF
        ("notes.txt", b"%PDF but really text"),
        ("notes.pdf", b"%PDF-1.7\nno end-of-file marker, so not a PDF"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64),  # starts like a JPEG, is not one
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("photo.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),  # evidence takes WebP; documents do not
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 26),
    ],
)
def test_document_add_refuses_files_by_their_content(case, agent, name, data):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.document_add(case=case, actor=agent, kind="contract", upload=SimpleUploadedFile(name, data))

    assert error.value.codes == ["UPLOAD_TYPE"]
    refused_with(["UPLOAD_TYPE"], since, "case.document_added")
    assert not CaseDocument.objects.exists()


def test_document_add_refuses_too_large_files(case, agent, settings):
    settings.FIELDLEDGER_MAX_UPLOAD_BYTES = len(PDF_BYTES) - 1

    with pytest.raises(DomainError) as error:
        services.document_add(case=case, actor=agent, kind="contract", upload=pdf())

    assert error.value.codes == ["UPLOAD_TOO_LARGE"]
    assert not CaseDocument.objects.exists()


def test_document_add_at_the_size_limit_passes(case, agent, settings):
    settings.FIELDLEDGER_MAX_UPLOAD_BYTES = len(PDF_BYTES)

    services.document_add(case=case, actor=agent, kind="contract", upload=pdf())

    assert CaseDocument.objects.count() == 1


def test_document_add_refuses_unknown_kind(case, agent):
    with pytest.raises(DomainError) as error:
        services.document_add(case=case, actor=agent, kind="selfie", upload=pdf())

    assert error.value.codes == ["INVALID_INPUT"]


# --- assessment ------------------------------------------------------------------------------------


def test_assessment_record(case, agent):
    since = audit_head()

    assessment = services.assessment_record(
        case=case, actor=agent, capacity="high", willingness="none", note=" Owns a shop; refuses to pay "
    )

    assert (assessment.capacity, assessment.willingness, assessment.note) == (
        "high",
        "none",
        "Owns a shop; refuses to pay",
    )
    events = audit_events_since(since)
    assert [e.action for e in events] == ["case.assessment_recorded"]
    assert events[0].data == {"capacity": "high", "willingness": "none", "case": case.pk}
    assert last_history(assessment).history_user == agent


def test_assessment_names_every_invalid_field(case, agent):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.assessment_record(case=case, actor=agent, capacity="huge", willingness="maybe", note=" ")

    assert [(f.code, f.field) for f in error.value.failures] == [
        ("INVALID_INPUT", "capacity"),
        ("INVALID_INPUT", "willingness"),
        ("FIELD_REQUIRED", "note"),
    ]
    refused_with(["INVALID_INPUT", "INVALID_INPUT", "FIELD_REQUIRED"], since, "case.assessment_recorded")
    assert not case.assessments.exists()


# --- assignment ------------------------------------------------------------------------------------


def test_supervisor_reassigns_agents_and_object_permissions_follow(case, supervisor, agent, other_agent):
    since = audit_head()

    services.case_assign_agents(case=case, agents=[other_agent], actor=supervisor)

    events = audit_events_since(since)
    assert [e.action for e in events] == ["case.agents_assigned"]
    assert events[0].data == {"agents": [other_agent.pk], "previous": [agent.pk], "case": case.pk}
    assert list(case.assignments.values_list("agent", flat=True)) == [other_agent.pk]
    assignment = CaseAssignment.objects.get(case=case)
    assert (assignment.assigned_by, last_history(assignment).history_user) == (supervisor, supervisor)
    removed = CaseAssignment.history.filter(agent=agent, history_type="-").get()
    assert removed.history_user == supervisor
    assert policies.cases_visible_to(other_agent).filter(pk=case.pk).exists()
    assert not policies.cases_visible_to(agent).filter(pk=case.pk).exists()
    fresh_agent = type(agent).objects.get(pk=agent.pk)  # the object checker caches per user object
    assert not policies.can_work_on(fresh_agent, case)


def test_assigning_the_same_agents_again_changes_and_records_nothing(case, supervisor, agent):
    # Issue 18: an unchanged assignment writes nothing and records nothing; the page says "Nothing
    # changed" (tests/test_dayswork_feedback.py).
    since = audit_head()
    history = CaseAssignment.history.count()

    services.case_assign_agents(case=case, agents=[agent], actor=supervisor)

    assert audit_actions_since(since) == []
    assert CaseAssignment.history.count() == history
    assert CaseAssignment.objects.filter(case=case).count() == 1
    assert policies.cases_visible_to(agent).filter(pk=case.pk).exists()


def test_assigning_nobody_removes_every_agent(case, supervisor, agent):
    services.case_assign_agents(case=case, agents=[], actor=supervisor)

    assert not case.assignments.exists()
    assert not policies.cases_visible_to(agent).exists()
    assert policies.cases_visible_to(supervisor).filter(pk=case.pk).exists()  # the team still sees it


@pytest.mark.parametrize("role", ["agent", *NOT_ENTITLED_TO_WORK])
def test_only_the_teams_supervisor_may_assign(request, case, other_agent, role):
    actor = request.getfixturevalue(role)
    since = audit_head()

    with pytest.raises(PermissionRefused):
        services.case_assign_agents(case=case, agents=[other_agent], actor=actor)

    refused_with(["PERMISSION_DENIED"], since, "case.agents_assigned")
    assert not policies.cases_visible_to(other_agent).exists()


def test_agent_of_another_team_cannot_be_assigned(case, supervisor, agent, other_team_agent):
    since = audit_head()

    with pytest.raises(DomainError) as error:
        services.case_assign_agents(case=case, agents=[agent, other_team_agent], actor=supervisor)

    assert error.value.codes == ["AGENT_OTHER_TEAM"]
    refused_with(["AGENT_OTHER_TEAM"], since, "case.agents_assigned")
    assert not policies.cases_visible_to(other_team_agent).exists()


@pytest.mark.parametrize("who", ["supervisor", "compliance_officer", "administrator", "inactive_agent"])
def test_only_active_field_agents_can_be_assigned(request, case, supervisor, agent, team, who):
    if who == "inactive_agent":
        target = UserFactory(team=team, roles=["field_agent"])
        target.is_active = False
        target.save()
    else:
        target = request.getfixturevalue(who)

    with pytest.raises(DomainError) as error:
        services.case_assign_agents(case=case, agents=[target], actor=supervisor)

    assert error.value.codes == ["AGENT_NOT_FIELD_AGENT"]
    assert list(case.assignments.values_list("agent", flat=True)) == [agent.pk]


# --- personal data ---------------------------------------------------------------------------------


@pytest.fixture
def debtor_with_phone(case):  # type: ignore[no-untyped-def]
    from tests.factories import AddressFactory, PhoneFactory

    PhoneFactory(debtor=case.debtor, number="13912345678")
    AddressFactory(debtor=case.debtor, text="北京市朝阳区建国路99号3单元")
    return case.debtor


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_pii_reveal_id_number_is_audited_with_references_only(request, case, role):
    actor = request.getfixturevalue(role)
    since = audit_head()

    revealed = services.pii_reveal(case=case, actor=actor, field="id_number")

    assert revealed == {
        "field": "id_number",
        "value": {"id_type": "resident_id", "id_number": case.debtor.id_number},
    }
    events = audit_events_since(since)
    assert [e.action for e in events] == ["pii.viewed"]
    assert events[0].data == {"field": "id_number", "refs": [case.debtor.pk], "case": case.pk}
    line = audit.export_line(events[0])
    assert case.debtor.id_number not in line
    assert case.debtor.id_number[6:14] not in line  # not even the birth date


def test_pii_reveal_phones_and_addresses(debtor_with_phone, case, agent):
    phone = debtor_with_phone.phones.get()
    address = debtor_with_phone.addresses.get()
    since = audit_head()

    phones = services.pii_reveal(case=case, actor=agent, field="phones")
    addresses = services.pii_reveal(case=case, actor=agent, field="addresses")

    assert phones["value"] == [{"id": phone.pk, "number": "13912345678"}]
    assert addresses["value"] == [{"id": address.pk, "kind": "home", "text": "北京市朝阳区建国路99号3单元"}]
    events = audit_events_since(since)
    assert [e.action for e in events] == ["pii.viewed", "pii.viewed"]
    assert [e.data["refs"] for e in events] == [[phone.pk], [address.pk]]
    dump = "".join(audit.export_line(e) for e in events)
    for secret in ("13912345678", "12345678", "5678", "建国路", "99号"):
        assert secret not in dump


@pytest.mark.parametrize("role", ["administrator", "other_agent", "other_team_agent", "other_supervisor"])
def test_pii_reveal_refused_without_the_need(request, case, role):
    actor = request.getfixturevalue(role)
    since = audit_head()

    with pytest.raises(PermissionRefused):
        services.pii_reveal(case=case, actor=actor, field="id_number")

    refused_with(["PERMISSION_DENIED"], since, "pii.viewed")
    assert case.debtor.id_number not in audit.export_line(AuditEvent.objects.get(seq=since + 1))


def test_pii_reveal_unknown_field(case, agent):
    with pytest.raises(DomainError) as error:
        services.pii_reveal(case=case, actor=agent, field="password")

    assert error.value.codes == ["INVALID_INPUT"]


# --- the happy path end to end, as an agent would do it --------------------------------------------


def test_whole_verification_writes_the_expected_trail(case, agent):
    since = audit_head()

    make_verifiable(case, agent)
    services.case_verify(case=case, actor=agent, today=TODAY)

    assert audit_actions_since(since) == [
        "debtor.identity_checked",
        "debtor.address_added",
        "debtor.address_verified",
        "case.document_added",
        "case.assessment_recorded",
        "case.verified",
    ]
    assert audit.verify_chain().ok
