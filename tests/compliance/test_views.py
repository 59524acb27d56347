"""The audit trail pages: compliance officers read and verify the chain; nobody else even sees the page."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import audit
from compliance.db import create_statements, drop_statements
from compliance.models import AuditEvent
from tests.factories import audit_events_since, audit_head

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def record(n: int, *, action: str = "test.event", case_id: int | None = None) -> None:
    for i in range(n):
        audit.record(actor=None, action=action, object_type="tests.thing", object_id=str(i), case_id=case_id)


def test_compliance_officer_reads_the_trail(compliance_officer):
    client = signed_in(compliance_officer)
    record(3)
    head = AuditEvent.objects.order_by("-seq").first()

    response = client.get(reverse("compliance:audit-list"))

    assert response.status_code == 200
    assert [e.seq for e in response.context["events"]] == list(range(head.seq, 0, -1))  # newest first
    assert head.hash in response.content.decode()


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_other_roles_get_404(request, role):
    client = signed_in(request.getfixturevalue(role))

    assert client.get(reverse("compliance:audit-list")).status_code == 404
    assert client.post(reverse("compliance:audit-verify")).status_code == 404


def test_other_roles_see_no_link_to_it(supervisor, compliance_officer):
    link = reverse("compliance:audit-list")

    assert link not in signed_in(supervisor).get(reverse("cases:case-list")).content.decode()
    assert link in signed_in(compliance_officer).get(reverse("cases:case-list")).content.decode()


def test_filter_by_action_prefix_and_case(compliance_officer):
    client = signed_in(compliance_officer)
    record(2, action="case.verified", case_id=7)
    record(1, action="case.verified", case_id=8)
    record(2, action="pii.viewed", case_id=7)

    by_action = client.get(reverse("compliance:audit-list"), {"action": "case."})
    by_case = client.get(reverse("compliance:audit-list"), {"case": "7"})
    both = client.get(reverse("compliance:audit-list"), {"action": "pii", "case": "7"})
    junk = client.get(reverse("compliance:audit-list"), {"case": "seven", "before": "x"})

    assert {e.action for e in by_action.context["events"]} == {"case.verified"}
    assert len(by_action.context["events"]) == 3
    assert {e.case_id for e in by_case.context["events"]} == {7}
    assert len(by_case.context["events"]) == 4
    assert [e.action for e in both.context["events"]] == ["pii.viewed", "pii.viewed"]
    assert junk.status_code == 200


def test_pages_go_back_by_seq(compliance_officer):
    client = signed_in(compliance_officer)
    record(120)
    head = audit_head()

    first = client.get(reverse("compliance:audit-list"))
    second = client.get(reverse("compliance:audit-list"), {"before": first.context["next_before"]})

    assert [e.seq for e in first.context["events"]] == list(range(head, head - 50, -1))
    assert [e.seq for e in second.context["events"]] == list(range(head - 50, head - 100, -1))
    assert f"before={head - 49}" in first.content.decode()


def test_last_page_has_no_older_link(compliance_officer):
    client = signed_in(compliance_officer)

    response = client.get(reverse("compliance:audit-list"))

    assert response.context["next_before"] is None


AUDIT_SEARCH_QUERIES = 12


@pytest.mark.parametrize(
    "query", ["", "?action=test.", "?case={case}", "?actor=user:{actor}&before={before}"]
)
def test_audit_list_query_count_does_not_grow_with_events(
    compliance_officer, case, query, django_assert_max_num_queries
):
    # 12 at most (11 today): session, user, user and group permissions (can_view_audit), the page of
    # events, the actors' names (one query for the page), the chain head, the user's roles (navigation),
    # and the session renewal (savepoint, update, release); the same with 5 events as with 160, filtered
    # or not, on the first page or deeper (keyset on seq).
    client = signed_in(compliance_officer)
    counts = []
    for n in (5, 155):
        for i in range(n):
            audit.record(
                actor=compliance_officer,
                action="test.event",
                object_type="t",
                object_id=str(i),
                case_id=case.pk,
            )
        url = reverse("compliance:audit-list") + query.format(
            case=case.pk, actor=compliance_officer.pk, before=audit_head() - 2
        )
        ContentType.objects.clear_cache()
        with (
            django_assert_max_num_queries(AUDIT_SEARCH_QUERIES),
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.get(url)
        assert response.status_code == 200
        assert response.context["events"]
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_verify_button_reports_an_intact_chain_and_is_audited(compliance_officer):
    client = signed_in(compliance_officer)
    record(4)
    count = audit_head()
    since = count

    response = client.post(reverse("compliance:audit-verify"), follow=True)

    assert response.redirect_chain == [(reverse("compliance:audit-list"), 302)]
    assert any(m.startswith(f"Chain verified: {count} events") for m in messages_of(response))
    events = audit_events_since(since)
    assert [e.action for e in events] == ["audit.verified"]
    assert events[0].data == {"ok": True, "count": count, "bad_seq": None}


def test_verify_button_reports_a_broken_chain(compliance_officer):
    client = signed_in(compliance_officer)
    record(4)
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
        cursor.execute("UPDATE compliance_auditevent SET object_id = 'forged' WHERE seq = 3")
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)

    response = client.post(reverse("compliance:audit-verify"), follow=True)

    assert any(m.startswith("Chain broken at seq 3") for m in messages_of(response))
    assert AuditEvent.objects.order_by("-seq").first().data["bad_seq"] == 3


def test_verify_needs_a_post(compliance_officer):
    assert signed_in(compliance_officer).get(reverse("compliance:audit-verify")).status_code == 405


def test_verify_needs_a_csrf_token(compliance_officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(compliance_officer)
    since = audit_head()

    assert client.post(reverse("compliance:audit-verify")).status_code == 403
    assert audit_head() == since


def test_the_trail_is_searched_by_the_case_reference(compliance_officer, case):
    client = signed_in(compliance_officer)
    record(2, action="case.verified", case_id=case.pk)
    record(1, action="case.verified", case_id=case.pk + 1000)

    by_ref = client.get(reverse("compliance:audit-list"), {"case": str(case)})
    by_bare_ref = client.get(reverse("compliance:audit-list"), {"case": case.external_ref})
    unknown = client.get(reverse("compliance:audit-list"), {"case": "NOPE/404"})

    assert {e.case_id for e in by_ref.context["events"]} == {case.pk}
    assert {e.case_id for e in by_bare_ref.context["events"]} == {case.pk}
    assert "No case NOPE/404." in unknown.content.decode()
