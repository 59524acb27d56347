# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
"""SMS only to verified numbers (SMS_UNVERIFIED, through the contact gate); a notice to a number whose
holder is not verified says neither the creditor, nor the debt, nor the purpose; the notice form never
calls a phone verified that is not."""

from __future__ import annotations

import pytest

from cases.models import DebtorPhone
from common.pii import phone_digest
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused
from tests.factories import audit_actions_since, audit_head
from tests.visits.test_notices import NOW, URLS, approved, notice_case, outbox, record  # noqa: F401
from visits import notice_texts
from visits.models import Notice
from visits.notice_forms import NoticeForm

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]


def unverified(case) -> DebtorPhone:  # type: ignore[no-untyped-def]
    return DebtorPhone.objects.create(
        debtor=case.debtor, number="13900139000", digest=phone_digest("13900139000"), status="unverified"
    )


def test_an_sms_notice_to_an_unverified_number_is_refused_with_its_own_code(
    approved, agent, django_capture_on_commit_callbacks
):
    phone = unverified(approved.case)
    head = audit_head()

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RulesRefused) as refused:
        record(approved, agent, channel="sms", given_at=NOW, phone_id=phone.pk)

    assert refused.value.codes == ["SMS_UNVERIFIED"]
    decision = RuleDecision.objects.get(pk=refused.value.decision.pk)
    assert (decision.action, decision.outcome) == ("contact.notice", "refused")
    assert audit_actions_since(head) == ["rules.refused"]
    assert callbacks == []
    assert not Notice.objects.exists()


def test_a_call_to_an_unverified_number_gets_the_limited_notice(approved, agent):
    phone = unverified(approved.case)

    notice = record(approved, agent, language="en", phone_id=phone.pk)

    creditor = approved.case.creditor.name
    assert creditor not in notice.text
    assert str(approved.get_purpose_display()).lower() not in notice.text.lower()
    assert notice.text.startswith("Anxin Collections: we plan to visit you on")


def test_a_call_to_the_verified_number_gets_the_packs_full_notice(approved, agent):
    notice = record(approved, agent, language="en")

    assert approved.case.creditor.name in notice.text


def test_an_agents_own_words_to_an_unverified_number_may_not_name_the_creditor(approved, agent):
    phone = unverified(approved.case)

    with pytest.raises(Exception) as refused:  # noqa: PT011 (a DomainError; its code is asserted)
        record(
            approved, agent, phone_id=phone.pk, text=f"Visit about your {approved.case.creditor.name} loan"
        )

    assert refused.value.codes == ["NOTICE_CONTENT"]


@pytest.mark.parametrize(
    ("pack_level", "channel", "status", "level"),
    [
        ("full", "sms", "verified", "full"),
        ("full", "sms", "unverified", "limited"),
        ("full", "phone", None, "limited"),
        ("limited", "sms", "verified", "limited"),
        ("full", "letter", None, "full"),
    ],
)
def test_the_content_level(pack_level, channel, status, level):
    phone = DebtorPhone(status=status) if status else None
    assert notice_texts.content_level(pack_level=pack_level, channel=channel, phone=phone) == level


def test_the_form_never_calls_an_unverified_phone_verified(notice_case):
    only_unverified = [DebtorPhone(pk=9, number="13900139000", status="unverified")]
    label = dict(NoticeForm(phones=only_unverified).fields["phone_id"].choices)[""]
    assert not str(label).startswith("The first verified phone")
    assert str(label).startswith("No verified phone")

    verified = list(notice_case.debtor.phones.all())
    label = dict(NoticeForm(phones=verified).fields["phone_id"].choices)[""]
    assert str(label) == f"The first verified phone: {verified[0].masked}"
