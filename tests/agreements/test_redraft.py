"""A draft agreement is edited until it is submitted or signed (issue 18 point 2): the service, its
refusals and audit event, and the pages — a refusal about a term is shown on the edit page, where the
field it names is, and the date input carries an ISO value in every language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from agreements import services
from agreements.models import AgreementState
from common.errors import DomainError
from tests.agreements.conftest import NOW, OWED, key, sign, terms
from tests.agreements.test_views import data_url
from tests.factories import audit_actions_since, audit_events_since, audit_head

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def redraft(agreement, actor, **changes):  # type: ignore[no-untyped-def]
    return services.agreement_redraft(agreement=agreement, actor=actor, **terms(**changes))


def test_a_draft_that_fails_affordability_is_edited_and_then_signed(owing, agent):
    steep = services.agreement_draft(case=owing, actor=agent, **terms(instalment_count=2))
    head = audit_head()

    edited = redraft(steep, agent, instalment_count=6)

    assert edited.pk == steep.pk
    assert edited.state == AgreementState.DRAFT
    assert [i.number for i in edited.instalments.all()] == [1, 2, 3, 4, 5, 6]
    assert sum(i.amount for i in edited.instalments.all()) == OWED
    assert audit_actions_since(head) == ["agreement.redrafted"]
    data = audit_events_since(head)[-1].data
    assert data["before"]["instalments"] == 2
    assert len(data["instalments"]) == 6
    assert sign(edited, agent).state == AgreementState.ACTIVE


def test_an_edit_is_checked_like_a_new_draft(draft, agent):
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        redraft(draft, agent, total=OWED + Decimal("1.00"))

    assert refused.value.codes == ["AMOUNT_TOO_LARGE"]
    assert audit_actions_since(head) == ["agreement.redraft.refused"]
    assert draft.instalments.count() == 6


def test_a_signed_agreement_is_not_edited(active, agent):
    with pytest.raises(DomainError) as refused:
        redraft(active, agent, instalment_count=3)

    assert refused.value.codes == ["NOT_EDITABLE"]


@pytest.mark.parametrize("role", ["compliance_officer", "other_team_agent"])
def test_only_who_may_draft_edits(draft, all_roles, role):
    with pytest.raises(DomainError) as refused:
        redraft(draft, all_roles[role], instalment_count=3)

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_editing_revokes_a_signing_link_sent_for_the_old_terms(draft, agent, owing, settings, tmp_path):
    from cases.models import DebtorPhone
    from common.pii import phone_digest

    DebtorPhone.objects.create(
        debtor=owing.debtor, number="13800138000", digest=phone_digest("13800138000"), status="verified"
    )
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    link = services.signing_link_send(agreement=draft, actor=agent, channel="sms", now=NOW)
    head = audit_head()

    redraft(draft, agent, instalment_count=5)

    link.refresh_from_db()
    assert link.expires_at <= NOW + dt.timedelta(seconds=1)
    assert audit_events_since(head)[-1].data["signing_links_revoked"] == 1


# --- the pages ---------------------------------------------------------------------------------------


def test_the_edit_page_is_filled_with_the_draft_and_saves_it(draft, agent):
    client = signed_in(agent)
    url = reverse("agreements:agreement-edit", args=[draft.pk])

    page = client.get(url).content.decode()
    assert 'value="2026-12-15"' in page
    assert (
        reverse("agreements:agreement-edit", args=[draft.pk])
        in client.get(reverse("agreements:agreement-detail", args=[draft.pk])).content.decode()
    )

    response = client.post(
        url,
        {
            "kind": "instalments",
            "total": str(OWED),
            "first_due_date": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
            "instalment_count": "3",
            "frequency": "monthly",
            "method": "bank_transfer",
            "stated_income": "9000",
            "stated_expenses": "5000",
            "language": "zh-hans",
        },
    )

    assert response.url == reverse("agreements:agreement-detail", args=[draft.pk])
    assert draft.instalments.count() == 3


def test_an_affordability_refusal_at_signing_lands_on_the_edit_page_naming_the_checkbox(owing, agent):
    steep = services.agreement_draft(case=owing, actor=agent, **terms(instalment_count=2))
    client = signed_in(agent)

    response = client.post(
        reverse("agreements:agreement-sign", args=[steep.pk]),
        {
            "idempotency_key": key(),
            "debtor_signature": data_url(1),
            "agent_signature": data_url(2),
            "witness_signature": data_url(3),
            "witness_name": "Chen Jing",
            "debtor_understood": "on",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("agreements:agreement-edit", args=[steep.pk])
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("The debtor asked for these instalments:") for m in shown), shown
    assert "debtor_requested_terms:" not in " ".join(shown)
    assert 'name="debtor_requested_terms"' in response.content.decode()


def test_the_new_agreement_form_keeps_its_default_due_date_in_chinese(owing, agent):
    client = signed_in(agent)
    client.cookies["django_language"] = "zh-hans"

    page = client.get(reverse("agreements:agreement-new", args=[owing.pk])).content.decode()

    due = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    assert f'value="{due}"' in page
