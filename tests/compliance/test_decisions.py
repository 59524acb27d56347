"""Rule decisions: every evaluation is recorded with its pack row, inputs and outcome, and audited once;
a supervisor's override is its own decision and its own audit event."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from cases.models import VerificationStatus
from common.errors import DomainError
from common.pii import digest
from compliance.decisions import evaluate, override
from compliance.models import RuleDecision, RulePack
from tests.factories import AddressFactory, PhoneFactory, audit_actions_since, audit_events_since, audit_head
from tests.visits.factories import local
from visits.selectors import visit_facts

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 23, 10)
REASON = "Debtor asked us to come back this week."


@pytest.fixture
def pack():  # type: ignore[no-untyped-def]
    return RulePack.objects.get(code="cn-default", version=1)


@pytest.fixture
def address(case):  # type: ignore[no-untyped-def]
    PhoneFactory(debtor=case.debtor, number="13812345678")
    return AddressFactory(
        debtor=case.debtor,
        kind="home",
        text="上海市徐汇区漕溪北路88号",
        time_zone="Asia/Shanghai",
        status=VerificationStatus.VERIFIED,
    )


@pytest.fixture
def facts(case, address, agent, other_agent):  # type: ignore[no-untyped-def]
    """Facts of a visit the CN pack allows, built from the database as the visit services build them."""
    return visit_facts(
        case=case,
        address=address,
        agents=[agent, other_agent],
        window_start=local(2026, 11, 26, 10),
        window_end=local(2026, 11, 26, 12),
    )


def run(facts, pack, actor, *, case, moment="plan"):  # type: ignore[no-untyped-def]
    return evaluate(
        action="visit.plan",
        moment=moment,
        facts=facts,
        pack=pack,
        actor=actor,
        now=NOW,
        object_type="visits.visit",
        object_id="41",
        case_id=case.pk,
    )


@pytest.mark.parametrize(
    ("changes", "outcome", "codes"),
    [
        ({}, "allowed", []),
        ({"overdue_since": dt.date(2020, 1, 1)}, "warned", ["LIMITATION"]),
        ({"vulnerable": True}, "refused", ["VULNERABLE"]),
        ({"vulnerable": True, "overdue_since": dt.date(2020, 1, 1)}, "refused", ["VULNERABLE", "LIMITATION"]),
    ],
)
def test_evaluate_records_the_decision_and_one_audit_event(facts, pack, agent, case, changes, outcome, codes):
    head = audit_head()

    evaluation = run(dataclasses.replace(facts, **changes), pack, agent, case=case)

    decision = RuleDecision.objects.get()
    assert evaluation.decision == decision
    assert decision.outcome == outcome
    assert decision.pack == pack
    assert (decision.action, decision.object_type, decision.object_id) == ("visit.plan", "visits.visit", "41")
    assert decision.case_id == case.pk
    assert decision.actor == agent
    assert decision.at == NOW
    assert [f["code"] for f in decision.failures] == codes
    for failure in decision.failures:
        assert failure["message"]
        assert failure["source"]
        assert failure["level"] in {"refuse", "warn"}
    assert decision.inputs["moment"] == "plan"
    assert decision.inputs["pack"]["code"] == "cn-default"
    assert decision.inputs["pack"]["version"] == 1

    (event,) = audit_events_since(head)
    assert event.action == f"rules.{outcome}"
    assert (event.object_type, event.object_id) == ("compliance.ruledecision", str(decision.pk))
    assert event.case_id == case.pk
    assert event.actor == f"user:{agent.pk}"
    assert event.data["inputs"] == decision.inputs  # the audit event carries the same trace
    assert event.data["codes"] == codes
    assert event.data["pack"] == ["cn-default", 1]
    assert event.data["subject"] == "visits.visit:41"


def test_evaluation_properties(facts, pack, agent, case):
    warned = run(dataclasses.replace(facts, overdue_since=dt.date(2020, 1, 1)), pack, agent, case=case)
    assert not warned.blocked
    assert [f.code for f in warned.warnings] == ["LIMITATION"]
    assert not warned.overridable

    refused = run(dataclasses.replace(facts, vulnerable=True), pack, agent, case=case)
    assert refused.blocked
    assert refused.overridable
    assert refused.error().codes == ["VULNERABLE"]

    hard = run(dataclasses.replace(facts, vulnerable=True, contact_ceased=True), pack, agent, case=case)
    assert hard.blocked
    assert not hard.overridable


def test_the_trace_holds_no_personal_data(facts, pack, agent, case, address):
    debtor = case.debtor
    phone = debtor.phones.get().number
    everything = dataclasses.replace(facts, vulnerable=True, overdue_since=dt.date(2020, 1, 1))
    head = audit_head()

    decision = run(everything, pack, agent, case=case).decision

    stored = json.dumps(decision.inputs, ensure_ascii=False) + json.dumps(
        decision.failures, ensure_ascii=False
    )
    audited = json.dumps([e.data for e in audit_events_since(head)], ensure_ascii=False)
    for secret in [debtor.id_number, phone, address.text, debtor.name, agent.work_id_number]:
        assert secret not in stored
        assert secret not in audited
    # ... but enough to explain the outcome months later
    assert decision.inputs["facts"]["time_zones"] == ["Asia/Shanghai"]
    assert decision.inputs["facts"]["mandate"] == case.mandate.number
    assert decision.inputs["facts"]["flags"]["vulnerable"] is True


def test_the_system_may_evaluate(facts, pack, case):
    head = audit_head()
    decision = run(facts, pack, None, case=case).decision
    assert decision.actor is None
    assert audit_events_since(head)[0].actor == "system"


def test_a_decision_keeps_the_pack_version_it_used(facts, pack, agent, case):
    decision = run(facts, pack, agent, case=case).decision
    RulePack.objects.create(
        **{
            f.name: getattr(pack, f.name)
            for f in RulePack._meta.concrete_fields
            if f.name not in {"id", "version", "created_at"}
        },
        version=99,
    )
    decision.refresh_from_db()
    assert decision.pack.version == 1


# --- override -----------------------------------------------------------------------------------


@pytest.fixture
def refused(facts, pack, agent, case):  # type: ignore[no-untyped-def]
    """Refused only for overridable reasons (VULNERABLE, VISIT_REFUSED) and warned for limitation."""
    changes = {"vulnerable": True, "visits_refused": True, "overdue_since": dt.date(2020, 1, 1)}
    return run(dataclasses.replace(facts, **changes), pack, agent, case=case).decision


def test_override_records_a_new_decision_and_its_own_event(refused, supervisor, case):
    head = audit_head()
    later = NOW + dt.timedelta(minutes=5)

    overriding = override(decision=refused, actor=supervisor, reason=f"  {REASON}  ", now=later)

    assert overriding.pk != refused.pk
    assert overriding.outcome == RuleDecision.Outcome.OVERRIDDEN
    assert overriding.override_of == refused
    assert overriding.override_reason == REASON
    assert overriding.actor == supervisor
    assert overriding.at == later
    assert overriding.pack == refused.pack
    assert overriding.inputs == refused.inputs
    assert overriding.failures == refused.failures
    refused.refresh_from_db()
    assert refused.outcome == RuleDecision.Outcome.REFUSED  # the refusal stays as it was

    assert audit_actions_since(head) == ["rules.overridden"]
    (event,) = audit_events_since(head)
    assert event.object_id == str(overriding.pk)
    assert event.case_id == case.pk
    assert event.actor == f"user:{supervisor.pk}"
    assert event.data["overrides"] == refused.pk
    assert event.data["codes"] == ["VISIT_REFUSED", "VULNERABLE"]  # the blocking ones, not the warning
    assert event.data["reason_digest"] == digest(REASON, kind="note")
    assert "come back" not in json.dumps(event.data, ensure_ascii=False)


def test_a_reason_of_exactly_ten_characters_is_enough(refused, supervisor):
    assert override(decision=refused, actor=supervisor, reason="0123456789", now=NOW).outcome == "overridden"


def refusal_codes(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    head = audit_head()
    count = RuleDecision.objects.count()
    with pytest.raises(DomainError) as error:
        override(now=NOW, **kwargs)
    assert audit_actions_since(head) == []  # a refused override writes nothing
    assert RuleDecision.objects.count() == count
    for failure in error.value.failures:
        assert str(failure.message)
    return error.value.codes


@pytest.mark.parametrize("reason", ["", "too short", "   123456789   "])
def test_override_needs_a_reason_of_ten_characters(refused, supervisor, reason):
    assert refusal_codes(decision=refused, actor=supervisor, reason=reason) == ["OVERRIDE_REASON"]


def test_override_of_an_allowed_decision_is_refused(facts, pack, agent, supervisor, case):
    allowed = run(facts, pack, agent, case=case).decision
    assert refusal_codes(decision=allowed, actor=supervisor, reason=REASON) == ["OVERRIDE_NOT_NEEDED"]


def test_override_of_a_warned_decision_is_refused(facts, pack, agent, supervisor, case):
    warned = run(
        dataclasses.replace(facts, overdue_since=dt.date(2020, 1, 1)), pack, agent, case=case
    ).decision
    assert refusal_codes(decision=warned, actor=supervisor, reason=REASON) == ["OVERRIDE_NOT_NEEDED"]


def test_override_of_an_override_is_refused(refused, supervisor):
    overriding = override(decision=refused, actor=supervisor, reason=REASON, now=NOW)
    assert refusal_codes(decision=overriding, actor=supervisor, reason=REASON) == ["OVERRIDE_NOT_NEEDED"]


def test_a_refusal_is_overridden_once(refused, supervisor, other_supervisor):
    override(decision=refused, actor=supervisor, reason=REASON, now=NOW)
    assert refusal_codes(decision=refused, actor=other_supervisor, reason=REASON) == ["OVERRIDE_NOT_NEEDED"]


def test_override_of_a_non_overridable_code_is_refused(facts, pack, agent, supervisor, case):
    decision = run(
        dataclasses.replace(facts, vulnerable=True, contact_ceased=True), pack, agent, case=case
    ).decision
    with pytest.raises(DomainError) as error:
        override(decision=decision, actor=supervisor, reason=REASON, now=NOW)
    assert error.value.codes == ["OVERRIDE_NOT_ALLOWED"]
    assert "CEASE_CONTACT" in str(error.value.failures[0].message)
    assert "VULNERABLE" not in str(error.value.failures[0].message)


def test_every_problem_is_named_at_once(facts, pack, agent, supervisor, case):
    decision = run(dataclasses.replace(facts, contact_ceased=True), pack, agent, case=case).decision
    assert refusal_codes(decision=decision, actor=supervisor, reason="no") == [
        "OVERRIDE_NOT_ALLOWED",
        "OVERRIDE_REASON",
    ]
