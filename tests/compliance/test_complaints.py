"""The compliance officer's complaint list: officers only (404 for others), filtered by status."""

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import Complaint

pytestmark = pytest.mark.django_db
URL = reverse("compliance:complaint-list")


def _complaint(status: str = "open", text: str = "Nobody told me about this visit.") -> Complaint:
    return Complaint.objects.create(
        channel="public_page",
        visit_id=None,
        case_id=None,
        created_at=timezone.now(),
        text=text,
        status=status,
    )


def test_officer_sees_open_complaints_with_what_was_written(client, compliance_officer):
    _complaint()
    _complaint(status="closed", text="Closed one")
    client.force_login(compliance_officer)

    body = client.get(URL).content.decode()

    assert "Nobody told me about this visit." in body
    assert "Closed one" not in body
    assert "Closed one" in client.get(URL, {"status": "all"}).content.decode()


def test_complaint_text_is_escaped(client, compliance_officer):
    _complaint(text="<script>alert(1)</script>")
    client.force_login(compliance_officer)

    body = client.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_other_roles_get_404(client, all_roles, role):
    client.force_login(all_roles[role])

    assert client.get(URL).status_code == 404


def test_query_count_does_not_grow_with_complaints(client, compliance_officer, django_assert_max_num_queries):
    client.force_login(compliance_officer)
    for _ in range(10):
        _complaint()
    # session, user, user and group permissions (policy + navigation perms), roles for the navigation,
    # the complaints (one query whatever their number); measured 9
    with django_assert_max_num_queries(9):
        assert client.get(URL).status_code == 200
