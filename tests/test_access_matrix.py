"""Every object URL of the cases app, for every role that may not use it: 404, never a hint that it exists.

The URLs come from the URLconf: a new cases URL that takes an object id fails `test_every_object_url_is_covered`
until it is described in SPECS (which object its ids name, what to post, whether it writes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseAssignment,
    CaseDocument,
    Consent,
    DebtorAddress,
    DebtorFact,
    PlacementImport,
)
from compliance.models import AuditEvent, Complaint
from tests.factories import PDF_BYTES, audit_head, make_verifiable
from tests.fixtures.placement import csv_bytes, valid_row

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Spec:
    """How to call one URL: variants of its non-id kwargs, the POST body, and what it does."""

    variants: tuple[dict[str, str], ...] = ({},)
    data: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda world: {})
    writes: bool = False  # changes the case: refused even to roles that can see it
    obj: str = "case"  # what `pk` names
    read_by_post: bool = False  # a read that answers a POST only (it records an access)
    audience: tuple[str, ...] = ("supervisor", "agent", "compliance_officer")  # who may read it
    action: bool = False  # a POST-only action open to the audience (tests/visits/test_debtor_facts.py)


SPECS: dict[str, Spec] = {
    "cases:case-detail": Spec(),
    "cases:case-transition": Spec(
        variants=({"name": "verify"}, {"name": "unverify"}), data=lambda w: {"reason": "test"}, writes=True
    ),
    "cases:case-assign": Spec(data=lambda w: {"agents": [w["other_agent"].pk]}, writes=True),
    "cases:case-identity": Spec(data=lambda w: {"action": "revoke", "reason": "test"}, writes=True),
    "cases:case-address-add": Spec(
        data=lambda w: {
            "kind": "home",
            "text": "北京市东城区1号",
            "time_zone": "Asia/Shanghai",
            "source": "creditor",
        },
        writes=True,
    ),
    "cases:case-address-verify": Spec(data=lambda w: {"source": "field"}, writes=True),
    "cases:case-address-invalidate": Spec(data=lambda w: {"reason": "test"}, writes=True),
    "cases:case-phone-add": Spec(data=lambda w: {"number": "13912340001", "source": "debtor"}, writes=True),
    "cases:case-phone-verify": Spec(data=lambda w: {"source": "field"}, writes=True),
    "cases:case-phone-invalidate": Spec(data=lambda w: {"reason": "test"}, writes=True),
    "cases:case-address-time-zone": Spec(
        data=lambda w: {"source": "agent", "time_zone": "Asia/Tokyo"}, writes=True
    ),
    # Debtor facts and consents are recorded by the case's whole audience (a compliance officer who
    # receives a cease-contact letter records it); lifting is the team's supervisors' and officers'.
    "cases:case-fact-add": Spec(
        variants=({"kind": "vulnerability"},),
        data=lambda w: {"category": "health", "reported_by": "family", "review_due": "2026-12-31"},
        action=True,
    ),
    "cases:case-fact-lift": Spec(data=lambda w: {"reason": "Reviewed with the debtor."}, action=True),
    "cases:case-consent-add": Spec(
        data=lambda w: {
            "kind": "hours",
            "given_by": "The debtor",
            "given_at": "2026-11-23T09:00",
            "method": "phone",
        },
        action=True,
    ),
    "cases:case-consent-withdraw": Spec(data=lambda w: {"reason": "Withdrawn by phone."}, action=True),
    "cases:case-finances": Spec(
        data=lambda w: {
            "occupation": "Driver",
            "monthly_income": "5000",
            "income_currency": "CNY",
            "source": "debtor",
        },
        writes=True,
    ),
    "cases:case-document-add": Spec(
        data=lambda w: {"kind": "contract", "file": SimpleUploadedFile("c.pdf", PDF_BYTES)}, writes=True
    ),
    "cases:case-document-download": Spec(),
    "cases:case-assessment": Spec(
        data=lambda w: {"capacity": "low", "willingness": "low", "note": "test"}, writes=True
    ),
    "cases:case-reveal": Spec(variants=({"field": "id_number"}, {"field": "phones"}, {"field": "addresses"})),
    "cases:case-import-confirm": Spec(obj="placement"),
    # Recording a complaint or dispute is open to the case's whole audience (compliance officers too).
    "cases:case-complaint-add": Spec(),
    "cases:case-dossier": Spec(
        data=lambda w: {"profile": "creditor"},
        read_by_post=True,
        audience=("supervisor", "compliance_officer"),
    ),
    "cases:complaint-resolve": Spec(
        obj="complaint", data=lambda w: {"outcome": "upheld", "reason": "x" * 12}
    ),
    # A saved list filter: its owner's only (tests/cases/test_saved_filters.py has the owner's side).
    "cases:saved-filter-delete": Spec(obj="saved_filter", audience=("supervisor",)),
}

# Who may not see a case of the `north` team assigned to `agent` (see tests/conftest.py).
CASE_OUTSIDERS = ["other_agent", "other_supervisor", "other_team_agent", "administrator"]
# Who may not see placement imports: everyone without the import right.
IMPORT_OUTSIDERS = ["agent", "other_agent", "other_team_agent", "compliance_officer", "administrator"]
# Who may not resolve complaints: everyone but compliance officers.
COMPLAINT_OUTSIDERS = [
    "supervisor",
    "agent",
    "other_agent",
    "other_supervisor",
    "other_team_agent",
    "administrator",
]
SAVED_FILTER_OUTSIDERS = [
    "agent",
    "other_agent",
    "other_supervisor",
    "other_team_agent",
    "compliance_officer",
    "administrator",
]
OUTSIDERS = {
    "case": CASE_OUTSIDERS,
    "placement": IMPORT_OUTSIDERS,
    "complaint": COMPLAINT_OUTSIDERS,
    "saved_filter": SAVED_FILTER_OUTSIDERS,
}


def cases_object_urls() -> list[tuple[str, URLPattern]]:
    """(name, pattern) of every cases URL with an int kwarg, read from the URLconf."""
    (cases_resolver,) = [
        r for r in get_resolver().url_patterns if isinstance(r, URLResolver) and r.namespace == "cases"
    ]
    found = []
    for entry in cases_resolver.url_patterns:
        assert isinstance(entry, URLPattern), "nested includes in cases: extend this walk"
        if any(isinstance(c, IntConverter) for c in entry.pattern.converters.values()):
            found.append((f"cases:{entry.name}", entry))
    return found


OBJECT_URLS = cases_object_urls()


def calls() -> list[tuple[str, dict[str, str]]]:
    return [(name, variant) for name, _ in OBJECT_URLS if name in SPECS for variant in SPECS[name].variants]


def call_id(value: Any) -> str:
    return value if isinstance(value, str) else ",".join(f"{k}={v}" for k, v in value.items()) or "-"


@pytest.fixture
def world(all_roles, case, agent, supervisor):  # type: ignore[no-untyped-def]
    """A verifiable case of the north team (address and document on file) and a stored placement preview."""
    make_verifiable(case, agent)
    csv = SimpleUploadedFile("placement.csv", csv_bytes([valid_row(1)]))
    placement = services.placement_upload_preview(
        creditor=case.creditor, upload=csv, actor=supervisor, supervisor=supervisor
    )
    complaint = Complaint.objects.create(
        channel="phone", case_id=case.pk, created_at=timezone.now(), received_at=timezone.now(), text="t"
    )
    return {
        **all_roles,
        "case": case,
        "placement": placement,
        "complaint": complaint,
        "saved_filter": services.saved_filter_create(user=supervisor, name="Mine", query="stage=new"),
        "address": DebtorAddress.objects.get(debtor=case.debtor),
        "phone": services.phone_add(case=case, actor=agent, number="13912340009", source="debtor"),
        "document": CaseDocument.objects.get(case=case),
        "fact": services.debtor_fact_record(
            case=case,
            actor=agent,
            kind="vulnerability",
            category="health",
            reported_by="family",
            review_due=timezone.localdate() + dt.timedelta(days=30),
        ),
        "consent": services.consent_record(
            case=case,
            actor=agent,
            kind="hours",
            given_by="The debtor",
            given_at=timezone.now(),
            method="phone",
        ),
    }


def url_for(world: dict[str, Any], name: str, variant: dict[str, str]) -> str:
    ids = {
        "pk": world[SPECS[name].obj].pk,
        "address_id": world["address"].pk,
        "phone_id": world["phone"].pk,
        "doc_id": world["document"].pk,
        "fact_id": world["fact"].pk,
        "consent_id": world["consent"].pk,
    }
    pattern = dict(OBJECT_URLS)[name].pattern
    kwargs = {k: ids[k] if k in ids else variant[k] for k in pattern.converters}
    return reverse(name, kwargs=kwargs)


def missing_url(world: dict[str, Any], name: str, variant: dict[str, str]) -> str:
    """The same URL with every id pointing at nothing: what an outsider must not be able to tell apart."""
    pattern = dict(OBJECT_URLS)[name].pattern
    kwargs = {
        k: 999_999 if isinstance(c, IntConverter) else variant[k] for k, c in pattern.converters.items()
    }
    return reverse(name, kwargs=kwargs)


def snapshot(world: dict[str, Any]) -> tuple:
    case = Case.objects.select_related("debtor").get(pk=world["case"].pk)
    return (
        case.stage,
        case.debtor.identity_checked_at,
        sorted(DebtorAddress.objects.filter(debtor=case.debtor).values_list("pk", "status", "time_zone")),
        sorted(DebtorFact.objects.filter(debtor=case.debtor).values_list("pk", "lifted_at")),
        sorted(Consent.objects.filter(debtor=case.debtor).values_list("pk", "withdrawn_at")),
        (case.debtor.occupation, case.debtor.monthly_income),
        CaseDocument.objects.filter(case=case).count(),
        case.assessments.count(),
        sorted(CaseAssignment.objects.filter(case=case).values_list("agent", flat=True)),
        PlacementImport.objects.get(pk=world["placement"].pk).status,
        Complaint.objects.get(pk=world["complaint"].pk).status,
        Complaint.objects.count(),
    )


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# --- the URL list is complete ----------------------------------------------------------------------


def test_every_object_url_is_covered():
    names = {name for name, _ in OBJECT_URLS}

    assert names - set(SPECS) == set(), "describe the new object URL in SPECS so outsiders are tested on it"
    assert set(SPECS) - names == set(), "SPECS names a URL that no longer exists"


# --- outsiders: 404 on GET and POST, indistinguishable from a missing object, nothing written -----


def _outsider_calls() -> list[tuple[str, dict[str, str], str]]:
    result = []
    for name, variant in calls():
        outsiders = list(OUTSIDERS[SPECS[name].obj])
        outsiders += [
            r for r in ("supervisor", "agent", "compliance_officer") if r not in SPECS[name].audience
        ]
        result += [(name, variant, role) for role in dict.fromkeys(outsiders)]
    return result


@pytest.mark.parametrize(
    ("name", "variant", "role"),
    _outsider_calls(),
    ids=[f"{n}[{call_id(v)}]-{r}" for n, v, r in _outsider_calls()],
)
def test_outsiders_get_404(world, name, variant, role):
    client = signed_in(world[role])
    url = url_for(world, name, variant)
    before, since = snapshot(world), audit_head()

    got = client.get(url)
    posted = client.post(url, SPECS[name].data(world))

    assert posted.status_code == 404
    # POST-only URLs answer GET with 405 whoever asks and whether or not the object exists; what
    # matters is that the answer for a real object equals the answer for a missing one.
    assert got.status_code == client.get(missing_url(world, name, variant)).status_code
    assert got.status_code in (404, 405)
    assert snapshot(world) == before
    assert audit_head() == since  # nothing done, nothing to record (no pii.viewed, no document_viewed)


# --- the compliance officer sees the case but may not change it ------------------------------------


WRITE_CALLS = [(name, variant) for name, variant in calls() if SPECS[name].writes]


@pytest.mark.parametrize(("name", "variant"), WRITE_CALLS, ids=[f"{n}[{call_id(v)}]" for n, v in WRITE_CALLS])
def test_compliance_officer_is_refused_every_change(world, name, variant):
    client = signed_in(world["compliance_officer"])
    before, since = snapshot(world), audit_head()

    response = client.post(url_for(world, name, variant), SPECS[name].data(world), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(reverse("cases:case-detail", args=[world["case"].pk]))
    assert any("[PERMISSION_DENIED]" in str(m) for m in response.context["messages"])
    assert snapshot(world) == before
    refusals = list(AuditEvent.objects.filter(seq__gt=since).values_list("action", flat=True))
    assert len(refusals) == 1
    assert refusals[0].endswith(".refused")


READ_CALLS = [
    (name, variant, role)
    for name, variant in calls()
    if not SPECS[name].writes and not SPECS[name].action and SPECS[name].obj == "case"
    for role in SPECS[name].audience
]


@pytest.mark.parametrize(
    ("name", "variant", "role"), READ_CALLS, ids=[f"{n}[{call_id(v)}]-{r}" for n, v, r in READ_CALLS]
)
def test_the_cases_audience_may_read(world, name, variant, role):
    """The same URLs answer the case's audience, so the 404s above are about the role, not the URL."""
    client = signed_in(world[role])
    url = url_for(world, name, variant)
    spec = SPECS[name]

    posted = name == "cases:case-reveal" or spec.read_by_post
    response = client.post(url, spec.data(world)) if posted else client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "variant"), WRITE_CALLS, ids=[f"{n}[{call_id(v)}]" for n, v in WRITE_CALLS])
def test_the_teams_supervisor_may_write(world, name, variant):
    client = signed_in(world["supervisor"])

    response = client.post(url_for(world, name, variant), SPECS[name].data(world), follow=True)

    assert response.status_code == 200
    assert not any("[PERMISSION_DENIED]" in str(m) for m in response.context["messages"])


def test_an_importer_reaches_the_placement_preview(world):
    response = signed_in(world["other_supervisor"]).get(url_for(world, "cases:case-import-confirm", {}))

    assert response.status_code == 200
    assert world["placement"].status == PlacementImport.Status.PREVIEWED
