"""The visit log step by step: identity and credential checks (locked once confirmed), the conversation
(only with the verified debtor), the person-met-is-not-the-debtor path, the outcome, and autosave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.errors import DomainError
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.conftest import ARRIVAL, checks, conversation
from visits import services
from visits.models import VisitLog

pytestmark = pytest.mark.django_db

LATER = ARRIVAL + dt.timedelta(minutes=40)


def save(visit, actor, step, data, *, confirm=True, at=LATER):  # type: ignore[no-untyped-def]
    return services.visit_log_save(visit=visit, actor=actor, step=step, data=data, confirm=confirm, now=at)


def log_of(visit) -> VisitLog:  # type: ignore[no-untyped-def]
    return VisitLog.objects.filter(visit=visit).order_by("-version").first()


# --- identity and credentials ----------------------------------------------------------------------


def test_confirming_the_checks_records_them_and_their_decision(on_site, agent):
    head = audit_head()

    log = save(on_site, agent, "checks", checks(on_site))

    assert log.checks_confirmed_at == LATER
    assert log.checks_confirmed_by == agent
    assert log.identity_verified
    assert audit_actions_since(head) == ["rules.allowed", "visit.checks_confirmed"]
    data = audit_events_since(head)[-1].data
    assert data["identity_verified"] is True
    assert data["relation"] == "debtor"
    assert data["work_ids_shown"] == sorted(va.agent_id for va in on_site.visit_agents.all())


def test_the_last_digits_of_the_id_card_are_compared_not_stored(on_site, agent):
    number = on_site.case.debtor.id_number

    log = save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4=number[-4:]))

    assert log.id_match is True
    assert log.identity_verified
    stored = {f.name: getattr(log, f.name) for f in VisitLog._meta.fields}
    assert number[-4:] not in [str(v) for v in stored.values()]


def test_a_mistyped_id_is_a_correctable_error_that_locks_nothing(on_site, agent):
    number = on_site.case.debtor.id_number
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4="0000"))

    assert refused.value.codes == ["ID_MISMATCH"]
    assert refused.value.failures[0].field == "id_last4"
    assert "1 of 3" in str(refused.value)
    assert audit_actions_since(head) == ["visit.log_save.refused"]
    log = log_of(on_site)
    assert (log.id_tries, log.id_match, log.checks_confirmed) == (1, None, False)

    log = save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4=number[-4:]))

    assert log.identity_verified
    assert audit_events_since(head)[-1].data["id_tries"] == 1


def test_after_the_packs_tries_the_mismatch_is_recorded_and_is_not_the_debtor(on_site, agent):
    for _ in range(2):
        with pytest.raises(DomainError):
            save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4="0000"))
    head = audit_head()

    log = save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4="0000"))

    assert (log.id_match, log.id_tries, log.identity_verified) == (False, 3, False)
    assert audit_actions_since(head) == ["rules.allowed", "visit.checks_confirmed"]
    decision = RuleDecision.objects.filter(action="visit.checks").latest("pk")
    assert decision.inputs["facts"]["id_tries"] == 3


def test_once_the_tries_are_used_the_right_digits_no_longer_verify(on_site, agent):
    number = on_site.case.debtor.id_number
    for _ in range(2):
        with pytest.raises(DomainError):
            save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4="0000"))
    services.visit_log_save(
        visit=on_site,
        actor=agent,
        step="checks",
        data=checks(on_site, identification="id_card", id_last4="0000"),
        confirm=False,
        review=True,
        now=LATER,
    )

    log = save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4=number[-4:]))

    assert (log.id_match, log.identity_verified) == (False, False)


def test_the_review_keeps_the_draft_and_records_no_decision(on_site, agent):
    head = audit_head()

    log = services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site), confirm=False, review=True, now=LATER
    )

    assert not log.checks_confirmed
    assert log.relation == "debtor"
    assert audit_actions_since(head) == []
    assert not RuleDecision.objects.filter(action="visit.checks").exists()


def test_the_review_refuses_what_the_confirmation_would(on_site, agent):
    with pytest.raises(DomainError) as refused:
        services.visit_log_save(
            visit=on_site,
            actor=agent,
            step="checks",
            data=checks(on_site, authorization_shown=False),
            confirm=False,
            review=True,
            now=LATER,
        )

    assert refused.value.codes == ["CREDENTIALS_SHOWN"]
    assert not log_of(on_site).checks_confirmed


def test_the_autosave_compares_no_id(on_site, agent):
    save(on_site, agent, "checks", checks(on_site, identification="id_card", id_last4="0000"), confirm=False)

    log = log_of(on_site)
    assert (log.id_match, log.id_tries) == (None, 0)


def test_an_id_card_sighted_needs_its_last_digits(on_site, agent):
    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "checks", checks(on_site, identification="id_card"))

    assert refused.value.codes == ["FIELD_REQUIRED"]
    assert refused.value.failures[0].field == "id_last4"


def test_inside_without_consent_is_refused_and_the_decision_kept(on_site, agent):
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        save(on_site, agent, "checks", checks(on_site, entry="inside", entry_consent=False))

    assert refused.value.codes == ["ENTRY_CONSENT"]
    assert audit_actions_since(head) == ["rules.refused"]
    assert refused.value.decision.action == "visit.checks"
    assert not log_of(on_site).checks_confirmed


def test_inside_with_consent_is_recorded(on_site, agent):
    log = save(on_site, agent, "checks", checks(on_site, entry="inside", entry_consent=True))

    assert log.entry == "inside"
    assert log.entry_consent


def test_confirmed_checks_cannot_change(identified, agent):
    head = audit_head()

    unchanged = save(identified, agent, "checks", checks(identified))
    with pytest.raises(DomainError) as refused:
        save(identified, agent, "checks", checks(identified, relation="family"))

    assert unchanged.relation == "debtor"
    assert refused.value.codes == ["CHECKS_LOCKED"]
    assert audit_actions_since(head) == ["visit.log_save.refused"]
    assert log_of(identified).relation == "debtor"


def test_who_was_met_is_required_to_confirm(on_site, agent):
    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "checks", {"authorization_shown": True})

    assert "FIELD_REQUIRED" in refused.value.codes


def test_nobody_at_home_needs_no_identification(on_site, agent):
    log = save(
        on_site, agent, "checks", checks(on_site, relation="nobody", identification="known", entry="inside")
    )

    assert (log.relation, log.identification, log.entry) == ("nobody", "", "")
    assert not log.identity_verified


def test_the_work_ids_are_those_of_the_visits_agents(on_site, agent, other_team_agent):
    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "checks", checks(on_site, work_ids_shown=[agent.pk, other_team_agent.pk]))

    assert refused.value.codes == ["INVALID_INPUT"]


# --- the conversation: only with the verified debtor, after the credentials ------------------------


def test_the_conversation_is_logged_after_the_checks(identified, agent):
    head = audit_head()

    log = save(identified, agent, "conversation", conversation())

    assert log.conversation_saved_at == LATER
    assert log.talking_points.startswith("Explained")
    assert audit_actions_since(head) == ["rules.allowed", "visit.conversation_logged"]
    data = audit_events_since(head)[-1].data
    assert len(data["content_sha256"]) == 64
    assert "Lost his job" not in str(data)  # what was said is in the log, not in the audit trail


def test_no_conversation_before_the_checks(on_site, agent):
    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "conversation", conversation())

    assert refused.value.codes == ["CHECKS_MISSING"]


@pytest.mark.parametrize(
    "change",
    [{"relation": "family"}, {"identification": "not_identified"}],
    ids=["family-member", "not-identified"],
)
def test_no_conversation_unless_the_person_is_the_identified_debtor(on_site, agent, change):
    save(on_site, agent, "checks", checks(on_site, **change))

    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "conversation", conversation())

    assert refused.value.codes == ["IDENTITY_BEFORE_DISCLOSURE"]


def test_credentials_not_shown_cannot_be_confirmed_and_stay_correctable(on_site, agent, other_agent):
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        save(on_site, agent, "checks", checks(on_site, work_ids_shown=[agent.pk], authorization_shown=False))

    assert refused.value.codes == ["CREDENTIALS_SHOWN", "CREDENTIALS_SHOWN"]
    assert other_agent.display_name in str(refused.value)
    assert audit_actions_since(head) == ["rules.refused"]
    assert RuleDecision.objects.get(pk=refused.value.decision.pk).action == "visit.checks"
    assert not log_of(on_site).checks_confirmed

    assert save(on_site, agent, "checks", checks(on_site)).checks_confirmed


def test_nobody_met_needs_no_credentials(on_site, agent):
    log = save(
        on_site,
        agent,
        "checks",
        checks(
            on_site, relation="nobody", work_ids_shown=[], authorization_shown=False, purpose_stated=False
        ),
    )

    assert log.checks_confirmed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"started_at": ARRIVAL - dt.timedelta(hours=1)}, "started_at"),
        ({"ended_at": LATER + dt.timedelta(hours=2)}, "ended_at"),
        (
            {
                "started_at": ARRIVAL + dt.timedelta(minutes=30),
                "ended_at": ARRIVAL + dt.timedelta(minutes=10),
            },
            "ended_at",
        ),
    ],
    ids=["before-arrival", "in-the-future", "ends-before-it-starts"],
)
def test_impossible_times_are_refused(identified, agent, change, field):
    with pytest.raises(DomainError) as refused:
        save(identified, agent, "conversation", conversation(**change))

    assert refused.value.codes == ["TIME_INVALID"]
    assert refused.value.failures[0].field == field


def test_a_safety_incident_needs_what_happened(identified, agent):
    with pytest.raises(DomainError) as refused:
        save(identified, agent, "conversation", conversation(police_called=True))

    assert refused.value.codes == ["FIELD_REQUIRED"]
    assert refused.value.failures[0].field == "incident_note"


def test_police_called_is_a_safety_incident(identified, agent):
    log = save(
        identified,
        agent,
        "conversation",
        conversation(police_called=True, incident_note="Neighbour shouted."),
    )

    assert log.safety_incident
    assert log.police_called


# --- the person met is not the debtor -------------------------------------------------------------


def test_a_family_member_gets_nothing_about_the_debt(on_site, agent):
    save(on_site, agent, "checks", checks(on_site, relation="family"))
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        save(
            on_site,
            agent,
            "not_debtor",
            {"nothing_about_debt_said": False, "third_party_note": "Asked when he is home."},
        )
    log = save(
        on_site,
        agent,
        "not_debtor",
        {"nothing_about_debt_said": True, "third_party_note": "Asked when he is home."},
    )

    assert refused.value.codes == ["IDENTITY_BEFORE_DISCLOSURE"]
    assert log.nothing_about_debt_said
    assert audit_actions_since(head) == ["visit.log_save.refused", "visit.third_party_met"]
    assert "home" not in str(audit_events_since(head)[-1].data)


@pytest.mark.parametrize(
    "outcome", ["promise_to_pay", "agreement_to_draft", "dispute_raised", "refusal_to_pay"]
)
def test_a_debt_outcome_is_refused_when_the_debtor_was_not_met(on_site, agent, outcome):
    save(on_site, agent, "checks", checks(on_site, relation="colleague"))

    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "outcome", {"outcome": outcome})

    assert refused.value.codes == ["IDENTITY_BEFORE_DISCLOSURE"]


def test_the_debtor_logged_needs_the_conversation_before_the_outcome(identified, agent):
    with pytest.raises(DomainError) as refused:
        save(identified, agent, "outcome", {"outcome": "refusal_to_pay"})

    assert refused.value.codes == ["CONVERSATION_MISSING"]


# --- the outcome ------------------------------------------------------------------------------------


def test_a_promise_records_amount_and_date(talked, agent):
    head = audit_head()

    log = save(
        talked,
        agent,
        "outcome",
        {
            "outcome": "promise_to_pay",
            "promise_amount": Decimal("1000.00"),
            "promise_date": dt.date(2026, 12, 15),
        },
    )

    assert log.outcome == "promise_to_pay"
    assert log.promise_amount == Decimal("1000.00")
    assert audit_actions_since(head) == ["visit.outcome_recorded"]
    assert audit_events_since(head)[-1].data["promise"] == ["1000.00", "CNY", "2026-12-15"]


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (
            {"outcome": "promise_to_pay", "promise_date": dt.date(2026, 12, 15)},
            "FIELD_REQUIRED",
            "promise_amount",
        ),
        ({"outcome": "promise_to_pay", "promise_amount": Decimal("1")}, "FIELD_REQUIRED", "promise_date"),
        (
            {
                "outcome": "promise_to_pay",
                "promise_amount": Decimal("99999"),
                "promise_date": dt.date(2026, 12, 1),
            },
            "PROMISE_TOO_LARGE",
            "promise_amount",
        ),
        (
            {
                "outcome": "promise_to_pay",
                "promise_amount": Decimal("10"),
                "promise_date": dt.date(2026, 11, 1),
            },
            "DATE_INVALID",
            "promise_date",
        ),
        (
            {
                "outcome": "promise_to_pay",
                "promise_amount": Decimal("10"),
                "promise_date": dt.date(2026, 12, 1),
                "promise_currency": "USD",
            },
            "CURRENCY_MISMATCH",
            "promise_currency",
        ),
        ({"outcome": "dispute_raised"}, "FIELD_REQUIRED", "dispute_text"),
        ({"outcome": "rescheduled"}, "FIELD_REQUIRED", "reschedule_note"),
        ({"outcome": "debtor_not_met"}, "OUTCOME_INVALID", "outcome"),
        ({"outcome": ""}, "FIELD_REQUIRED", "outcome"),
    ],
)
def test_an_incomplete_or_impossible_outcome_is_refused(talked, agent, data, code, field):
    with pytest.raises(DomainError) as refused:
        save(talked, agent, "outcome", data)

    assert refused.value.codes == [code]
    assert refused.value.failures[0].field == field


# --- autosave --------------------------------------------------------------------------------------


def test_autosave_keeps_what_is_typed_and_records_nothing(identified, agent):
    head = audit_head()

    log = save(identified, agent, "conversation", {"talking_points": "Half written"}, confirm=False)

    assert log.talking_points == "Half written"
    assert log.conversation_saved_at is None
    assert audit_actions_since(head) == []


def test_autosave_of_unconfirmed_checks_keeps_them_editable(on_site, agent):
    save(on_site, agent, "checks", {"relation": "debtor", "entry": "inside"}, confirm=False)

    log = save(on_site, agent, "checks", checks(on_site), confirm=True)

    assert log.entry == "doorstep"
    assert log.checks_confirmed


@pytest.mark.parametrize("role", ["supervisor", "other_team_agent", "compliance_officer"])
def test_only_the_visits_agents_fill_the_log(on_site, all_roles, role):
    with pytest.raises(DomainError) as refused:
        save(on_site, all_roles[role], "checks", checks(on_site))

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_an_unknown_step_is_refused(on_site, agent):
    with pytest.raises(DomainError) as refused:
        save(on_site, agent, "gossip", {})

    assert refused.value.codes == ["INVALID_INPUT"]


def test_the_not_the_debtor_step_is_refused_when_the_debtor_was_met(identified, agent):
    with pytest.raises(DomainError) as refused:
        save(identified, agent, "not_debtor", {"nothing_about_debt_said": True})

    assert refused.value.codes == ["WRONG_STEP"]


def test_a_submitted_log_cannot_be_changed(talked, agent):
    from tests.visits.conftest import attest_all, keyed

    save(talked, agent, "outcome", {"outcome": "refusal_to_pay"})
    attest_all(talked)
    services.visit_complete(visit=talked, actor=agent, idempotency_key=keyed(), now=LATER)

    with pytest.raises(DomainError) as refused:
        save(talked, agent, "conversation", {"talking_points": "Changed afterwards"})

    assert refused.value.codes == ["LOG_NOT_EDITABLE"]
    assert log_of(talked).talking_points.startswith("Explained")
