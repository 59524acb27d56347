"""Upload page → preview → confirm, for supervisors; 404 for every other role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, PlacementImport
from tests.factories import MandateFactory
from tests.fixtures.placement import csv_bytes, resident_id, valid_row, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("cases:case-import")


@pytest.fixture
def placing(creditor, supervisor):
    today = timezone.localdate()
    MandateFactory(
        creditor=creditor,
        valid_from=today - dt.timedelta(days=30),
        valid_until=today + dt.timedelta(days=365),
    )
    creditor.default_supervisor = supervisor
    creditor.save()
    return creditor


def upload(client, creditor, rows, name="placement.csv", **extra):
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    return client.post(IMPORT_URL, {"creditor": creditor.pk, "file": SimpleUploadedFile(name, data), **extra})


def test_supervisor_uploads_previews_and_confirms(client, placing, supervisor):
    client.force_login(supervisor)
    page = client.get(IMPORT_URL)
    assert page.status_code == 200
    assert "hzbank" in page.content.decode()

    response = upload(
        client, placing, [valid_row(1), valid_row(2, id_type="passport", id_number="E99887766")]
    )
    placement = PlacementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case-import-confirm", args=[placement.pk])
    assert not Case.objects.exists()

    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Confirm and import" in html
    assert "张伟1" in html
    assert resident_id(1) not in html  # only masked document numbers
    assert resident_id(1)[:6] + "********" + resident_id(1)[-4:] in html
    assert "E99887766" not in html

    done = client.post(response["Location"], follow=True)
    assert done.redirect_chain[-1][0] == reverse("cases:case-list")
    assert "Imported placement.csv: 2 cases were created" in done.content.decode()
    assert Case.objects.count() == 2
    placement.refresh_from_db()
    assert placement.status == PlacementImport.Status.IMPORTED

    again = client.post(response["Location"], follow=True)
    assert "This file was already imported. [IMPORT_NOT_PENDING]" in again.content.decode()
    assert Case.objects.count() == 2


def test_errors_are_shown_with_line_column_and_reason_and_no_confirm(client, placing, supervisor):
    client.force_login(supervisor)
    rows = [valid_row(1, currency="RMB"), valid_row(2), valid_row(3, id_number=12345678901234567)]
    response = upload(client, placing, rows, name="placement.xlsx")
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert "Confirm and import" not in html
    assert "<code>currency</code>" in html
    assert "must be one of CNY" in html
    assert "Excel stored it as a number and lost digits; format the column as text" in html
    assert PlacementImport.objects.get().status == PlacementImport.Status.REJECTED
    refused = client.post(response["Location"], follow=True)
    assert "IMPORT_NOT_PENDING" in refused.content.decode()
    assert not Case.objects.exists()


def test_named_supervisor_from_the_form(client, placing, supervisor, other_supervisor):
    client.force_login(supervisor)
    response = upload(client, placing, [valid_row(1)], supervisor=other_supervisor.pk)
    client.post(response["Location"])
    assert Case.objects.get().supervisor == other_supervisor


def test_refused_upload_is_a_form_error(client, placing, supervisor):
    client.force_login(supervisor)
    response = client.post(
        IMPORT_URL, {"creditor": placing.pk, "file": SimpleUploadedFile("placement.xlsx", b"not a zip")}
    )
    assert response.status_code == 200
    assert "[UPLOAD_TYPE]" in response.content.decode()
    assert not PlacementImport.objects.exists()


def test_no_supervisor_is_a_form_error(client, creditor, mandate, supervisor):
    client.force_login(supervisor)
    response = upload(client, creditor, [valid_row(1)])
    assert response.status_code == 200
    assert "[SUPERVISOR_MISSING]" in response.content.decode()


@pytest.mark.parametrize("role", ["agent", "other_agent", "compliance_officer", "administrator"])
def test_other_roles_get_404(client, placing, supervisor, all_roles, role):
    client.force_login(supervisor)
    location = upload(client, placing, [valid_row(1)])["Location"]
    client.force_login(all_roles[role])
    assert client.get(IMPORT_URL).status_code == 404
    assert upload(client, placing, [valid_row(2)]).status_code == 404
    assert client.get(location).status_code == 404
    assert client.post(location).status_code == 404
    assert not Case.objects.exists()
    assert PlacementImport.objects.count() == 1


def test_another_supervisor_may_confirm(client, placing, supervisor, other_supervisor):
    client.force_login(supervisor)
    location = upload(client, placing, [valid_row(1)])["Location"]
    client.force_login(other_supervisor)
    assert client.get(location).status_code == 200
    client.post(location)
    assert Case.objects.count() == 1


def test_preview_page_query_count_does_not_grow_with_the_file(
    client, placing, supervisor, django_assert_max_num_queries
):
    client.force_login(supervisor)
    location = upload(client, placing, [valid_row(n) for n in range(1, 201)])["Location"]
    # Session and user (2); user and group permissions for can_import and the menu (2); the import with
    # its creditor and uploader (1); the role names for the menu (1); the session save with its
    # savepoint (3). The preview reads the stored report, never the rows: 9 for 200 rows as for 1.
    with django_assert_max_num_queries(9):
        response = client.get(location)
    assert response.status_code == 200
    assert response.content.decode().count('data-label="Line"') == 50


def test_unknown_import_is_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("cases:case-import-confirm", args=[999])).status_code == 404
