"""Conduct attestation, completing the visit (the case moves by the outcome), double submission, late
logs, the supervisor's review with versioned corrections, and a visit ended without a log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from cases.models import Stage
from common.errors import DomainError
from compliance.refusals import RulesRefused
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.conftest import ARRIVAL, attest_all, checks, keyed
from tests.visits.factories import local
from visits import selectors, services
from visits.models import CONDUCT_ITEMS, ContactAttempt, ContactResult, LogStatus, VisitLog, VisitState

pytestmark = pytest.mark.django_db

DONE = ARRIVAL + dt.timedelta(minutes=45)
ALL_ITEMS = [code for code, _label in CONDUCT_ITEMS]


def outcome(visit, actor, **data):  # type: ignore[no-untyped-def]
    return services.visit_log_save(visit=visit, actor=actor, step="outcome", data=data, now=DONE)


def complete(visit, actor, *, key=None, at=DONE, **kwargs):  # type: ignore[no-untyped-def]
    return services.visit_complete(visit=visit, actor=actor, idempotency_key=key or keyed(), now=at, **kwargs)


# --- attestation ------------------------------------------------------------------------------------


def test_each_agent_attests_for_themself_once(on_site, agent):
    head = audit_head()
    key = keyed()

    first = services.visit_attest(visit=on_site, actor=agent, idempotency_key=key, items=ALL_ITEMS, now=DONE)
    again = services.visit_attest(visit=on_site, actor=agent, idempotency_key=key, items=ALL_ITEMS, now=DONE)
    with pytest.raises(DomainError) as twice:
        services.visit_attest(visit=on_site, actor=agent, idempotency_key=keyed(), items=ALL_ITEMS, now=DONE)

    assert again.pk == first.pk
    assert first.items == ALL_ITEMS
    assert twice.value.codes == ["ALREADY_ATTESTED"]
    assert audit_actions_since(head) == ["visit.conduct_attested", "visit.attest.refused"]


def test_an_attestation_must_cover_every_item(on_site, agent):
    with pytest.raises(DomainError) as refused:
        services.visit_attest(
            visit=on_site, actor=agent, idempotency_key=keyed(), items=ALL_ITEMS[:-1], now=DONE
        )

    assert refused.value.codes == ["CONDUCT_ATTESTED"]


@pytest.mark.parametrize("role", ["supervisor", "other_team_agent", "compliance_officer"])
def test_only_the_visits_agents_attest(on_site, all_roles, role):
    with pytest.raises(DomainError) as refused:
        services.visit_attest(
            visit=on_site, actor=all_roles[role], idempotency_key=keyed(), items=ALL_ITEMS, now=DONE
        )

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_attesting_before_the_visit_starts_is_refused(notified, agent):
    with pytest.raises(DomainError) as refused:
        services.visit_attest(visit=notified, actor=agent, idempotency_key=keyed(), items=ALL_ITEMS, now=DONE)

    assert refused.value.codes == ["WRONG_STATE"]


# --- completion -------------------------------------------------------------------------------------


def test_completion_needs_every_agents_attestation(talked, agent, other_agent):
    outcome(talked, agent, outcome="refusal_to_pay")
    services.visit_attest(visit=talked, actor=agent, idempotency_key=keyed(), items=ALL_ITEMS, now=DONE)
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        complete(talked, agent)

    assert refused.value.codes == ["CONDUCT_ATTESTED"]
    assert other_agent.display_name in str(refused.value)
    assert audit_actions_since(head) == ["rules.refused"]
    talked.refresh_from_db()
    assert talked.state == VisitState.ON_SITE


@pytest.mark.parametrize(
    ("data", "stage"),
    [
        ({"outcome": "agreement_to_draft"}, Stage.CONVERSATION_LOGGED),
        (
            {
                "outcome": "promise_to_pay",
                "promise_amount": Decimal("500.00"),
                "promise_date": dt.date(2026, 12, 20),
            },
            Stage.FOLLOW_UP,
        ),
        ({"outcome": "refusal_to_pay"}, Stage.FOLLOW_UP),
        ({"outcome": "asked_to_leave"}, Stage.FOLLOW_UP),
        ({"outcome": "we_left"}, Stage.FOLLOW_UP),
        ({"outcome": "rescheduled", "reschedule_note": "Next Tuesday after 18:00"}, Stage.FOLLOW_UP),
        ({"outcome": "asked_to_leave", "refuses_visits": True}, Stage.VISITS_REFUSED),
    ],
)
def test_the_case_moves_by_the_outcome(talked, agent, data, stage):
    outcome(talked, agent, **data)
    attest_all(talked)
    head = audit_head()

    visit = complete(talked, agent)

    visit.refresh_from_db()
    assert visit.state == VisitState.COMPLETED
    assert visit.outcome == data["outcome"]
    assert visit.case.stage == stage
    assert audit_actions_since(head) == ["rules.allowed", "visit.completed"]
    event = audit_events_since(head)[-1].data
    if "dispute" in event:  # the case was held by the dispute: its stage change is `case.held`'s
        assert visit.case.stage == Stage.ON_HOLD
    else:
        assert (event["stage"]["from"], event["stage"]["to"]) == (Stage.ON_SITE, stage)
    assert event["late"] is False
    assert len(event["content_sha256"]) == 64
    log = visit.logs.get()
    assert log.status == LogStatus.SUBMITTED
    assert log.submitted_by == agent
    contact = ContactAttempt.objects.get(visit=visit, channel="visit")
    assert contact.result == ContactResult.DEBTOR_MET
    assert contact.channel == "visit"
    assert visit.case.debtor.visits_refused is bool(data.get("refuses_visits"))


def test_a_double_tap_on_complete_records_once(talked, agent):
    outcome(talked, agent, outcome="refusal_to_pay")
    attest_all(talked)
    key = keyed()
    complete(talked, agent, key=key)
    head = audit_head()

    again = complete(talked, agent, key=key, at=DONE + dt.timedelta(seconds=20))

    assert again.state == VisitState.COMPLETED
    assert audit_actions_since(head) == []
    assert ContactAttempt.objects.filter(visit=talked, channel="visit").count() == 1


def test_a_log_that_reaches_the_server_after_the_window_is_recorded_and_flagged(talked, agent):
    outcome(talked, agent, outcome="refusal_to_pay")
    attest_all(talked)
    phone_time = local(2026, 11, 26, 11, 50)

    complete(talked, agent, at=local(2026, 11, 26, 14, 30), client_submitted_at=phone_time)

    log = talked.logs.get()
    assert log.late is True
    assert log.client_submitted_at == phone_time
    assert log.submitted_at == local(2026, 11, 26, 14, 30)


def test_a_completed_visit_with_the_debtor_counts_toward_the_frequency_cap(talked, agent):
    outcome(talked, agent, outcome="refusal_to_pay")
    attest_all(talked)
    complete(talked, agent)

    assert selectors.counted_visit_times(talked.case) == (talked.window_start,)


def test_nobody_at_home_completes_without_a_conversation_and_does_not_count(on_site, agent):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, relation="nobody"), now=DONE
    )
    outcome(on_site, agent, outcome="debtor_not_met")
    attest_all(on_site)

    complete(on_site, agent)

    on_site.refresh_from_db()
    assert on_site.case.stage == Stage.FOLLOW_UP
    assert ContactAttempt.objects.get(visit=on_site, channel="visit").result == ContactResult.NOT_MET
    assert selectors.counted_visit_times(on_site.case) == ()


def test_a_family_member_met_needs_the_no_disclosure_confirmation(on_site, agent):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, relation="family"), now=DONE
    )
    outcome(on_site, agent, outcome="location_question")
    attest_all(on_site)

    with pytest.raises(DomainError) as refused:
        complete(on_site, agent)
    services.visit_log_save(
        visit=on_site, actor=agent, step="not_debtor", data={"nothing_about_debt_said": True}, now=DONE
    )
    complete(on_site, agent)

    assert refused.value.codes == ["IDENTITY_BEFORE_DISCLOSURE"]
    assert ContactAttempt.objects.get(visit=on_site, channel="visit").result == ContactResult.OTHER_MET


@pytest.mark.parametrize(
    ("prepare", "code"),
    [("checks", "CONVERSATION_MISSING"), ("none", "CHECKS_MISSING"), ("talked", "FIELD_REQUIRED")],
)
def test_an_unfinished_log_cannot_be_completed(on_site, agent, prepare, code):
    if prepare in ("checks", "talked"):
        services.visit_log_save(visit=on_site, actor=agent, step="checks", data=checks(on_site), now=DONE)
    if prepare == "talked":
        from tests.visits.conftest import conversation

        services.visit_log_save(
            visit=on_site, actor=agent, step="conversation", data=conversation(), now=DONE
        )
    attest_all(on_site)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        complete(on_site, agent)

    assert code in refused.value.codes
    assert audit_actions_since(head) == ["visit.complete.refused"]


def test_the_supervisors_are_emailed_after_commit(
    talked, agent, supervisor, django_capture_on_commit_callbacks
):
    supervisor.email = "sup@example.test"
    supervisor.save()
    outcome(talked, agent, outcome="refusal_to_pay")
    attest_all(talked)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        complete(talked, agent)

    assert len(callbacks) == 1
    (message,) = mail.outbox
    assert message.to == ["sup@example.test"]
    assert str(talked.case) in message.subject
    assert talked.case.debtor.name not in message.body


# --- review -----------------------------------------------------------------------------------------


@pytest.fixture
def completed(talked, agent):  # type: ignore[no-untyped-def]
    outcome(
        talked,
        agent,
        outcome="promise_to_pay",
        promise_amount=Decimal("800.00"),
        promise_date=dt.date(2026, 12, 10),
    )
    attest_all(talked)
    complete(talked, agent)
    talked.refresh_from_db()
    return talked


def test_a_supervisor_accepts_the_log(completed, supervisor):
    head = audit_head()

    log = services.visit_log_accept(visit=completed, actor=supervisor, comment="Clear.", now=DONE)

    completed.refresh_from_db()
    assert completed.state == VisitState.ACCEPTED
    assert log.status == LogStatus.ACCEPTED
    assert log.reviewed_by == supervisor
    assert audit_actions_since(head) == ["visit.log_accepted"]


@pytest.mark.parametrize("role", ["agent", "other_agent", "other_supervisor", "compliance_officer"])
def test_only_a_supervisor_of_the_team_not_on_the_visit_reviews(completed, all_roles, role):
    with pytest.raises(DomainError) as refused:
        services.visit_log_accept(visit=completed, actor=all_roles[role], now=DONE)

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_a_returned_log_is_corrected_in_a_new_version_and_the_original_stays(completed, supervisor, agent):
    head = audit_head()

    draft = services.visit_log_return(
        visit=completed, actor=supervisor, comment="Add the reasons for default.", now=DONE
    )
    services.visit_log_save(
        visit=completed,
        actor=agent,
        step="conversation",
        data={"default_reasons": "Lost his job in August; his wife is ill."},
        now=DONE,
    )
    resubmitted = services.visit_log_resubmit(visit=completed, actor=agent, idempotency_key=keyed(), now=DONE)

    completed.refresh_from_db()
    assert completed.state == VisitState.COMPLETED
    v1, v2 = VisitLog.objects.filter(visit=completed).order_by("version")
    assert (v1.status, v2.status) == (LogStatus.RETURNED, LogStatus.SUBMITTED)
    assert v1.default_reasons == "Lost his job in August."  # the original is kept as it was
    assert v2.default_reasons.endswith("his wife is ill.")
    assert draft.pk == v2.pk == resubmitted.pk
    assert v1.review_comment == "Add the reasons for default."
    assert audit_actions_since(head) == [
        "visit.log_returned",
        "rules.allowed",
        "visit.conversation_logged",
        "visit.log_resubmitted",
    ]
    assert audit_events_since(head)[-1].data["changed"] == ["default_reasons"]
    assert completed.case.stage == Stage.FOLLOW_UP  # the outcome did not change, nor the stage


@pytest.mark.parametrize(
    ("step", "data", "field"),
    [
        ("outcome", {"outcome": "refusal_to_pay"}, "outcome"),
        ("outcome", {"refuses_visits": True}, "refuses_visits"),
    ],
)
def test_a_correction_cannot_change_the_outcome(completed, supervisor, agent, step, data, field):
    services.visit_log_return(visit=completed, actor=supervisor, comment="Check the promise.", now=DONE)

    with pytest.raises(DomainError) as refused:
        services.visit_log_save(visit=completed, actor=agent, step=step, data=data, now=DONE)

    assert refused.value.codes == ["NOT_CORRECTABLE"]
    assert refused.value.failures[0].field == field


def test_a_correction_cannot_change_the_checks(completed, supervisor, agent):
    services.visit_log_return(visit=completed, actor=supervisor, comment="Check the identity.", now=DONE)

    with pytest.raises(DomainError) as refused:
        services.visit_log_save(
            visit=completed, actor=agent, step="checks", data=checks(completed, relation="family"), now=DONE
        )

    assert refused.value.codes == ["CHECKS_LOCKED"]


def test_returning_needs_a_comment(completed, supervisor):
    with pytest.raises(DomainError) as refused:
        services.visit_log_return(visit=completed, actor=supervisor, comment=" ", now=DONE)

    assert refused.value.codes == ["FIELD_REQUIRED"]


def test_an_accepted_log_cannot_be_returned(completed, supervisor):
    services.visit_log_accept(visit=completed, actor=supervisor, now=DONE)

    with pytest.raises(DomainError) as refused:
        services.visit_log_return(visit=completed, actor=supervisor, comment="Too late", now=DONE)

    assert refused.value.codes == ["WRONG_STATE"]


# --- a visit ended without a log -------------------------------------------------------------------


def test_a_supervisor_ends_a_visit_that_cannot_be_completed(identified, supervisor):
    head = audit_head()

    services.visit_abort(
        visit=identified,
        actor=supervisor,
        reason="Agent Zhao cannot attest: the debtor was pushed.",
        now=DONE,
    )

    identified.refresh_from_db()
    assert identified.state == VisitState.ABORTED
    assert identified.case.stage == Stage.FOLLOW_UP
    assert audit_actions_since(head) == ["visit.aborted"]
    assert audit_events_since(head)[-1].data["attested"] == []
    assert ContactAttempt.objects.get(visit=identified, channel="visit").result == ContactResult.DEBTOR_MET


@pytest.mark.parametrize(
    ("role", "reason", "code"),
    [("agent", "A long enough reason", "PERMISSION_DENIED"), ("supervisor", "short", "FIELD_REQUIRED")],
)
def test_ending_a_visit_is_for_a_supervisor_with_a_reason(on_site, all_roles, role, reason, code):
    with pytest.raises(DomainError) as refused:
        services.visit_abort(visit=on_site, actor=all_roles[role], reason=reason, now=DONE)

    assert refused.value.codes == [code]


# --- a dispute raised on site -----------------------------------------------------------------------


def test_a_dispute_raised_on_site_opens_a_dispute_and_holds_the_case(talked, agent, other_agent, plan):
    from compliance.models import Complaint

    outcome(talked, agent, outcome="dispute_raised", dispute_text="Says the interest was never agreed.")
    attest_all(talked)
    head = audit_head()

    complete(talked, other_agent)  # an agent of the visit not assigned to the case may complete it

    talked.refresh_from_db()
    assert talked.case.stage == Stage.ON_HOLD
    dispute = Complaint.objects.get(case_id=talked.case_id)
    assert (dispute.kind, dispute.channel, dispute.visit_id, dispute.status) == (
        "dispute",
        "visit",
        talked.pk,
        "open",
    )
    assert dispute.text == "Says the interest was never agreed."
    actions = audit_actions_since(head)
    assert actions[0] == "rules.allowed"
    assert {"dispute.opened", "case.held"} <= set(actions)
    assert actions[-1] == "visit.completed"
    assert audit_events_since(head)[-1].data["dispute"] == dispute.pk
    # No further visit while it is open: the case is on hold, and the rules see the open dispute.
    from tests.visits.conftest import plan_with
    from tests.visits.factories import local as at

    with pytest.raises(DomainError) as refused:
        services.visit_plan(
            **plan_with(plan, window_start=at(2026, 12, 3, 10), window_end=at(2026, 12, 3, 12), now=DONE)
        )
    assert refused.value.codes == ["WRONG_STAGE"]
    facts = selectors.visit_facts(
        case=talked.case,
        address=talked.address,
        agents=[agent],
        window_start=talked.window_start,
        window_end=talked.window_end,
    )
    assert facts.dispute_open is True
