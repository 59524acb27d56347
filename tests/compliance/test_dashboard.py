"""The compliance officer's landing page (/compliance/): open alerts, open complaints and disputes with
their deadlines, recent exports, links; alerts acknowledged with a note (audited); 404 for other roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from common.errors import DomainError
from compliance import alerts, audit
from compliance.models import Alert, AuditExport, Complaint
from tests.factories import audit_actions_since, audit_events_since, audit_head

pytestmark = pytest.mark.django_db
URL = reverse("compliance:dashboard")


def raise_alert(key: str = "seq:3") -> Alert:
    alert = alerts.alert_raise(kind=Alert.Kind.CHAIN_BROKEN, key=key, data={"bad_seq": 3, "reason": "gap"})
    assert alert is not None
    return alert


def test_the_dashboard_shows_alerts_deadlines_and_exports(client, compliance_officer):
    raise_alert()
    now = timezone.now()
    late = Complaint.objects.create(
        channel="phone",
        created_at=now,
        received_at=now - dt.timedelta(days=20),
        resolve_due_at=now - dt.timedelta(days=5),
        case_id=None,
    )
    AuditExport.objects.create(requested_by=compliance_officer, requested_at=now, formats=["jsonl"])
    client.force_login(compliance_officer)

    response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Audit chain broken" in body
    assert "First bad seq 3: gap" in body
    assert reverse("compliance:complaint-detail", args=[late.pk]) in body
    assert 'class="overdue"' in body
    assert reverse("compliance:export-detail", args=[AuditExport.objects.get().pk]) in body
    for name in (
        "audit-list",
        "exceptions",
        "agents",
        "access-log",
        "retention",
        "rulepack-list",
        "decision-list",
    ):
        assert reverse(f"compliance:{name}") in body


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_other_roles_get_404_and_no_link(client, request, role):
    alert = raise_alert()
    client.force_login(request.getfixturevalue(role))

    assert client.get(URL).status_code == 404
    assert client.get(reverse("compliance:alert-list")).status_code == 404
    assert (
        client.post(
            reverse("compliance:alert-acknowledge", args=[alert.pk]), {"note": "looked at it"}
        ).status_code
        == 404
    )
    assert f'href="{URL}"' not in client.get(reverse("cases:case-list")).content.decode()
    assert Alert.objects.get().acknowledged_at is None


def test_officers_get_the_link(client, compliance_officer):
    client.force_login(compliance_officer)

    assert f'href="{URL}"' in client.get(reverse("cases:case-list")).content.decode()


def test_dashboard_query_count(client, compliance_officer, django_assert_max_num_queries):
    for i in range(5):
        raise_alert(key=f"seq:{i}")
        now = timezone.now()
        Complaint.objects.create(channel="phone", created_at=now, received_at=now, case_id=i + 1)
    client.force_login(compliance_officer)
    # session, user, user and group permissions, open alerts (+acknowledger), open complaints (+pack),
    # the case labels, recent exports (+requester), the chain head, the user's roles (navigation),
    # the session renewal (savepoint, update, release), the rule-pack changes waiting for approval
    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200


def test_acknowledging_an_alert_from_the_dashboard(client, compliance_officer):
    alert = raise_alert()
    client.force_login(compliance_officer)
    head = audit_head()

    response = client.post(
        reverse("compliance:alert-acknowledge", args=[alert.pk]),
        {"note": "Restored from backup; see ticket 12."},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == URL
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.note) == (compliance_officer, "Restored from backup; see ticket 12.")
    assert audit_actions_since(head) == ["alert.acknowledged"]
    assert "ticket" not in str(audit_events_since(head)[0].data)
    assert "First bad seq" not in client.get(URL).content.decode()  # no longer open
    assert "Restored from backup" in client.get(reverse("compliance:alert-list")).content.decode()


@pytest.mark.parametrize(("note", "code"), [("ok", "ALERT_NOTE_REQUIRED")])
def test_an_acknowledgement_needs_a_note(compliance_officer, note, code):
    alert = raise_alert()

    with pytest.raises(DomainError) as refused:
        alerts.alert_acknowledge(alert=alert, actor=compliance_officer, note=note)

    assert refused.value.codes == [code]


def test_an_alert_is_acknowledged_once(compliance_officer):
    alert = raise_alert()
    alerts.alert_acknowledge(alert=alert, actor=compliance_officer, note="Checked it.")

    with pytest.raises(DomainError) as refused:
        alerts.alert_acknowledge(alert=alert, actor=compliance_officer, note="Checked it again.")

    assert refused.value.codes == ["ALERT_ALREADY_ACKNOWLEDGED"]


def test_only_officers_acknowledge(supervisor):
    alert = raise_alert()

    with pytest.raises(DomainError) as refused:
        alerts.alert_acknowledge(alert=alert, actor=supervisor, note="I saw it")

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_the_same_alert_is_raised_once(django_capture_on_commit_callbacks, mailoutbox, compliance_officer):
    compliance_officer.email = "co@example.com"
    compliance_officer.save()
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True):
        first = alerts.alert_raise(kind=Alert.Kind.CHAIN_BROKEN, key="seq:9", data={"bad_seq": 9})
        second = alerts.alert_raise(kind=Alert.Kind.CHAIN_BROKEN, key="seq:9", data={"bad_seq": 9})

    assert first is not None
    assert second is None
    assert audit_actions_since(head) == ["alert.raised"]
    assert len(mailoutbox) == 1


def test_each_officer_gets_their_own_email(
    django_capture_on_commit_callbacks, mailoutbox, compliance_officer
):
    from accounts.models import Role
    from tests.factories import UserFactory

    compliance_officer.email = "a@example.com"
    compliance_officer.save()
    UserFactory(username="co2", email="b@example.com", roles=[Role.COMPLIANCE_OFFICER])
    gone = UserFactory(username="co3", email="c@example.com", roles=[Role.COMPLIANCE_OFFICER])
    gone.is_active = False
    gone.save()

    with django_capture_on_commit_callbacks(execute=True):
        raise_alert()

    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "b@example.com"]
    assert all(len(m.to) == 1 for m in mailoutbox)


def test_the_audit_page_raises_an_alert_on_a_break(client, compliance_officer):
    from django.db import connection

    from compliance.db import create_statements, drop_statements

    for i in range(3):
        audit.record(actor=None, action="t.e", object_type="t", object_id=str(i))
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
        cursor.execute("UPDATE compliance_auditevent SET object_id = 'x' WHERE seq = 2")
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)
    client.force_login(compliance_officer)

    client.post(reverse("compliance:audit-verify"))

    assert Alert.objects.get().key == "seq:2"
