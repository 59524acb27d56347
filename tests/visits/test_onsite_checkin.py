"""Check-in: each agent's arrival, the rules of the check-in moment (each refusal with its code), the
start of the visit once the pack's minimum is on site, idempotency, and exactly the audit events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Stage
from common.errors import DomainError
from compliance.models import Complaint, RuleDecision
from compliance.refusals import RulesRefused
from tests.debtor_fact_helpers import put_facts
from tests.factories import UserFactory, audit_actions_since, audit_events_since, audit_head
from tests.visits.conftest import ARRIVAL, keyed
from tests.visits.factories import local
from visits import services
from visits.models import LogStatus, PositionStatus, Visit, VisitCheckIn, VisitState

pytestmark = pytest.mark.django_db


def check_in(visit: Visit, actor, *, at: dt.datetime = ARRIVAL, **kwargs):  # type: ignore[no-untyped-def]
    return services.visit_check_in(
        visit=visit, actor=actor, idempotency_key=kwargs.pop("key", keyed()), now=at, **kwargs
    )


def test_the_first_agent_checks_in_and_the_visit_waits_for_the_second(notified, agent):
    head = audit_head()

    arrival = check_in(
        notified,
        agent,
        position=services.Position(Decimal("31.188500"), Decimal("121.436500"), 15),
        position_status=PositionStatus.GIVEN,
    )

    notified.refresh_from_db()
    assert notified.state == VisitState.NOTIFIED
    assert arrival.agent == agent
    assert arrival.at == ARRIVAL
    assert arrival.accuracy_m == 15
    assert arrival.distance_m is None
    assert arrival.decision.action == "visit.check_in"
    assert arrival.decision.outcome == RuleDecision.Outcome.ALLOWED
    assert audit_actions_since(head) == ["rules.allowed", "visit.checked_in"]
    event = audit_events_since(head)[-1]
    assert event.data["position"] == "given"
    assert event.data["accuracy_m"] == 15
    assert "31.1885" not in str(event.data)  # the location is never in the audit trail


def test_the_second_agent_starts_the_visit_and_the_case_goes_on_site(notified, agent, other_agent):
    check_in(notified, agent)
    head = audit_head()

    check_in(notified, other_agent, at=ARRIVAL + dt.timedelta(minutes=2))

    notified.refresh_from_db()
    assert notified.state == VisitState.ON_SITE
    assert notified.on_site_at == ARRIVAL + dt.timedelta(minutes=2)
    assert notified.case.stage == Stage.ON_SITE
    log = notified.logs.get()
    assert (log.version, log.status) == (1, LogStatus.DRAFT)
    assert log.authorization_number == notified.case.mandate.number  # pre-filled for the checklist
    assert audit_actions_since(head) == [
        "rules.allowed",
        "visit.checked_in",
        "rules.allowed",
        "visit.on_site",
    ]
    started = audit_events_since(head)[-1].data
    assert started["stage"] == {
        "from": Stage.NOTICE_GIVEN,
        "to": Stage.ON_SITE,
        "transition": "start_on_site",
    }
    assert started["agents"] == sorted([agent.pk, other_agent.pk])
    start_decision = RuleDecision.objects.get(pk=started["decision"])
    assert start_decision.action == "visit.start"
    assert start_decision.inputs["facts"]["checked_in_agents"] == sorted([agent.pk, other_agent.pk])


def test_the_distance_to_an_address_with_coordinates_is_recorded(notified, agent):
    address = notified.address
    address.latitude, address.longitude = Decimal("31.188500"), Decimal("121.436500")
    address.save()

    arrival = check_in(
        notified,
        agent,
        position=services.Position(Decimal("31.189400"), Decimal("121.436500"), 8),
        position_status=PositionStatus.GIVEN,
    )

    assert 95 <= arrival.distance_m <= 105  # 0.0009° of latitude is about 100 m


def test_an_agent_who_does_not_share_the_location_still_checks_in(notified, agent):
    arrival = check_in(notified, agent, position_status=PositionStatus.DENIED)

    assert arrival.position_status == "denied"
    assert arrival.latitude is None
    assert arrival.accuracy_m is None


def test_a_double_tap_records_one_check_in(notified, agent):
    key = keyed()
    first = check_in(notified, agent, key=key)
    head = audit_head()

    again = check_in(notified, agent, key=key, at=ARRIVAL + dt.timedelta(seconds=30))

    assert again.pk == first.pk
    assert VisitCheckIn.objects.filter(visit=notified).count() == 1
    assert audit_actions_since(head) == []


def test_checking_in_twice_is_refused_with_the_first_time(notified, agent):
    check_in(notified, agent)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        check_in(notified, agent, at=ARRIVAL + dt.timedelta(minutes=5))

    assert refused.value.codes == ["ALREADY_CHECKED_IN"]
    assert "10:05" in str(refused.value)
    assert audit_actions_since(head) == ["visit.check_in.refused"]


def test_a_key_reused_by_another_agent_is_refused(notified, agent, other_agent):
    key = keyed()
    check_in(notified, agent, key=key)

    with pytest.raises(DomainError) as refused:
        check_in(notified, other_agent, key=key)

    assert refused.value.codes == ["IDEMPOTENCY_KEY"]


@pytest.mark.parametrize("key", ["", "short", "has spaces in it!"])
def test_a_missing_or_malformed_key_is_refused(notified, agent, key):
    with pytest.raises(DomainError) as refused:
        check_in(notified, agent, key=key)

    assert refused.value.codes == ["IDEMPOTENCY_KEY"]
    assert not VisitCheckIn.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "other_team_agent", "compliance_officer", "other_supervisor"])
def test_only_the_agents_of_the_visit_check_in(notified, all_roles, role):
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        check_in(notified, all_roles[role])

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert audit_actions_since(head) == ["visit.check_in.refused"]


def test_an_agent_of_the_team_not_on_the_visit_cannot_check_in(notified, team):
    outsider = UserFactory(team=team, roles=["field_agent"])

    with pytest.raises(DomainError) as refused:
        check_in(notified, outsider)

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_a_visit_not_yet_approved_cannot_be_checked_in(planned, agent):
    with pytest.raises(DomainError) as refused:
        check_in(planned, agent)

    assert refused.value.codes == ["WRONG_STATE"]


def test_a_bad_position_is_refused(notified, agent):
    with pytest.raises(DomainError) as refused:
        check_in(
            notified,
            agent,
            position=services.Position(Decimal("95"), Decimal("121"), 5),
            position_status=PositionStatus.GIVEN,
        )

    assert refused.value.codes == ["POSITION_INVALID"]


# --- the rules at check-in: each refusal records its decision and checks nobody in --------------------


def refused_codes(visit: Visit, actor, at: dt.datetime = ARRIVAL) -> list[str]:  # type: ignore[no-untyped-def]
    head = audit_head()
    with pytest.raises(RulesRefused) as refused:
        check_in(visit, actor, at=at)
    assert audit_actions_since(head) == ["rules.refused"]
    assert refused.value.decision.action == "visit.check_in"
    assert not VisitCheckIn.objects.filter(visit=visit, agent=actor).exists()
    return refused.value.codes


def test_outside_the_debtors_hours_is_refused(notified, agent):
    # 22:30 in Shanghai: outside 08:00–22:00, and outside the notified window too.
    assert refused_codes(notified, agent, at=local(2026, 11, 26, 22, 30)) == [
        "CONTACT_WINDOW",
        "VISIT_WINDOW",
    ]


def test_outside_the_notified_window_is_refused(notified, agent):
    assert refused_codes(notified, agent, at=local(2026, 11, 26, 13)) == ["VISIT_WINDOW"]


def test_an_approved_visit_without_notice_is_refused(approved_visit, agent):
    assert refused_codes(approved_visit, agent) == ["NOTICE_LEAD_TIME"]


def test_an_expired_mandate_is_refused(notified, agent):
    mandate = notified.case.mandate
    mandate.valid_until = dt.date(2026, 11, 25)
    mandate.save()

    assert refused_codes(notified, agent) == ["MANDATE_VALID"]


def test_an_agent_whose_training_lapsed_is_refused(notified, agent):
    agent.training_valid_until = dt.date(2026, 11, 25)
    agent.save()

    assert refused_codes(notified, agent) == ["AGENT_QUALIFIED"]


@pytest.mark.parametrize(
    ("flag", "code"),
    [
        ("contact_ceased", "CEASE_CONTACT"),
        ("represented", "REPRESENTED"),
        ("visits_refused", "VISIT_REFUSED"),
        ("vulnerable", "VULNERABLE"),
        ("disputed", "DISPUTE_OPEN"),
    ],
)
def test_a_flag_raised_since_approval_is_refused(notified, agent, flag, code):
    if flag == "visits_refused":  # as the notice-refusal service leaves it
        notified.case.debtor.visits_refused = True
        notified.case.debtor.save()
    else:  # the fact recorded through its service
        put_facts(notified.case, **{flag: True})

    assert refused_codes(notified, agent) == [code]


def test_an_open_complaint_is_refused(notified, agent):
    Complaint.objects.create(
        channel="public_page",
        case_id=notified.case_id,
        visit_id=notified.pk,
        created_at=ARRIVAL,
        received_at=ARRIVAL,
    )

    assert refused_codes(notified, agent) == ["DISPUTE_OPEN"]


def test_a_notice_lead_time_overridden_on_approval_does_not_refuse_again(
    planned, supervisor, agent, other_agent
):
    """Approved late with a supervisor's override of NOTICE_LEAD_TIME, notified 12 h ahead: check-in
    carries the override as a warning instead of refusing what was already decided."""
    services.visit_approve(
        visit=planned,
        actor=supervisor,
        override_reason="Debtor asked for this slot by phone.",
        now=local(2026, 11, 25, 21, 30),
    )
    services.notice_record(
        visit=planned,
        actor=agent,
        channel="phone",
        given_at=local(2026, 11, 25, 21, 40),
        language="zh-hans",
        now=local(2026, 11, 25, 21, 45),
    )

    arrival = check_in(planned, agent)

    assert arrival.decision.outcome == RuleDecision.Outcome.WARNED
    (warning,) = arrival.decision.failures
    assert warning["code"] == "NOTICE_LEAD_TIME"
    assert warning["level"] == "warn"
    assert "overridden earlier" in warning["message"]


def test_on_site_work_before_the_visit_starts_names_min_agents(notified, agent):
    check_in(notified, agent)

    with pytest.raises(DomainError) as refused:
        services.visit_log_save(
            visit=notified, actor=agent, step="checks", data={"relation": "debtor"}, now=ARRIVAL
        )

    assert refused.value.codes == ["MIN_AGENTS"]
    assert "1 of the 2" in str(refused.value)


def test_a_pack_of_one_agent_starts_at_the_first_check_in(notified, agent, creditor):
    creditor.rule_pack_code = "us"  # the shipped US pack: one agent on a visit
    creditor.save()

    check_in(notified, agent)

    notified.refresh_from_db()
    assert notified.state == VisitState.ON_SITE
