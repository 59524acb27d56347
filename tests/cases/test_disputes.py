"""Complaints and disputes on a case (cases/services/disputes.py): a dispute holds the case, its resolution
releases the hold to where the case came from; complaints hold nothing. Happy paths, each refusal, and
exactly the audit events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from cases.models import HOLDABLE_STAGES, RESTING_STAGES, Case, Stage
from cases.services import disputes
from common.errors import DomainError
from compliance.models import Complaint
from tests.factories import audit_actions_since, audit_events_since, audit_head, make_verifiable, move_case_to

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def dispute(case, actor, **changes):  # type: ignore[no-untyped-def]
    kwargs = {
        "case": case,
        "actor": actor,
        "channel": "phone",
        "text": "I repaid this loan in June; the amount is wrong.",
        "raised_by": "debtor",
        "now": NOW,
    }
    return disputes.dispute_open(**{**kwargs, **changes})


def complaint(case, actor, **changes):  # type: ignore[no-untyped-def]
    kwargs = {
        "case": case,
        "actor": actor,
        "channel": "letter",
        "text": "The agent called my employer.",
        "raised_by": "debtor",
        "now": NOW,
    }
    return disputes.complaint_record(**{**kwargs, **changes})


def resolve(item, actor, outcome="upheld", reason="Repayment confirmed by the creditor."):  # type: ignore[no-untyped-def]
    service = disputes.dispute_resolve if item.kind == "dispute" else disputes.complaint_resolve
    return service(
        complaint=item, actor=actor, outcome=outcome, reason=reason, now=NOW + dt.timedelta(days=3)
    )


# --- dispute_open -----------------------------------------------------------------------------------


def test_a_dispute_holds_the_case_and_keeps_the_stage_it_came_from(case, agent):
    make_verifiable(case, agent)
    head = audit_head()

    opened = dispute(case, agent, visit_id=None, agent_id=agent.pk)

    case.refresh_from_db()
    assert (case.stage, case.stage_before_hold) == (Stage.ON_HOLD, Stage.NEW)
    assert (opened.kind, opened.status, opened.case_id, opened.agent_id) == (
        "dispute",
        "open",
        case.pk,
        agent.pk,
    )
    assert opened.recorded_by == agent
    # cn-default: acknowledge within 2 days, resolve within 15 (migration 0006).
    assert opened.acknowledge_due_at == NOW + dt.timedelta(days=2)
    assert opened.resolve_due_at == NOW + dt.timedelta(days=15)
    assert audit_actions_since(head) == ["dispute.opened", "case.held"]
    opened_event, held = audit_events_since(head)
    assert opened_event.data["text_sha256"]
    assert "repaid" not in str(opened_event.data)
    assert opened_event.data["pack"] == ["cn-default", 2]  # the current version (migration 0010)
    assert held.data == {
        "stage": {"from": "new", "to": "on_hold", "transition": "hold"},
        "dispute": opened.pk,
        "case": case.pk,
    }


@pytest.mark.parametrize("stage", HOLDABLE_STAGES)
def test_every_stage_but_closed_and_on_hold_can_be_held(case, supervisor, stage):
    move_case_to(case, stage)

    dispute(case, supervisor)

    case.refresh_from_db()
    assert (case.stage, case.stage_before_hold) == (Stage.ON_HOLD, stage)


def test_a_second_dispute_on_a_held_case_is_recorded_without_a_second_hold(case, supervisor):
    dispute(case, supervisor)
    head = audit_head()

    dispute(case, supervisor, text="And the interest is wrong too.")

    case.refresh_from_db()
    assert (case.stage, case.stage_before_hold) == (Stage.ON_HOLD, Stage.NEW)
    assert audit_actions_since(head) == ["dispute.opened"]


def test_a_dispute_on_a_closed_case_is_recorded_and_holds_nothing(case, compliance_officer):
    move_case_to(case, Stage.CLOSED)
    head = audit_head()

    dispute(case, compliance_officer)

    case.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert audit_actions_since(head) == ["dispute.opened"]


def test_dispute_received_earlier_counts_its_deadlines_from_receipt(case, supervisor):
    received = NOW - dt.timedelta(days=3)

    opened = dispute(case, supervisor, received_at=received, channel="email")

    assert opened.received_at == received
    assert opened.created_at == NOW
    assert opened.resolve_due_at == received + dt.timedelta(days=15)


def test_the_pack_of_the_creditor_sets_the_targets(case, supervisor, compliance_officer, second_officer):
    from compliance import packs

    change = packs.creditor_bind_pack(
        creditor=case.creditor, pack_code="uk", actor=compliance_officer, reason="UK portfolio"
    )
    packs.pack_change_approve(change=change, actor=second_officer)  # another jurisdiction: four eyes
    case.refresh_from_db()

    opened = dispute(case, supervisor)

    assert (opened.pack.code, opened.resolve_due_at) == ("uk", NOW + dt.timedelta(days=56))


def test_dispute_open_works_inside_the_callers_transaction(case, supervisor):
    head = audit_head()

    def callers_write() -> None:
        with transaction.atomic():
            dispute(case, supervisor)
            raise RuntimeError("the caller's write failed")

    with pytest.raises(RuntimeError):
        callers_write()

    case.refresh_from_db()
    assert case.stage == Stage.NEW
    assert not Complaint.objects.exists()
    assert audit_head() == head


@pytest.mark.parametrize("role", ["other_agent", "other_supervisor", "other_team_agent", "administrator"])
def test_people_without_the_case_may_not_open_a_dispute(request, case, role):
    actor = request.getfixturevalue(role)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        dispute(case, actor)

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW
    assert audit_actions_since(head) == ["dispute.open.refused"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"channel": "carrier_pigeon"}, "INVALID_INPUT"),
        ({"channel": "public_page", "raised_by": "nobody"}, "INVALID_INPUT"),
        ({"text": "  "}, "FIELD_REQUIRED"),
        ({"received_at": NOW + dt.timedelta(days=1)}, "RECEIVED_IN_FUTURE"),
        ({"visit_id": 999_999}, "NOT_FOUND"),
        ({"agent_id": 999_999}, "NOT_FOUND"),
    ],
)
def test_dispute_refusals_name_the_problem_and_are_audited(case, supervisor, changes, code):
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        dispute(case, supervisor, **changes)

    assert code in refused.value.codes
    assert not Complaint.objects.exists()
    assert audit_actions_since(head) == ["dispute.open.refused"]
    assert audit_events_since(head)[0].data["codes"] == refused.value.codes


# --- dispute_resolve ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [(s, s) for s in RESTING_STAGES]
    + [(s, Stage.FOLLOW_UP) for s in HOLDABLE_STAGES if s not in RESTING_STAGES],
)
def test_resolving_the_dispute_releases_the_hold(case, supervisor, compliance_officer, before, after):
    move_case_to(case, before)
    opened = dispute(case, supervisor)
    head = audit_head()

    resolved = resolve(opened, compliance_officer, outcome="rejected")

    case.refresh_from_db()
    assert (case.stage, case.stage_before_hold) == (after, "")
    assert (resolved.status, resolved.outcome, resolved.resolved_by) == (
        "closed",
        "rejected",
        compliance_officer,
    )
    assert resolved.acknowledged_at is not None  # the resolution acknowledges it too
    assert audit_actions_since(head) == ["dispute.resolved", "case.hold_released"]
    resolved_event, released = audit_events_since(head)
    assert "reason_digest" in resolved_event.data
    assert "creditor" not in str(resolved_event.data)
    assert released.data == {
        "stage": {"from": "on_hold", "to": after, "transition": "release_hold"},
        "dispute": opened.pk,
        "case": case.pk,
    }


def test_the_hold_stays_while_another_dispute_is_open(case, supervisor, compliance_officer):
    first = dispute(case, supervisor)
    second = dispute(case, supervisor, text="Second dispute about fees.")
    head = audit_head()

    resolve(first, compliance_officer)

    assert Case.objects.get(pk=case.pk).stage == Stage.ON_HOLD
    assert audit_actions_since(head) == ["dispute.resolved"]
    resolve(second, compliance_officer, outcome="withdrawn")
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_an_open_complaint_does_not_keep_the_hold(case, supervisor, compliance_officer):
    opened = dispute(case, supervisor)
    complaint(case, supervisor)

    resolve(opened, compliance_officer)

    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_only_compliance_officers_resolve(request, case, supervisor, role):
    actor = request.getfixturevalue(role)
    opened = dispute(case, supervisor)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        resolve(opened, actor)

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert Complaint.objects.get(pk=opened.pk).status == "open"
    assert Case.objects.get(pk=case.pk).stage == Stage.ON_HOLD
    assert audit_actions_since(head) == ["dispute.resolve.refused"]


@pytest.mark.parametrize(
    ("outcome", "reason", "code"),
    [("maybe", "A long enough reason.", "INVALID_INPUT"), ("upheld", "short", "RESOLUTION_REASON")],
)
def test_resolution_needs_an_outcome_and_a_reason(
    case, supervisor, compliance_officer, outcome, reason, code
):
    opened = dispute(case, supervisor)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        resolve(opened, compliance_officer, outcome=outcome, reason=reason)

    assert refused.value.codes == [code]
    assert Case.objects.get(pk=case.pk).stage == Stage.ON_HOLD
    assert audit_actions_since(head) == ["dispute.resolve.refused"]


def test_a_resolved_dispute_cannot_be_resolved_again(case, supervisor, compliance_officer):
    opened = dispute(case, supervisor)
    resolve(opened, compliance_officer)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        resolve(opened, compliance_officer)

    assert refused.value.codes == ["COMPLAINT_NOT_OPEN"]
    assert audit_actions_since(head) == ["dispute.resolve.refused"]


def test_a_complaint_is_not_resolved_as_a_dispute(case, supervisor, compliance_officer):
    recorded = complaint(case, supervisor)

    with pytest.raises(DomainError) as refused:
        disputes.dispute_resolve(
            complaint=recorded, actor=compliance_officer, outcome="upheld", reason="x" * 12
        )

    assert refused.value.codes == ["WRONG_KIND"]


# --- complaints --------------------------------------------------------------------------------------


def test_a_complaint_blocks_visits_but_holds_nothing(case, agent, compliance_officer):
    head = audit_head()

    recorded = complaint(case, agent, channel="in_person", raised_by="representative")

    assert Case.objects.get(pk=case.pk).stage == Stage.NEW
    assert (recorded.kind, recorded.channel, recorded.raised_by) == (
        "complaint",
        "in_person",
        "representative",
    )
    assert audit_actions_since(head) == ["complaint.recorded"]
    head = audit_head()
    resolve(recorded, compliance_officer, outcome="partly_upheld")
    assert audit_actions_since(head) == ["complaint.resolved"]
    assert Complaint.objects.get(pk=recorded.pk).status == "closed"


def test_a_complaint_without_a_case_is_for_compliance_officers(compliance_officer, supervisor, agent):
    recorded = complaint(None, compliance_officer, agent_id=agent.pk, raised_by="third_party")

    assert (recorded.case_id, recorded.agent_id, recorded.pack.code) == (None, agent.pk, "cn-default")
    with pytest.raises(DomainError) as refused:
        complaint(None, supervisor)
    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_a_dispute_is_not_resolved_as_a_complaint(case, supervisor, compliance_officer):
    opened = dispute(case, supervisor)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        disputes.complaint_resolve(
            complaint=opened, actor=compliance_officer, outcome="upheld", reason="x" * 12
        )

    assert refused.value.codes == ["WRONG_KIND"]
    assert audit_actions_since(head) == ["complaint.resolve.refused"]
