"""Who may do what in the compliance workspace: a role × action matrix of the policies, the case-level
checks (complaints, dossiers), and every workspace page answering 404 to the roles without the right."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import policies as case_policies
from compliance import policies
from compliance.models import Alert, AuditExport, Complaint, LegalHold

pytestmark = pytest.mark.django_db

ROLES = ["supervisor", "agent", "compliance_officer", "administrator"]
MATRIX = {
    # policy: the roles (of ROLES) that hold it
    "can_view_workspace": {"compliance_officer"},
    "can_view_audit": {"compliance_officer"},
    "can_export_audit": {"compliance_officer"},
    "can_view_complaints": {"compliance_officer"},
    "can_resolve_complaints": {"compliance_officer"},
    "can_record_complaints": {"supervisor", "agent", "compliance_officer"},
    "can_acknowledge_alerts": {"compliance_officer"},
    "can_view_retention": {"compliance_officer"},
    "can_manage_legal_holds": {"compliance_officer"},
    "can_export_dossier_role": {"supervisor", "compliance_officer"},
    "can_view_all_decisions": {"compliance_officer"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("policy", sorted(MATRIX))
def test_role_action_matrix(request, role, policy):
    user = request.getfixturevalue(role)

    assert getattr(policies, policy)(user) is (role in MATRIX[policy])


CASE_MATRIX = {
    # role: (may record a complaint on the case, dossier profiles)
    "supervisor": (True, ("creditor", "debtor")),
    "agent": (True, ()),
    "other_agent": (False, ()),
    "other_supervisor": (False, ()),
    "other_team_agent": (False, ()),
    "compliance_officer": (True, ("regulator", "creditor", "debtor")),
    "administrator": (False, ()),
}


@pytest.mark.parametrize("role", sorted(CASE_MATRIX))
def test_case_level_checks(request, case, role):
    user = request.getfixturevalue(role)
    may_record, profiles = CASE_MATRIX[role]

    assert case_policies.can_record_complaint(user, case) is may_record
    assert case_policies.dossier_profiles(user, case) == profiles
    assert case_policies.can_resolve_complaint(user, case) is (role == "compliance_officer")


def test_anonymous_users_hold_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert not any(getattr(policies, name)(AnonymousUser()) for name in MATRIX)


@pytest.fixture
def objects(compliance_officer):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return {
        "alert": Alert.objects.create(kind="chain_broken", key="seq:1", raised_at=now),
        "export": AuditExport.objects.create(
            requested_by=compliance_officer, requested_at=now, formats=["jsonl"]
        ),
        "complaint": Complaint.objects.create(channel="phone", created_at=now, received_at=now),
        "hold": LegalHold.objects.create(case_id=1, reason="r" * 12, set_at=now, set_by=compliance_officer),
    }


def workspace_urls(objects) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, url) of every page of the workspace that only compliance officers may use."""
    get = [
        reverse("compliance:dashboard"),
        reverse("compliance:audit-list"),
        reverse("compliance:alert-list"),
        reverse("compliance:export-list"),
        reverse("compliance:export-detail", args=[objects["export"].pk]),
        reverse("compliance:export-status", args=[objects["export"].pk]),
        reverse("compliance:complaint-list"),
        reverse("compliance:complaint-detail", args=[objects["complaint"].pk]),
        reverse("compliance:exceptions"),
        reverse("compliance:exceptions-csv"),
        reverse("compliance:agents"),
        reverse("compliance:access-log"),
        reverse("compliance:retention"),
        reverse("compliance:decision-list"),
        reverse("cases:complaint-record"),
    ]
    post = [
        reverse("compliance:audit-verify"),
        reverse("compliance:alert-acknowledge", args=[objects["alert"].pk]),
        reverse("compliance:export-request"),
        reverse("compliance:complaint-acknowledge", args=[objects["complaint"].pk]),
        reverse("compliance:legal-hold-set"),
        reverse("compliance:legal-hold-lift", args=[objects["hold"].pk]),
        reverse("cases:complaint-resolve", args=[objects["complaint"].pk]),
    ]
    return [("get", u) for u in get] + [("post", u) for u in post]


@pytest.mark.parametrize("role", ["supervisor", "agent", "other_team_agent", "administrator"])
def test_every_workspace_page_is_404_for_other_roles(client, request, objects, role):
    client.force_login(request.getfixturevalue(role))

    answers = {url: getattr(client, method)(url).status_code for method, url in workspace_urls(objects)}

    assert set(answers.values()) == {404}, answers


def test_every_workspace_page_answers_a_compliance_officer(client, objects, compliance_officer):
    client.force_login(compliance_officer)

    for method, url in workspace_urls(objects):
        if method == "get":
            assert client.get(url).status_code == 200, url
