"""The export page tells the truth and hands over the tools to check an export: no "queued" once the
export is done, the verifier and the agency's certificate offered as downloads with instructions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from compliance.models import AuditExport
from tests.compliance.test_exports import record

pytestmark = pytest.mark.django_db

VERIFIER = Path(__file__).resolve().parent.parent.parent / "tools" / "verify_audit_export.py"


@pytest.mark.django_db(transaction=True)  # on_commit runs at the service's commit, as in a request
def test_an_export_done_at_once_is_not_called_queued(client, compliance_officer):
    record(2, case_id=9)
    client.force_login(compliance_officer)

    response = client.post(reverse("compliance:export-request"), {"case": "9", "formats": ["jsonl", "pdf"]})

    export = AuditExport.objects.get()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    page = client.get(response["Location"]).content.decode()
    assert export.status == "done"
    assert said == [f"Export #{export.pk} is ready."]
    assert "queued" not in page.lower()
    assert reverse("compliance:export-verifier") in page
    assert reverse("compliance:agency-certificate") in page
    assert (
        f"python3 verify_audit_export.py audit-export-{export.pk}.jsonl audit-export-{export.pk}.manifest.json"
        in page
    )


def test_a_queued_export_says_queued(client, compliance_officer, django_capture_on_commit_callbacks):
    record(1)
    client.force_login(compliance_officer)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("compliance:export-request"), {"formats": ["jsonl"]})

    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"Export #{AuditExport.objects.get().pk} queued; its page follows it."]


def test_the_verifier_and_the_certificate_are_downloads_for_compliance_only(
    client, compliance_officer, agent
):
    client.force_login(compliance_officer)

    verifier = client.get(reverse("compliance:export-verifier"))
    certificate = client.get(reverse("compliance:agency-certificate"))
    client.force_login(agent)
    refused = client.get(reverse("compliance:export-verifier"))

    assert verifier.status_code == 200
    assert b"".join(verifier.streaming_content) == VERIFIER.read_bytes()
    assert "verify_audit_export.py" in verifier["Content-Disposition"]
    assert certificate.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert "agency-demo-certificate.pem" in certificate["Content-Disposition"]
    assert refused.status_code == 404
