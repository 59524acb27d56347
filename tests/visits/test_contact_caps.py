# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
"""A phone call over the pack's caps or outside the hours is refused by the contact gate with its code
and leaves the refused decision; nothing is recorded as a contact."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import DebtorPhone
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.test_notices import NOW, URLS, approved, notice_case, outbox, record  # noqa: F401
from visits import services
from visits.models import Channel, ContactAttempt, ContactResult

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]


def call(case, agent, at, result=ContactResult.NO_ANSWER):  # type: ignore[no-untyped-def]
    phone = DebtorPhone.objects.get(debtor=case.debtor)
    return services.contact_record(
        case=case, actor=agent, channel=Channel.PHONE, at=at, result=result, phone_id=phone.pk, now=at
    )


def test_the_seventh_unanswered_call_of_the_day_is_refused(notice_case, agent):
    start = NOW.replace(hour=10, minute=0)
    for i in range(6):
        assert call(notice_case, agent, start + dt.timedelta(minutes=i)).warnings == []
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        call(notice_case, agent, start + dt.timedelta(minutes=10))

    assert refused.value.codes == ["PHONE_ATTEMPTS"]
    assert ContactAttempt.objects.filter(case=notice_case, channel=Channel.PHONE).count() == 6
    assert audit_actions_since(head) == ["rules.refused"]
    assert audit_events_since(head)[0].data["codes"] == ["PHONE_ATTEMPTS"]


def test_a_call_at_night_is_refused(notice_case, agent):
    night = NOW.replace(hour=23, minute=30)
    with pytest.raises(RulesRefused) as refused:
        call(notice_case, agent, night, ContactResult.CONNECTED)
    assert refused.value.codes == ["CONTACT_WINDOW"]
    assert RuleDecision.objects.get(pk=refused.value.decision.pk).outcome == "refused"


def test_letters_get_no_phone_warnings(notice_case, agent):
    letter = services.contact_record(
        case=notice_case, actor=agent, channel=Channel.LETTER, at=NOW, result=ContactResult.SENT, now=NOW
    )
    assert letter.warnings == []


def test_the_visit_page_labels_the_notice_decision(client, approved, agent):
    record(approved, agent)
    client.force_login(agent)

    body = client.get(f"/visits/{approved.pk}/").content.decode()

    # the factory's visit has no planning decision: the only decision is the notice's, not "Planning"
    assert "<strong>Prior notice</strong>" in body
    assert "<strong>Planning</strong>" not in body
