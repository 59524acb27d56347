"""The audit search's rows, formatted by the selector (what the template's filters printed before)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import audit, selectors
from compliance.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_rows_print_what_the_page_shows(agent, case):
    audit.record(actor=agent, action="case.note", obj=case, case_id=case.pk, data={"codes": ["A_CODE", "B"]})
    audit.record(actor=None, action="system.tick", object_type="tests.thing", object_id="7")
    events = list(AuditEvent.objects.order_by("-seq")[:2])
    users = selectors.people(selectors.actor_ids(events))

    with CaptureQueriesContext(connection) as queries:
        tick, note = selectors.audit_rows(events, users)

    assert len(queries) == 0  # formatting only: the events and their people are read already
    assert (note.person, note.actor) == (agent.display_name, f"user:{agent.pk}")
    assert note.object_ref == f"cases.case:{case.pk}"
    assert (note.case_id, note.case_url) == (case.pk, reverse("cases:case-detail", args=[case.pk]))
    assert note.codes == ("A_CODE", "B")
    assert note.at == events[1].at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert note.hash_short == events[1].hash[:12] + "…"  # as truncatechars:13 printed it
    assert (tick.person, tick.actor, tick.case_id, tick.case_url, tick.codes) == ("", "system", None, "", ())


def test_audit_page_shows_the_formatted_rows(compliance_officer, case):
    from django.test import Client

    audit.record(actor=None, action="case.note", obj=case, case_id=case.pk, data={"codes": ["A_CODE"]})
    event = AuditEvent.objects.order_by("-seq").first()
    client = Client()
    client.force_login(compliance_officer)

    html = client.get(reverse("compliance:audit-list")).content.decode()

    assert f'<a href="{reverse("cases:case-detail", args=[case.pk])}">case {case.pk}</a>' in html
    assert "<code>A_CODE</code>" in html
    assert event.hash[:12] + "…" in html
    assert event.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") in html
