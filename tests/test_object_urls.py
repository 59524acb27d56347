"""Every URL of the project that names an object, for every role that is not entitled to it: 404.

The URL list is read from the URLconf (every app, the API included), so a new URL that takes an object
id (or another key naming something: a token, a pack code, a file name) fails
`test_every_object_url_is_described` until it is described in SPECS: which object its ids name and
who must not reach it. Each outsider then gets 404 on GET and POST (GET on a POST-only URL answers 405
exactly as it does for a missing object), nothing is written and nothing is recorded. The deeper
walkers of one app (tests/test_access_matrix.py for cases, tests/visits/test_onsite_views.py for the
on-site pages) stay: they also prove what the entitled roles may do.

The Django admin is the one exception, on purpose: it answers everyone who is not staff with a
redirect to its own sign-in page, before it looks at any object (`test_the_admin_shows_no_object_to_non_staff`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import system_user
from agreements import services as agreement_services
from agreements.models import Agreement, Closure, Escalation, FollowUpReview
from api import services as api_services
from cases import services as case_services
from cases.models import CaseDocument, DebtorAddress, DebtorPhone
from common.pii import phone_digest
from compliance import exports, retention, search
from compliance import packs as pack_services
from compliance.alerts import alert_raise
from compliance.models import AuditEvent, Complaint, RuleDecision, RulePack
from tests.factories import JPEG_BYTES, PDF_BYTES, CreditorFactory, audit_head
from tests.fixtures.placement import csv_bytes, valid_row
from tests.visits.conftest import (  # noqa: F401 (fixtures)
    approved_visit,
    home,
    identified,
    keyed,
    notified,
    on_site,
    plan,
    planned,
    talked,
    verified_case,
)
from visits import services as visit_services

pytestmark = pytest.mark.django_db

EXCLUDED_NAMESPACES = {"admin": "answers non-staff with a redirect to the admin sign-in (tested below)"}

# Who must not reach what (users of tests/conftest.py; the case belongs to the `north` team, is
# assigned to `agent`, and its visit is made by `agent` with `other_agent`).
CASE = ("other_supervisor", "other_team_agent", "administrator")
DOSSIER = (*CASE, "agent")  # the dossier is for supervisors and compliance officers
WORKSPACE = ("supervisor", "agent", "other_agent", "other_supervisor", "other_team_agent", "administrator")
IMPORTS = ("agent", "other_agent", "other_team_agent", "compliance_officer", "administrator")
PACKS = ("agent", "other_agent", "other_team_agent")  # supervisors and administrators may read packs
TEMPLATES = ("agent", "other_agent", "other_team_agent", "administrator")
API_USERS = ("other_supervisor", "other_team_agent")  # administrators hold no API token at all
ANYONE = ("anonymous",)  # the public page: nobody without the right link
OTHER_CREDITOR = ("other_creditor",)
# A saved case-list filter is its owner's (`supervisor`) alone.
NOT_OWNER = (
    "agent",
    "other_agent",
    "other_supervisor",
    "other_team_agent",
    "compliance_officer",
    "administrator",
)


@dataclass(frozen=True)
class Spec:
    obj: str  # the world's object whose id `pk` (or `case_pk`) names
    outsiders: tuple[str, ...]
    via: str = "session"  # session | token (a user's API token) | key (a creditor's API key) | public
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda w: {})


def _log_version(w: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1}


SPECS: dict[str, Spec] = {
    # --- cases ---
    "cases:case-import-confirm": Spec("placement", IMPORTS),
    "cases:case-detail": Spec("case", CASE),
    "cases:case-transition": Spec("case", CASE, kwargs=lambda w: {"name": "unverify"}),
    "cases:case-assign": Spec("case", CASE),
    "cases:case-identity": Spec("case", CASE),
    "cases:case-address-add": Spec("case", CASE),
    "cases:case-address-verify": Spec("case", CASE, kwargs=lambda w: {"address_id": w["address"].pk}),
    "cases:case-address-invalidate": Spec("case", CASE, kwargs=lambda w: {"address_id": w["address"].pk}),
    "cases:case-address-time-zone": Spec("case", CASE, kwargs=lambda w: {"address_id": w["address"].pk}),
    "cases:case-phone-add": Spec("case", CASE),
    "cases:case-phone-verify": Spec("case", CASE, kwargs=lambda w: {"phone_id": w["phone"].pk}),
    "cases:case-phone-invalidate": Spec("case", CASE, kwargs=lambda w: {"phone_id": w["phone"].pk}),
    "cases:case-fact-add": Spec("case", CASE, kwargs=lambda w: {"kind": "vulnerability"}),
    "cases:case-fact-lift": Spec("case", CASE, kwargs=lambda w: {"fact_id": w["fact"].pk}),
    "cases:case-consent-add": Spec("case", CASE),
    "cases:case-finances": Spec("case", CASE),
    "cases:case-consent-withdraw": Spec("case", CASE, kwargs=lambda w: {"consent_id": w["consent"].pk}),
    "cases:case-document-add": Spec("case", CASE),
    "cases:case-document-download": Spec("case", CASE, kwargs=lambda w: {"doc_id": w["document"].pk}),
    "cases:case-assessment": Spec("case", CASE),
    "cases:case-reveal": Spec("case", CASE, kwargs=lambda w: {"field": "id_number"}),
    "cases:case-complaint-add": Spec("case", CASE),
    "cases:case-dossier": Spec("case", DOSSIER),
    "cases:complaint-resolve": Spec("complaint", WORKSPACE),
    "cases:saved-filter-delete": Spec("saved_filter", NOT_OWNER),
    # --- compliance ---
    "compliance:alert-acknowledge": Spec("alert", WORKSPACE),
    "compliance:export-detail": Spec("export", WORKSPACE),
    "compliance:export-status": Spec("export", WORKSPACE),
    "compliance:export-file": Spec(
        "export", WORKSPACE, kwargs=lambda w: {"name": w["export"].files[0]["name"]}
    ),
    "compliance:complaint-detail": Spec("complaint", WORKSPACE),
    "compliance:complaint-acknowledge": Spec("complaint", WORKSPACE),
    "compliance:legal-hold-lift": Spec("hold", WORKSPACE),
    "compliance:rulepack-detail": Spec(
        "pack", PACKS, kwargs=lambda w: {"code": w["pack"].code, "version": 1}
    ),
    "compliance:rulepack-copy": Spec(
        "pack", WORKSPACE, kwargs=lambda w: {"code": w["pack"].code, "version": 1}
    ),
    "compliance:rulepack-new-version": Spec("pack", WORKSPACE, kwargs=lambda w: {"code": w["pack"].code}),
    "compliance:decision-detail": Spec("decision", CASE),
    "compliance:rulepack-change-detail": Spec("pack_change", PACKS),
    "compliance:rulepack-change-approve": Spec("pack_change", WORKSPACE),
    "compliance:rulepack-change-decline": Spec("pack_change", WORKSPACE),
    # --- visits: planning, notices, contacts ---
    "visits:visit-plan": Spec("case", CASE),
    "visits:visit-detail": Spec("visit", CASE),
    "visits:visit-approve": Spec("visit", CASE),
    "visits:visit-override": Spec("visit", CASE),
    "visits:visit-send-back": Spec("visit", CASE),
    "visits:visit-resubmit": Spec("visit", CASE),
    "visits:visit-cancel": Spec("visit", CASE),
    "visits:notice-create": Spec("visit", CASE),
    "visits:notice-detail": Spec("notice", CASE),
    "visits:notice-answer": Spec("notice", CASE),
    "visits:contact-list": Spec("case", CASE),
    "visits:visits-resume": Spec("case", CASE),
    "visits:notice-template-edit": Spec(
        "template", TEMPLATES, kwargs=lambda w: {"language": "en", "group": "sms"}
    ),
    "visits:public-verify": Spec(
        "public", ANYONE, via="public", kwargs=lambda w: {"token": w["wrong_token"]}
    ),
    "visits:public-agent-photo": Spec(
        "public",
        ANYONE,
        via="public",
        kwargs=lambda w: {"token": w["wrong_token"], "agent_id": w["agent"].pk},
    ),
    # --- visits: on site, statement, evidence, report, review ---
    "visits:site": Spec("visit", CASE),
    "visits:site-check-in": Spec("visit", CASE),
    "visits:site-checks": Spec("visit", CASE),
    "visits:site-conversation": Spec("visit", CASE),
    "visits:site-outcome": Spec("visit", CASE),
    "visits:site-evidence": Spec("visit", CASE),
    "visits:site-finish": Spec("visit", CASE),
    "visits:statement": Spec("visit", CASE),
    "visits:statement-hand-over": Spec("visit", CASE),
    "visits:statement-pdf": Spec("visit", CASE),
    "visits:evidence-download": Spec("visit", CASE, kwargs=lambda w: {"evidence_pk": w["evidence"].pk}),
    "visits:visit-report": Spec("visit", CASE),
    "visits:log-version": Spec("visit", CASE, kwargs=_log_version),
    "visits:log-accept": Spec("visit", CASE),
    "visits:log-return": Spec("visit", CASE),
    "visits:visit-abort": Spec("visit", CASE),
    # --- agreements, payments, follow-up, escalation, closure ---
    "agreements:agreement-new": Spec("case", CASE),
    "agreements:agreement-detail": Spec("agreement", CASE),
    "agreements:agreement-edit": Spec("agreement", CASE),
    "agreements:agreement-submit": Spec("agreement", CASE),
    "agreements:agreement-approve": Spec("agreement", CASE),
    "agreements:agreement-cancel": Spec("agreement", CASE),
    "agreements:agreement-sign": Spec("agreement", CASE),
    "agreements:signing-link-send": Spec("agreement", CASE),
    "agreements:agreement-pdf": Spec("agreement", CASE),
    "agreements:payment-new": Spec("case", CASE),
    "agreements:follow-up-new": Spec("case", CASE),
    "agreements:follow-up-done": Spec("follow_up", CASE),
    "agreements:review-done": Spec("review", CASE),
    "agreements:acknowledgement-new": Spec("case", CASE),
    "agreements:escalate": Spec("case", CASE),
    "agreements:escalation-document": Spec("escalation", CASE),
    "agreements:close": Spec("case", CASE),
    "agreements:reopen": Spec("case", CASE),
    "agreements:closing-report": Spec("closure", CASE),
    "agreements:public-sign": Spec(
        "public", ANYONE, via="public", kwargs=lambda w: {"token": w["wrong_token"]}
    ),
    # --- the integration API: creditor keys ---
    "api:creditor-case-detail": Spec("case", OTHER_CREDITOR, via="key"),
    "api:creditor-case-visits": Spec("case", OTHER_CREDITOR, via="key"),
    "api:creditor-case-audit-events": Spec("case", OTHER_CREDITOR, via="key"),
    "api:creditor-case-recall": Spec("case", OTHER_CREDITOR, via="key"),
    "api:creditor-case-agreement": Spec("case", OTHER_CREDITOR, via="key"),
    "api:creditor-case-payments": Spec("case", OTHER_CREDITOR, via="key"),
    # --- the integration API: user tokens ---
    "api:case-detail": Spec("case", API_USERS, via="token"),
    "api:case-verify": Spec("case", API_USERS, via="token"),
    "api:case-unverify": Spec("case", API_USERS, via="token"),
    "api:case-agents": Spec("case", API_USERS, via="token"),
    "api:case-visits": Spec("case", API_USERS, via="token"),
    "api:case-contacts": Spec("case", API_USERS, via="token"),
    "api:case-resume-visits": Spec("case", API_USERS, via="token"),
    "api:case-debtor-facts": Spec("case", API_USERS, via="token"),
    "api:debtor-fact-lift": Spec("fact", API_USERS, via="token"),
    "api:case-consents": Spec("case", API_USERS, via="token"),
    "api:consent-withdraw": Spec("consent", API_USERS, via="token"),
    "api:address-time-zone": Spec("address", API_USERS, via="token"),
    "api:case-debtor-finances": Spec("case", API_USERS, via="token"),
    "api:visit-detail": Spec("visit", API_USERS, via="token"),
    "api:visit-approve": Spec("visit", API_USERS, via="token"),
    "api:visit-send-back": Spec("visit", API_USERS, via="token"),
    "api:visit-resubmit": Spec("visit", API_USERS, via="token"),
    "api:visit-cancel": Spec("visit", API_USERS, via="token"),
    "api:visit-notices": Spec("visit", API_USERS, via="token"),
    "api:notice-answer": Spec("notice", API_USERS, via="token"),
    "api:visit-check-in": Spec("visit", API_USERS, via="token"),
    "api:visit-log": Spec("visit", API_USERS, via="token"),
    "api:visit-checks": Spec("visit", API_USERS, via="token"),
    "api:visit-conversation": Spec("visit", API_USERS, via="token"),
    "api:visit-not-debtor": Spec("visit", API_USERS, via="token"),
    "api:visit-outcome": Spec("visit", API_USERS, via="token"),
    "api:visit-attest": Spec("visit", API_USERS, via="token"),
    "api:visit-complete": Spec("visit", API_USERS, via="token"),
    "api:visit-log-accept": Spec("visit", API_USERS, via="token"),
    "api:visit-log-return": Spec("visit", API_USERS, via="token"),
    "api:visit-abort": Spec("visit", API_USERS, via="token"),
    "api:case-agreements": Spec("case", API_USERS, via="token"),
    "api:case-payments": Spec("case", API_USERS, via="token"),
    "api:case-follow-ups": Spec("case", API_USERS, via="token"),
    "api:agreement-detail": Spec("agreement", API_USERS, via="token"),
    "api:agreement-submit": Spec("agreement", API_USERS, via="token"),
    "api:agreement-approve": Spec("agreement", API_USERS, via="token"),
    "api:agreement-sign": Spec("agreement", API_USERS, via="token"),
    "api:agreement-cancel": Spec("agreement", API_USERS, via="token"),
    "api:follow-up-done": Spec("follow_up", API_USERS, via="token"),
    "api:follow-up-review-done": Spec("review", API_USERS, via="token"),
    "api:case-limitation": Spec("case", API_USERS, via="token"),
    "api:case-acknowledgements": Spec("case", API_USERS, via="token"),
}


def _walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if inner in EXCLUDED_NAMESPACES:
                continue
            found += _walk(entry.url_patterns, inner)
        elif entry.pattern.converters and entry.name:
            found.append((f"{namespace}:{entry.name}" if namespace else entry.name, entry))
    return found


def object_urls() -> dict[str, URLPattern]:
    """Every named URL of the project (all apps, from the root URLconf) with a path parameter."""
    return dict(_walk(get_resolver().url_patterns))


OBJECT_URLS = object_urls()


def test_every_object_url_is_described():
    names = set(OBJECT_URLS)

    assert names - set(SPECS) == set(), "describe the new URL in SPECS so that outsiders are tested on it"
    assert set(SPECS) - names == set(), "SPECS names a URL that no longer exists"


def test_the_walk_reaches_every_app():
    namespaces = {name.split(":")[0] for name in OBJECT_URLS}

    assert {"cases", "compliance", "visits", "agreements", "api"} <= namespaces


@pytest.fixture
def world(request, all_roles, agent, supervisor, compliance_officer, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    visit = request.getfixturevalue("talked")  # on site, the conversation logged (tests/visits/conftest.py)
    case = visit.case
    evidence = visit_services.evidence_add(
        visit=visit,
        actor=agent,
        idempotency_key=keyed(),
        upload=SimpleUploadedFile("door.jpg", JPEG_BYTES, content_type="image/jpeg"),
    )
    case_services.document_add(
        case=case, actor=agent, kind="contract", upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n")
    )
    placement = case_services.placement_upload_preview(
        creditor=case.creditor,
        upload=SimpleUploadedFile("placement.csv", csv_bytes([valid_row(1)])),
        actor=supervisor,
        supervisor=supervisor,
    )
    now = timezone.now()
    complaint = Complaint.objects.create(
        channel="phone", case_id=case.pk, created_at=now, received_at=now, text="t"
    )
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(
            actor=compliance_officer, filter=search.AuditFilter(), formats=["jsonl"]
        )
    export.refresh_from_db()
    agreement, follow_up, escalation, closure = _repayment_objects(case, agent, supervisor)
    other_creditor = CreditorFactory(code="otherbank")
    return {
        **all_roles,
        "case": case,
        "visit": visit,
        "notice": visit.notices.first(),
        "evidence": evidence,
        "address": DebtorAddress.objects.filter(debtor=case.debtor).first(),
        "phone": DebtorPhone.objects.get_or_create(
            debtor=case.debtor, digest=phone_digest("13912340000"), defaults={"number": "13912340000"}
        )[0],
        "document": CaseDocument.objects.filter(case=case).first(),
        "placement": placement,
        "complaint": complaint,
        "alert": alert_raise(kind="chain_broken", key="walker"),
        "export": export,
        "hold": retention.legal_hold_set(
            case_id=case.pk, reason="A court asked us to keep it.", actor=compliance_officer
        ),
        "decision": RuleDecision.objects.filter(case_id=case.pk).order_by("pk").first(),
        "pack": RulePack.objects.filter(code="cn-default").order_by("version").first(),
        "pack_change": pack_services.creditor_bind_pack(
            creditor=other_creditor, pack_code="uk", actor=compliance_officer, reason="UK portfolio"
        ),
        "agreement": agreement,
        "follow_up": follow_up,
        # A scheduled review of the follow-up plan, as the beat task creates it once its period passed.
        "review": FollowUpReview.objects.get(
            pk=agreement_services.reviews_schedule(today=timezone.localdate() + dt.timedelta(days=400))[0]
        ),
        "escalation": escalation,
        "closure": closure,
        "saved_filter": case_services.saved_filter_create(user=supervisor, name="Mine", query="stage=new"),
        "fact": case_services.debtor_fact_record(
            case=case, actor=agent, kind="inconvenient_place", address_id=visit.address_id, note="Not here."
        ),
        "consent": case_services.consent_record(
            case=case, actor=agent, kind="hours", given_by="The debtor", given_at=now, method="phone"
        ),
        "template": None,
        "public": None,
        "wrong_token": "not-a-real-link-0123456789abcdefghijklmnopqrstuv",
        "other_creditor_key": api_services.api_key_create(
            creditor=other_creditor, name="their bank", actor=system_user()
        ).secret,
    }


def _repayment_objects(case, agent, supervisor) -> tuple[Any, ...]:  # type: ignore[no-untyped-def]
    """An agreement, a follow-up plan, an escalation letter and a closing report on file (rows only, the
    case stays on site where the visit left it: the walk is about who reaches them, not the flow)."""
    agreement = Agreement.objects.create(
        case=case,
        number=f"W-{case.pk}",
        kind="lump_sum",
        currency=case.currency,
        balance=case.outstanding,
        total=case.outstanding,
        first_due_date=timezone.localdate() + dt.timedelta(days=10),
        method="bank_transfer",
        drafted_by=agent,
    )
    agreement.pdf.save("agreement.pdf", ContentFile(PDF_BYTES))
    follow_up = agreement_services.follow_up_plan(
        case=case,
        actor=supervisor,
        next_action="call",
        due_on=timezone.localdate() + dt.timedelta(days=1),
        owner=supervisor,
    )
    escalation = Escalation.objects.create(
        case=case, kind="litigation", law_firm="Firm", created_by=supervisor
    )
    escalation.document.save("letter.pdf", ContentFile(PDF_BYTES))
    closure = Closure.objects.create(
        case=case, reason="paid_in_full", closed_by=supervisor, closed_at=timezone.now()
    )
    closure.report.save("report.pdf", ContentFile(PDF_BYTES))
    return agreement, follow_up, escalation, closure


def url(world: dict[str, Any], name: str, *, missing: bool = False) -> str:
    spec, pattern = SPECS[name], OBJECT_URLS[name]
    kwargs = spec.kwargs(world)
    for key in ("pk", "case_pk"):
        if key in pattern.pattern.converters:
            kwargs[key] = world[spec.obj].pk
    if missing:  # the same URL with every id pointing at nothing
        kwargs = {
            k: 999_999 if isinstance(pattern.pattern.converters[k], IntConverter) else v
            for k, v in kwargs.items()
        }
    return reverse(name, kwargs=kwargs)


def client_for(world: dict[str, Any], spec: Spec, role: str) -> Any:
    if spec.via == "public":
        return Client()
    if spec.via == "key":
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world['other_creditor_key']}")
        return client
    if spec.via == "token":
        client = APIClient()
        secret = api_services.user_token_issue(user=world[role], actor=world[role]).secret
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client
    client = Client()
    client.force_login(world[role])
    return client


@pytest.mark.parametrize("name", list(SPECS))
def test_outsiders_get_404(world, name):
    """Every outsider of the URL in turn (one world per URL: building it is the slow part)."""
    spec = SPECS[name]
    target, missing = url(world, name), url(world, name, missing=True)
    visit, case = world["visit"], world["case"]
    for role in spec.outsiders:
        client = client_for(world, spec, role)
        since = audit_head()
        state = (type(visit).objects.get(pk=visit.pk).state, type(case).objects.get(pk=case.pk).stage)
        body = {"reason": "x" * 12, "comment": "x", "idempotency_key": keyed()}

        got, posted = client.get(target), client.post(target, body)

        answers = (got.status_code, posted.status_code)
        # 404 on the method the URL takes; the other method answers 405 whoever asks. Either answer is
        # exactly what an object that does not exist gets.
        assert 404 in answers, (target, role, answers)
        assert set(answers) <= {404, 405}, (target, role, answers)
        assert answers == (client.get(missing).status_code, client.post(missing, body).status_code), role
        assert audit_head() == since, (
            role,
            list(AuditEvent.objects.filter(seq__gt=since).values_list("action", flat=True)),
        )
        assert state == (type(visit).objects.get(pk=visit.pk).state, type(case).objects.get(pk=case.pk).stage)


# An entitled user reaches every described URL (so the 404s above come from the role, not from a
# broken URL): the role whose GET must not be 404.
ENTITLED = {
    "session": "supervisor",
    "token": "supervisor",
}
ENTITLED_BY_OBJECT = {
    "placement": "supervisor",
    "complaint": "compliance_officer",
    "alert": "compliance_officer",
    "export": "compliance_officer",
    "hold": "compliance_officer",
    "pack": "compliance_officer",
    "pack_change": "compliance_officer",
}


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s.via in ("session", "token")])
def test_an_entitled_user_reaches_the_url(world, name):
    spec = SPECS[name]
    role = ENTITLED_BY_OBJECT.get(spec.obj, ENTITLED[spec.via])
    if name == "cases:case-dossier":
        role = "supervisor"

    response = client_for(world, spec, role).get(url(world, name))

    assert response.status_code in (200, 302, 405), (name, response.status_code)


def test_the_right_creditor_key_reaches_its_case(world):
    secret = api_services.api_key_create(
        creditor=world["case"].creditor, name="theirs", actor=system_user()
    ).secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    for name in ("api:creditor-case-detail", "api:creditor-case-visits", "api:creditor-case-audit-events"):
        assert client.get(url(world, name)).status_code == 200


ADMIN_OBJECT_URLS = [
    "/admin/accounts/user/{user}/change/",
    "/admin/cases/creditor/{creditor}/change/",
    "/admin/compliance/auditevent/1/change/",
    "/admin/api/apikey/1/change/",
]


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_the_admin_shows_no_object_to_non_staff(world, role):
    client = Client()
    client.force_login(world[role])

    for template in ADMIN_OBJECT_URLS:
        target = template.format(user=world["agent"].pk, creditor=world["case"].creditor_id)
        response = client.get(target)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("admin:login"))
