"""The case dossier ZIP: one click on the case page (compliance officers, the team's supervisors), a PDF
of the case so far with a CJK font embedded, the case's audit events with their manifest (checked by
the bundled verifier), the documents with their digests, README and SHA256SUMS; redaction profiles."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from compliance import registry
from compliance.dossier import staff_namer
from compliance.models import Complaint
from compliance.registry import DossierContext
from tests.factories import audit_actions_since, audit_events_since, audit_head, make_verifiable

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(case, agent):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent)
    Complaint.objects.create(
        channel="phone",
        case_id=case.pk,
        created_at=timezone.now(),
        received_at=timezone.now(),
        text="The agent was rude",
    )
    case.refresh_from_db()
    return case


def download(client, case, profile: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("cases:case-dossier", args=[case.pk]), {"profile": profile})


def unzip(response) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def html_of(case, profile: str) -> str:  # type: ignore[no-untyped-def]
    ctx = DossierContext(case_id=case.pk, profile=profile, now=timezone.now(), person=staff_namer(profile))
    return "".join(str(part.html) for s in registry.dossier_sections() if (part := s.build(ctx)))


def test_an_officer_downloads_a_complete_verifiable_dossier(client, worked, compliance_officer, tmp_path):
    client.force_login(compliance_officer)
    head = audit_head()

    response = download(client, worked, "regulator")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"dossier-case-{worked.pk}-regulator-" in response["Content-Disposition"]
    archive = unzip(response)
    names = set(archive.namelist())
    document = worked.documents.get()
    assert names == {
        "dossier.pdf",
        f"audit/case-{worked.pk}.jsonl",
        f"audit/case-{worked.pk}.manifest.json",
        f"documents/{document.pk}-{document.original_name}",
        "verify_audit_export.py",
        "README.txt",
        "SHA256SUMS",
    }
    sums = dict(reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines())
    assert set(sums) == names - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    assert sums[f"documents/{document.pk}-{document.original_name}"] == document.sha256
    assert archive.read("dossier.pdf").startswith(b"%PDF")
    readme = archive.read("README.txt").decode()
    assert "sha256sum -c SHA256SUMS" in readme
    assert "verify_audit_export.py" in readme
    # The bundled verifier accepts the case's events and their manifest, on its own.
    archive.extractall(tmp_path)
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-I",
            "verify_audit_export.py",
            f"audit/case-{worked.pk}.jsonl",
            f"audit/case-{worked.pk}.manifest.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK ")
    assert audit_actions_since(head) == ["dossier.exported"]
    event = audit_events_since(head)[0]
    assert event.data["profile"] == "regulator"
    assert event.data["zip_sha256"] == response["X-Content-SHA256"]
    assert event.case_id == worked.pk


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils (pdffonts)")
def test_the_pdf_embeds_a_cjk_font(client, worked, compliance_officer, tmp_path):
    client.force_login(compliance_officer)
    path = tmp_path / "dossier.pdf"
    path.write_bytes(unzip(download(client, worked, "regulator")).read("dossier.pdf"))

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607

    cjk = [
        line
        for line in fonts.splitlines()[2:]
        if any(n in line for n in ("WenQuanYi", "NotoSansCJK", "NotoSansSC", "SourceHan"))
    ]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), fonts


def test_profiles_mask_the_debtor_for_the_creditor_and_hide_staff_from_the_debtor(worked, agent):
    debtor = worked.debtor
    regulator, creditor, subject = (html_of(worked, p) for p in ("regulator", "creditor", "debtor"))

    assert debtor.id_number in regulator
    assert agent.display_name in regulator
    assert debtor.id_number not in creditor
    assert debtor.id_number_masked in creditor
    assert "The agent was rude" not in creditor
    assert debtor.id_number in subject
    assert "The agent was rude" in subject
    assert agent.display_name not in subject
    assert "Staff member 1" in subject


def test_a_supervisor_gets_the_creditor_and_debtor_profiles_only(client, worked, supervisor):
    client.force_login(supervisor)
    head = audit_head()

    assert download(client, worked, "creditor").status_code == 200
    refused = client.post(
        reverse("cases:case-dossier", args=[worked.pk]), {"profile": "regulator"}, follow=True
    )

    assert refused.redirect_chain[-1][0] == reverse("cases:case-detail", args=[worked.pk])
    assert any("Redaction profile" in str(m) for m in refused.context["messages"])
    assert audit_actions_since(head) == ["dossier.exported"]


@pytest.mark.parametrize("role", ["agent", "other_supervisor", "other_team_agent", "administrator"])
def test_others_get_404_and_no_button(client, request, worked, role):
    client.force_login(request.getfixturevalue(role))
    head = audit_head()

    assert download(client, worked, "creditor").status_code == 404
    assert audit_head() == head
    page = client.get(reverse("cases:case-detail", args=[worked.pk]))
    assert (
        page.status_code == 404
        or reverse("cases:case-dossier", args=[worked.pk]) not in page.content.decode()
    )


@pytest.mark.parametrize("role", ["supervisor", "compliance_officer"])
def test_the_case_page_has_the_button(client, request, worked, role):
    client.force_login(request.getfixturevalue(role))

    body = client.get(reverse("cases:case-detail", args=[worked.pk])).content.decode()

    assert reverse("cases:case-dossier", args=[worked.pk]) in body


def test_a_dossier_after_retention_lists_removed_files(client, worked, compliance_officer):
    from compliance import retention
    from tests.factories import close_case

    close_case(worked, at=timezone.now().replace(year=2020))
    retention.anonymize_due()
    client.force_login(compliance_officer)

    archive = unzip(download(client, worked, "regulator"))

    assert not [n for n in archive.namelist() if n.startswith("documents/")]
    assert "(file removed by retention)" in html_of(worked, "regulator")
