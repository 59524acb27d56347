"""Creditor and mandate services: validated, recorded in history and the audit chain."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError

from cases.services import reference
from compliance.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_creditor_create_audits_and_records_history(administrator):
    creditor = reference.creditor_create(code="abc", name="ABC Bank", actor=administrator)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.data) == (
        "creditor.created",
        str(creditor.pk),
        {"code": "abc"},
    )
    assert creditor.history.get().history_user == administrator


def test_creditor_code_must_be_unique(administrator):
    reference.creditor_create(code="abc", name="ABC Bank", actor=administrator)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        reference.creditor_create(code="abc", name="Other", actor=administrator)
    assert "code" in error.value.message_dict
    assert AuditEvent.objects.count() == before


def test_mandate_create_stores_the_document_digest(administrator, creditor):
    pdf = b"%PDF-1.4 signed mandate"
    mandate = reference.mandate_create(
        creditor=creditor,
        number="M-1",
        scope="Visits",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
        products=["credit_card"],
        document=pdf,
        actor=administrator,
    )
    assert mandate.document_sha256 == hashlib.sha256(pdf).hexdigest()
    assert mandate.document.read() == pdf
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "mandate.created"
    assert event.data == {
        "creditor": creditor.code,
        "number": "M-1",
        "document_sha256": mandate.document_sha256,
    }


def test_mandate_validity_must_not_end_before_it_starts(administrator, creditor):
    with pytest.raises(ValidationError):
        reference.mandate_create(
            creditor=creditor,
            number="M-2",
            scope="Visits",
            valid_from=dt.date(2026, 12, 31),
            valid_until=dt.date(2026, 1, 1),
            actor=administrator,
        )
