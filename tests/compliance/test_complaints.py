"""Complaints and disputes in the workspace: the list (filters, deadlines), the detail, acknowledgement,
recording from the case page and from the workspace, resolution; 404 for everyone else; the hourly
deadline check raises one alert per complaint and target and e-mails the officers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Stage
from cases.services import disputes
from compliance import complaints as records
from compliance.models import Alert, Complaint
from compliance.tasks import flag_overdue_complaints
from tests.factories import audit_actions_since, audit_head

pytestmark = pytest.mark.django_db
URL = reverse("compliance:complaint-list")


def _complaint(status: str = "open", text: str = "Nobody told me about this visit.", **extra) -> Complaint:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Complaint.objects.create(
        channel=extra.pop("channel", "public_page"),
        created_at=now,
        received_at=extra.pop("received_at", now),
        text=text,
        status=status,
        **extra,
    )


def test_officer_sees_open_complaints_with_what_was_written(client, compliance_officer):
    _complaint()
    _complaint(status="closed", text="Closed one")
    client.force_login(compliance_officer)

    body = client.get(URL).content.decode()

    assert "Nobody told me about this visit." in body
    assert "Closed one" not in body
    assert "Closed one" in client.get(URL, {"status": "all"}).content.decode()


def test_filters_by_kind_channel_case_and_overdue(client, compliance_officer):
    now = timezone.now()
    _complaint(text="phone one", channel="phone", case_id=7)
    _complaint(text="disputed", kind="dispute", channel="letter", case_id=8)
    _complaint(text="late one", channel="email", resolve_due_at=now - dt.timedelta(days=1))
    client.force_login(compliance_officer)

    def texts(**params):  # type: ignore[no-untyped-def]
        return {c.text for c in client.get(URL, {"status": "open", **params}).context["complaints"]}

    assert texts(kind="dispute") == {"disputed"}
    assert texts(channel="phone") == {"phone one"}
    assert texts(case="8") == {"disputed"}
    assert texts(overdue="on") == {"late one"}


def test_complaint_text_is_escaped(client, compliance_officer):
    _complaint(text="<script>alert(1)</script>")
    client.force_login(compliance_officer)

    body = client.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_other_roles_get_404(client, all_roles, role):
    complaint = _complaint()
    client.force_login(all_roles[role])

    assert client.get(URL).status_code == 404
    assert client.get(reverse("compliance:complaint-detail", args=[complaint.pk])).status_code == 404
    assert client.post(reverse("compliance:complaint-acknowledge", args=[complaint.pk])).status_code == 404
    assert client.get(reverse("cases:complaint-record")).status_code == 404
    resolve = client.post(
        reverse("cases:complaint-resolve", args=[complaint.pk]), {"outcome": "upheld", "reason": "x" * 20}
    )
    assert resolve.status_code == 404
    assert Complaint.objects.get(pk=complaint.pk).status == "open"


def test_list_query_count_does_not_grow_with_complaints(
    client, compliance_officer, django_assert_max_num_queries
):
    client.force_login(compliance_officer)
    for i in range(10):
        _complaint(case_id=i + 1)
    # session, user, user and group permissions (policy + navigation perms), the complaints with their
    # recorders, resolvers and packs (one query), the case labels (one query), roles for the
    # navigation, the session renewal (savepoint, update, release)
    with django_assert_max_num_queries(11):
        assert client.get(URL).status_code == 200


def test_detail_shows_the_targets_and_the_events(client, case, supervisor, compliance_officer):
    opened = disputes.dispute_open(
        case=case, actor=supervisor, channel="phone", text="Amount is wrong", raised_by="debtor"
    )
    client.force_login(compliance_officer)

    response = client.get(reverse("compliance:complaint-detail", args=[opened.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Amount is wrong" in body
    assert "dispute.opened" in body
    assert "case.held" not in body
    assert reverse("cases:complaint-resolve", args=[opened.pk]) in body


def test_acknowledge_from_the_detail_page(client, compliance_officer):
    complaint = _complaint()
    client.force_login(compliance_officer)
    head = audit_head()

    response = client.post(reverse("compliance:complaint-acknowledge", args=[complaint.pk]), follow=True)

    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.acknowledged_by == compliance_officer
    assert audit_actions_since(head) == ["complaint.acknowledged"]
    again = client.post(reverse("compliance:complaint-acknowledge", args=[complaint.pk]), follow=True)
    assert any("[COMPLAINT_ALREADY_ACKNOWLEDGED]" in str(m) for m in again.context["messages"])


def test_acknowledging_a_resolved_complaint_is_refused_and_audited(compliance_officer):
    complaint = _complaint(status="closed")
    head = audit_head()

    with pytest.raises(records.DomainError) as refused:
        records.complaint_acknowledge(complaint=complaint, actor=compliance_officer)

    assert refused.value.codes == ["COMPLAINT_NOT_OPEN"]
    assert audit_actions_since(head) == ["complaint.acknowledge.refused"]


def test_only_officers_acknowledge(supervisor):
    complaint = _complaint()
    head = audit_head()

    with pytest.raises(records.DomainError) as refused:
        records.complaint_acknowledge(complaint=complaint, actor=supervisor)

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert audit_actions_since(head) == ["complaint.acknowledge.refused"]


# --- recording and resolving through the pages ---------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_the_cases_audience_records_a_dispute_from_the_case_page(client, request, case, role):
    client.force_login(request.getfixturevalue(role))
    url = reverse("cases:case-complaint-add", args=[case.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "kind": "dispute",
            "channel": "phone",
            "raised_by": "debtor",
            "text": "Not my debt.",
            "received_at": "",
        },
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.ON_HOLD
    assert Complaint.objects.get().text == "Not my debt."


def test_the_form_shows_refusals_next_to_the_field(client, case, agent):
    client.force_login(agent)
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("cases:case-complaint-add", args=[case.pk]),
        {"kind": "complaint", "channel": "phone", "raised_by": "debtor", "text": "x", "received_at": future},
    )

    assert response.status_code == 200
    assert "[RECEIVED_IN_FUTURE]" in str(response.context["form"].errors["received_at"])
    assert not Complaint.objects.exists()


def test_an_officer_records_from_the_workspace_naming_the_case(client, case, compliance_officer):
    client.force_login(compliance_officer)

    missing = client.post(
        reverse("cases:complaint-record"),
        {"kind": "dispute", "channel": "regulator", "raised_by": "regulator", "text": "Regulator letter"},
    )
    assert "case" in missing.context["form"].errors
    response = client.post(
        reverse("cases:complaint-record"),
        {
            "case": case.pk,
            "kind": "dispute",
            "channel": "regulator",
            "raised_by": "regulator",
            "text": "Regulator letter",
        },
        follow=True,
    )

    complaint = Complaint.objects.get()
    assert response.redirect_chain[-1][0] == reverse("compliance:complaint-detail", args=[complaint.pk])
    assert Complaint.objects.get().channel == "regulator"


def test_resolving_through_the_page_releases_the_hold(client, case, supervisor, compliance_officer):
    opened = disputes.dispute_open(
        case=case, actor=supervisor, channel="phone", text="Wrong amount", raised_by="debtor"
    )
    client.force_login(compliance_officer)

    response = client.post(
        reverse("cases:complaint-resolve", args=[opened.pk]),
        {"outcome": "upheld", "reason": "The creditor corrected the amount."},
        follow=True,
    )

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.stage == Stage.NEW
    assert Complaint.objects.get().outcome == "upheld"


def test_a_refused_resolution_is_shown_as_a_message(client, case, supervisor, compliance_officer):
    opened = disputes.dispute_open(
        case=case, actor=supervisor, channel="phone", text="Wrong amount", raised_by="debtor"
    )
    client.force_login(compliance_officer)

    response = client.post(
        reverse("cases:complaint-resolve", args=[opened.pk]),
        {"outcome": "upheld", "reason": "short"},
        follow=True,
    )

    assert any("[RESOLUTION_REASON]" in str(m) for m in response.context["messages"])


def test_the_case_page_lists_complaints_without_their_text(client, case, agent):
    disputes.complaint_record(
        case=case, actor=agent, channel="letter", text="Private words", raised_by="debtor"
    )
    client.force_login(agent)

    body = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()

    assert "Complaint #" in body
    assert "Private words" not in body
    assert reverse("cases:case-complaint-add", args=[case.pk]) in body


# --- deadlines: the hourly check ----------------------------------------------------------------------


def test_overdue_complaints_raise_one_alert_each_and_email_the_officers(
    case, supervisor, compliance_officer, mailoutbox, django_capture_on_commit_callbacks
):
    compliance_officer.email = "officer@example.com"
    compliance_officer.save()
    received = timezone.now() - dt.timedelta(days=20)
    opened = disputes.dispute_open(
        case=case, actor=supervisor, channel="phone", text="x", raised_by="debtor", received_at=received
    )
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True):
        raised = flag_overdue_complaints.delay().get()

    kinds = set(Alert.objects.filter(pk__in=raised).values_list("kind", flat=True))
    assert kinds == {"complaint_ack_overdue", "complaint_resolve_overdue"}
    assert audit_actions_since(head) == ["alert.raised", "alert.raised"]
    assert len(mailoutbox) == 2
    assert mailoutbox[0].to == ["officer@example.com"]
    assert f"complaint:{opened.pk}" in mailoutbox[0].subject
    assert "x" not in mailoutbox[0].body.split("\n", 1)[0]
    # The next run finds the alerts it raised.
    assert flag_overdue_complaints.delay().get() == []


def test_complaints_within_their_targets_raise_nothing(case, supervisor):
    disputes.dispute_open(case=case, actor=supervisor, channel="phone", text="x", raised_by="debtor")

    assert records.complaints_flag_overdue() == []


def test_the_check_is_scheduled_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["compliance-flag-overdue-complaints"]

    assert (entry["task"], entry["schedule"]) == (flag_overdue_complaints.name, 3600)
