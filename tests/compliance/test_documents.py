"""The document policy (compliance/documents.py), walked: every document kind × role × profile, each
download recorded (who, what, profile, digest) and listed in "who saw what", and the bytes of every
file a masked profile hands out searched for the debtor's plain document number, phone and address
(PDF text through pdftotext, ZIP members one by one, text files as they are)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import tempfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agreements import services as agreement_services
from agreements.models import Agreement, ClosureReason, EscalationKind
from compliance import documents
from compliance.models import AuditEvent
from tests.agreements.conftest import signature_png, terms
from tests.factories import PhoneFactory, audit_events_since, audit_head
from tests.visits.conftest import (  # noqa: F401 - the visit fixtures this walk starts from
    ARRIVAL,
    approved_visit,
    attest_all,
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
from tests.visits.factories import local
from visits import services as visit_services

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)"),
]

PHONE = "13912345678"
AFTER = local(2026, 11, 26, 15)
ROLES = ("supervisor", "agent", "compliance_officer")


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", f.name, "-"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout


def texts_of(name: str, content: bytes) -> list[tuple[str, str]]:
    """Every readable text in a file: a PDF's text, each ZIP member's, or the bytes decoded."""
    if content.startswith(b"%PDF"):
        return [(name, pdf_text(content))]
    if content.startswith(b"PK"):
        found = []
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            for member in zf.namelist():
                found += texts_of(f"{name}!{member}", zf.read(member))
        return found
    return [(name, content.decode("utf-8", errors="replace"))]


def plain_pii(case) -> list[str]:  # type: ignore[no-untyped-def]
    debtor = case.debtor
    values = [debtor.id_number, PHONE]
    values += [a.text for a in debtor.addresses.all()]
    return values


def leaks(case, name: str, content: bytes) -> list[str]:  # type: ignore[no-untyped-def]
    secrets = plain_pii(case)
    return [
        f"{where}: {secret}"
        for where, text in texts_of(name, content)
        for secret in secrets
        if secret in text.replace(" ", "")
    ]


@pytest.fixture
def papered(talked, agent, supervisor):  # type: ignore[no-untyped-def]  # noqa: F811
    """A case with one document of every kind: the contract uploaded, a visit with a photo, the
    statement handed over and its report, a signed agreement, a lawyer's letter, and the closure."""
    case = talked.case
    PhoneFactory(debtor=case.debtor, number=PHONE)
    later = ARRIVAL + dt.timedelta(minutes=20)
    visit_services.evidence_add(
        visit=talked,
        actor=agent,
        idempotency_key=keyed("ev"),
        upload=SimpleUploadedFile("door.png", _png(), content_type="image/png"),
        now=later,
    )
    visit_services.statement_hand_over(
        visit=talked, actor=agent, idempotency_key=keyed(), language="zh-hans", now=later
    )
    visit_services.visit_log_save(
        visit=talked, actor=agent, step="outcome", data={"outcome": "refusal_to_pay"}, now=later
    )
    attest_all(talked)
    visit_services.visit_complete(visit=talked, actor=agent, idempotency_key=keyed(), now=later)
    visit_services.visit_log_accept(visit=talked, actor=supervisor, now=AFTER)
    case.refresh_from_db()
    agreement = agreement_services.agreement_draft(case=case, actor=agent, **terms(now=AFTER))
    agreement_services.agreement_sign(
        agreement=agreement,
        actor=agent,
        idempotency_key=keyed("sign"),
        debtor_signature=signature_png(1),
        agent_signature=signature_png(2),
        witness_name="Chen Jing",
        witness_signature=signature_png(3),
        debtor_understood=True,
        now=AFTER + dt.timedelta(minutes=10),
    )
    agreement_services.case_escalate(
        case=case,
        actor=supervisor,
        kind=EscalationKind.LAWYER_LETTER,
        law_firm="Zhong Lun Law Firm 中伦律师事务所",
        pay_by=dt.date(2026, 12, 20),
        now=AFTER + dt.timedelta(minutes=20),
    )
    case.refresh_from_db()
    agreement_services.payment_record(
        case=case,
        actor=supervisor,
        amount=case.outstanding,
        currency="CNY",
        paid_on=dt.date(2026, 11, 26),
        method="bank_transfer",
        reference=f"ALL-{case.pk}",
        now=AFTER + dt.timedelta(minutes=30),
    )
    case.refresh_from_db()
    agreement_services.case_close(
        case=case,
        actor=supervisor,
        reason=ClosureReason.PAID_IN_FULL,
        creditor_informed_on=dt.date(2026, 11, 26),
        creditor_informed_how="E-mail to the creditor's collections desk",
        documents_returned="Original loan contract",
        documents_returned_on=dt.date(2026, 11, 26),
        documents_returned_how="Registered post",
        now=AFTER + dt.timedelta(minutes=40),
    )
    case.refresh_from_db()
    return case


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(out, "PNG")
    return out.getvalue()


def downloads(case) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The URL of one document of each kind the web hands out for the case."""
    visit = case.visits.get()
    evidence = visit.evidence.exclude(kind="statement").get()
    return {
        "case_document": reverse("cases:case-document-download", args=[case.pk, case.documents.first().pk]),
        "evidence": reverse("visits:evidence-download", args=[visit.pk, evidence.pk]),
        "statement": reverse("visits:statement-pdf", args=[visit.pk]),
        "visit_report": reverse("visits:visit-report", args=[visit.pk]),
        "agreement": reverse("agreements:agreement-pdf", args=[Agreement.objects.get(case=case).pk]),
        "lawyer_letter": reverse("agreements:escalation-document", args=[case.escalations.get().pk]),
        "closing_report": reverse("agreements:closing-report", args=[case.closures.get().pk]),
    }


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def recorded_since(head: int) -> list:  # type: ignore[type-arg]
    return [e for e in audit_events_since(head) if e.action != "auth.login"]


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_every_document_kind_for_every_role_is_decided_recorded_and_masked(papered, request):
    urls = downloads(papered)
    assert set(urls) | {"dossier", "audit_export"} == set(documents.KINDS)
    for role in ROLES:
        user = request.getfixturevalue(role)
        client = signed_in(user)
        for key, url in urls.items():
            profile = documents.profile_for(user, key)
            head = audit_head()

            response = client.get(url)

            if profile is None:
                assert response.status_code == 302, (role, key)
                assert audit_head() == head, (role, key)
                continue
            assert response.status_code == 200, (role, key)
            content = body(response)
            (event,) = audit_events_since(head)
            assert event.action == documents.KINDS[key].action
            assert event.actor_user_id == user.pk
            assert (event.data["kind"], event.data["profile"]) == (key, profile)
            assert len(event.data["sha256"]) == 64
            if profile == documents.MASKED:
                assert leaks(papered, key, content) == [], (role, key)


def test_a_field_agent_cannot_download_the_closing_report(papered, agent, supervisor):
    url = reverse("agreements:closing-report", args=[papered.closures.get().pk])
    head = audit_head()

    refused = signed_in(agent).get(url, follow=True)
    allowed = signed_in(supervisor).get(url)

    assert "full personal data" in refused.content.decode()
    assert allowed.status_code == 200
    content = b"".join(allowed.streaming_content)
    assert papered.debtor.id_number in pdf_text(content)  # the regulator's copy: in full, on record
    assert [e.action for e in recorded_since(head)] == ["closure.report_downloaded"]
    page = signed_in(agent).get(reverse("cases:case-detail", args=[papered.pk])).content.decode()
    assert url not in page


@pytest.mark.parametrize(
    ("role", "profile"),
    [
        ("compliance_officer", "regulator"),
        ("compliance_officer", "creditor"),
        ("compliance_officer", "debtor"),
        ("supervisor", "creditor"),
        ("supervisor", "debtor"),
    ],
)
def test_the_dossier_profile_applies_to_every_member(papered, request, role, profile):
    user = request.getfixturevalue(role)
    head = audit_head()

    response = signed_in(user).post(reverse("cases:case-dossier", args=[papered.pk]), {"profile": profile})

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        names = zf.namelist()
        readme = zf.read("README.txt").decode()
    (event,) = recorded_since(head)
    assert event.action == "dossier.exported"
    assert (event.data["profile"], event.data["masking"]) == (profile, documents.DOSSIER_MASKING[profile])
    if profile == "creditor":
        assert leaks(papered, "dossier.zip", content) == []
        assert not any(n.startswith(("documents/", "closures/")) for n in names)
        assert "closures/" in readme
        assert "left out" in readme
        assert any(n.startswith("agreements/") for n in names)  # masked at rendering: it goes in
    if profile == "regulator":
        assert any(n.startswith("closures/") for n in names)
        assert "Left out" not in readme


def test_downloads_are_listed_in_who_saw_what(papered, supervisor, compliance_officer):
    signed_in(supervisor).get(reverse("agreements:closing-report", args=[papered.closures.get().pk]))

    page = signed_in(compliance_officer).get(reverse("compliance:access-log") + f"?case={papered.pk}")

    assert page.status_code == 200
    assert "Closing report downloaded" in page.content.decode()
    assert AuditEvent.objects.filter(action="closure.report_downloaded").count() == 1


def test_the_policy_table_refuses_unlisted_roles(administrator, agent):
    assert documents.profile_for(administrator, "closing_report") is None
    assert documents.profile_for(agent, "closing_report") is None
    assert documents.profile_for(agent, "agreement") == documents.MASKED
    assert documents.dossier_left_out("closing_report", "creditor")
    assert documents.dossier_left_out("closing_report", "regulator") == ""
