# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
"""Every contact on any channel: recorded with its result and refused under CEASE_CONTACT or
REPRESENTED; the case's one contact history page; the notice, answer and template pages."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import DebtorPhone
from common.errors import DomainError
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused
from tests.debtor_fact_helpers import put_facts
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.factories import local
from tests.visits.test_notices import GIVEN, NOW, URLS, approved, notice_case, outbox, record  # noqa: F401
from visits import services
from visits.models import Channel, ContactAttempt, ContactResult, Notice, NoticeAnswer, NoticeTemplate, Visit

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]


def contact(case, actor, **changes):  # type: ignore[no-untyped-def]
    kwargs = {
        "case": case,
        "actor": actor,
        "channel": Channel.LETTER,
        "at": GIVEN,
        "result": ContactResult.SENT,
        "now": NOW,
        **changes,
    }
    return services.contact_record(**kwargs)


def test_a_contact_is_recorded_with_the_phone_by_digest_only(notice_case, agent):
    phone = DebtorPhone.objects.get(debtor=notice_case.debtor)
    head = audit_head()

    attempt = contact(
        notice_case,
        agent,
        channel=Channel.PHONE,
        result=ContactResult.NO_ANSWER,
        phone_id=phone.pk,
        note="rang 8x",
    )

    assert (attempt.channel, attempt.result, attempt.phone_digest) == ("phone", "no_answer", phone.digest)
    # The contact gate's decision, then the contact (visits/services/gate.py).
    assert audit_actions_since(head) == ["rules.allowed", "contact.recorded"]
    data = audit_events_since(head)[1].data
    assert data["phone_digest"] == phone.digest
    assert data["purpose"] == "recorded"
    assert "13800138000" not in json.dumps(data)
    assert "rang 8x" not in json.dumps(data)


@pytest.mark.parametrize(
    ("flag", "code"), [("contact_ceased", "CEASE_CONTACT"), ("represented", "REPRESENTED")]
)
@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.LETTER, Channel.EMAIL, Channel.MESSAGING])
def test_cease_contact_and_representation_refuse_every_channel(notice_case, agent, flag, code, channel):
    put_facts(notice_case, **{flag: True})  # scope "all": every channel
    head = audit_head()

    with pytest.raises(DomainError) as error:
        contact(notice_case, agent, channel=channel)

    assert error.value.codes == [code]
    # Refused by the contact gate: the refused decision is the record (kept after the rollback).
    assert isinstance(error.value, RulesRefused)
    assert audit_actions_since(head) == ["rules.refused"]
    decision = RuleDecision.objects.get(pk=error.value.decision.pk)
    assert (decision.action, decision.outcome) == ("contact.recorded", "refused")
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize("who", ["other_agent", "other_team_agent", "compliance_officer", "administrator"])
def test_only_who_works_on_the_case_records_contacts(notice_case, all_roles, who):
    with pytest.raises(DomainError) as error:
        contact(notice_case, all_roles[who])

    assert error.value.codes == ["PERMISSION_DENIED"]


def test_a_contact_in_the_future_is_refused(notice_case, agent):
    with pytest.raises(DomainError) as error:
        contact(notice_case, agent, at=NOW.replace(day=30))

    assert error.value.codes == ["GIVEN_IN_FUTURE"]


# --- pages -----------------------------------------------------------------------------------------


def test_contact_history_shows_every_channel_in_one_list(client, approved, agent):
    record(approved, agent)
    contact(approved.case, agent, channel=Channel.LAWYER_LETTER)
    contact(approved.case, agent, channel=Channel.MESSAGING, result=ContactResult.DELIVERED)
    client.force_login(agent)
    url = reverse("visits:contact-list", kwargs={"pk": approved.case_id})
    client.get(url)  # warm the session and permission caches

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    for label in ("Phone call", "Lawyer&#x27;s letter", "Messaging app"):
        assert label in body
    # session, user, roles and guardian checks, the case, its phones (form), the history in one query
    assert len(queries) <= 14, [q["sql"] for q in queries]


def test_contact_form_records_and_redirects(client, notice_case, agent):
    client.force_login(agent)
    url = reverse("visits:contact-list", kwargs={"pk": notice_case.pk})

    response = client.post(
        url, {"channel": "email", "at": "2026-11-23T09:00", "result": "sent", "note": "statement sent"}
    )

    assert response.status_code == 302
    assert ContactAttempt.objects.get().channel == "email"


@pytest.mark.parametrize("who", ["other_team_agent", "other_supervisor", "administrator"])
def test_other_teams_get_404_on_every_notice_page(client, approved, agent, all_roles, who):
    notice = record(approved, agent)
    client.force_login(all_roles[who])
    urls = [
        reverse("visits:contact-list", kwargs={"pk": approved.case_id}),
        reverse("visits:notice-create", kwargs={"pk": approved.pk}),
        reverse("visits:notice-detail", kwargs={"pk": notice.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("visits:notice-answer", kwargs={"pk": notice.pk}), {"answer": "refused"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("visits:visits-resume", kwargs={"pk": approved.case_id}), {"reason": "x" * 20}
        ).status_code
        == 404
    )
    assert Notice.objects.get().answer == NoticeAnswer.PENDING


def test_notice_page_records_a_notice_and_shows_text_link_and_qr(client, approved, agent):
    client.force_login(agent)

    response = client.post(
        reverse("visits:notice-create", kwargs={"pk": approved.pk}),
        {"channel": "letter", "given_at": "2026-11-23T16:00", "language": "en"},
    )

    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:notice-detail", kwargs={"pk": notice.pk})
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page
    assert "https://verify.example.test/visits/v/" in page
    assert str(approved.case.outstanding) not in page.split("notice-text")[1].split("</pre>")[0]


def test_a_refused_notice_shows_the_rule_on_the_form(client, approved, agent):
    client.force_login(agent)

    # approved early that morning, so a call at 07:30 is after approval but outside the hours
    Visit.objects.filter(pk=approved.pk).update(approved_at=local(2026, 11, 23, 6))
    response = client.post(
        reverse("visits:notice-create", kwargs={"pk": approved.pk}),
        {"channel": "phone", "given_at": "2026-11-23T07:30", "language": "en"},
    )

    assert response.status_code == 200
    assert "CONTACT_WINDOW" in response.content.decode()
    assert not Notice.objects.exists()


def test_answer_page_records_a_refusal(client, approved, agent, django_capture_on_commit_callbacks):
    notice = record(approved, agent)
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("visits:notice-answer", kwargs={"pk": notice.pk}),
            {"answer": "refused", "note": "No visits."},
        )

    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.answer == NoticeAnswer.REFUSED
    page = client.get(reverse("visits:contact-list", kwargs={"pk": approved.case_id})).content.decode()
    assert "refused visits" in page


def test_supervisor_resumes_visits_from_the_contact_page(client, approved, agent, supervisor):
    notice = record(approved, agent)
    services.notice_answer(notice=notice, actor=agent, answer=NoticeAnswer.REFUSED, now=NOW)
    client.force_login(supervisor)
    url = reverse("visits:contact-list", kwargs={"pk": approved.case_id})
    assert "Resume visits" in client.get(url).content.decode()

    response = client.post(
        reverse("visits:visits-resume", kwargs={"pk": approved.case_id}),
        {"reason": "Debtor asked us to come."},
    )

    assert response.status_code == 302
    approved.case.debtor.refresh_from_db()
    assert approved.case.debtor.visits_refused is False


def test_the_partial_renders_with_the_section_context(rf, approved, agent):
    from django.template.loader import render_to_string

    from visits.notice_views import notices_section

    record(approved, agent)
    request = rf.get("/")
    request.user = agent

    html = render_to_string("visits/_notices.html", notices_section(request, approved), request=request)

    assert "Phone call" in html
    assert "Record the answer" in html


def test_supervisors_edit_templates_agents_get_404(client, supervisor, agent):
    url = reverse("visits:notice-template-edit", kwargs={"language": "en", "group": "sms"})
    client.force_login(agent)
    assert client.get(url).status_code == 404
    assert client.get(reverse("visits:notice-template-list")).status_code == 404

    client.force_login(supervisor)
    assert client.get(url).status_code == 200
    response = client.post(url, {"subject": "", "body": "{agency}: visit {date} {window}. Check: {link}"})

    assert response.status_code == 302
    assert NoticeTemplate.objects.get().body.startswith("{agency}: visit")
    bad = client.post(url, {"body": "You owe {amount}. {date} {window} {link}"})
    assert "TEMPLATE_PLACEHOLDERS" in bad.content.decode()
