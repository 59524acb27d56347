"""The audit search: every filter (case, debtor reference, actor, action, rule code, UTC days), keyset
pages both ways, the debtor look-up by document number (posted, never in a URL), and the query plan."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from cases import services as case_services
from compliance import audit, search
from compliance.models import AuditEvent
from tests.factories import CaseFactory, audit_head

pytestmark = pytest.mark.django_db
URL = reverse("compliance:audit-list")


def seqs(f: search.AuditFilter) -> list[int]:
    return list(search.filtered(f).order_by("seq").values_list("seq", flat=True))


def test_filter_by_case_actor_action_and_code(case, agent, supervisor):
    start = audit_head()
    a = audit.record(
        actor=agent,
        action="case.verify.refused",
        obj=case,
        case_id=case.pk,
        data={"codes": ["MANDATE_VALID"]},
    )
    b = audit.record(
        actor=supervisor,
        action="rules.refused",
        object_type="t",
        object_id="1",
        case_id=case.pk,
        data={"codes": ["MIN_AGENTS", "CONTACT_WINDOW"]},
    )
    c = audit.record(
        actor=None, action="visit.reminder_sent", object_type="t", object_id="2", data={"codes": "MIN_AGENTS"}
    )
    after = search.AuditFilter()

    assert seqs(search.AuditFilter(case_id=case.pk, action="case.verify")) == [a.seq]
    assert seqs(search.AuditFilter(actor=f"user:{supervisor.pk}", date_from=dt.date(2026, 11, 23))) == [b.seq]
    assert c.seq in seqs(search.AuditFilter(actor="system"))
    assert seqs(search.AuditFilter(code="MIN_AGENTS")) == [b.seq]  # a string is not a list of codes
    assert seqs(search.AuditFilter(code="MANDATE_VALID")) == [a.seq]
    assert seqs(search.AuditFilter(code="NOPE")) == []
    assert len(seqs(after)) >= start + 3


def test_filter_by_utc_days():
    with time_machine.travel(dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC), tick=False):
        early = audit.record(actor=None, action="t.a", object_type="t", object_id="1")
    with time_machine.travel(dt.datetime(2026, 11, 21, 0, 1, tzinfo=dt.UTC), tick=False):
        late = audit.record(actor=None, action="t.a", object_type="t", object_id="2")

    assert seqs(search.AuditFilter(action="t.", date_to=dt.date(2026, 11, 20))) == [early.seq]
    assert seqs(search.AuditFilter(action="t.", date_from=dt.date(2026, 11, 21))) == [late.seq]
    assert seqs(
        search.AuditFilter(action="t.", date_from=dt.date(2026, 11, 20), date_to=dt.date(2026, 11, 21))
    ) == [early.seq, late.seq]


def test_filter_by_debtor_reference_covers_their_cases_and_the_debtor(
    case, agent, creditor, mandate, team, supervisor
):
    second = CaseFactory(
        creditor=creditor,
        mandate=mandate,
        team=team,
        supervisor=supervisor,
        debtor=case.debtor,
        agents=[agent],
    )
    other = CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent])
    reveal = case_services.pii_reveal(case=case, actor=agent, field="id_number")
    assert reveal["field"] == "id_number"
    one = audit.record(actor=agent, action="t.x", object_type="t", object_id="1", case_id=second.pk)
    audit.record(actor=agent, action="t.x", object_type="t", object_id="2", case_id=other.pk)
    by_id = search.AuditFilter(debtor=str(case.debtor.pk), action="")
    by_digest = search.AuditFilter(debtor=case.debtor.id_digest)

    found = AuditEvent.objects.filter(pk__in=seqs(by_id))
    assert set(found.values_list("case_id", flat=True)) == {case.pk, second.pk}
    assert found.filter(action="pii.viewed", object_type="cases.debtor").exists()
    assert one.seq in seqs(by_id)
    assert seqs(by_id) == seqs(by_digest)
    assert seqs(search.AuditFilter(debtor="999999")) == []


def test_pages_go_both_ways_by_seq():
    audit.record_many(audit.EventSpec("page.t", object_type="t", object_id=str(i)) for i in range(130))
    f = search.AuditFilter(action="page.")
    first = search.page(f, size=50)
    second = search.page(f, before=first.older, size=50)
    back = search.page(f, after=second.newer, size=50)
    last = search.page(f, before=search.page(f, before=second.older, size=50).events[-1].seq, size=50)

    assert first.newer is None
    assert first.older == first.events[-1].seq
    assert [e.seq for e in second.events] == [e.seq - 50 for e in first.events]
    assert [e.seq for e in back.events] == [e.seq for e in first.events]
    assert back.newer is None
    assert last.events == []
    assert last.older is None


def test_filter_round_trips_through_json():
    f = search.AuditFilter(
        case_id=3,
        debtor="12",
        actor="user:4",
        action="case.",
        code="MIN_AGENTS",
        date_from=dt.date(2026, 1, 2),
        date_to=dt.date(2026, 2, 3),
    )

    assert search.AuditFilter.from_dict(f.as_dict()) == f
    assert search.AuditFilter().as_dict() == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
@pytest.mark.postgres
def test_rule_code_search_uses_the_gin_index_on_postgresql():
    sql, params = (
        search.filtered(search.AuditFilter(code="MIN_AGENTS")).order_by("-seq")[:50].query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "audit_data_codes_gin" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.postgres
def test_a_deep_case_page_is_an_index_range_scan_on_postgresql():
    sql, params = (
        search.filtered(search.AuditFilter(case_id=5))
        .filter(seq__lt=10**6)
        .order_by("-seq")[:51]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        # An empty test table makes any plan cheap: forbid the alternatives to see what the index can do.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "audit_case_seq_idx" in plan
    assert "Sort" not in plan  # the index gives seq order: no sort of the matching rows


# --- the page ------------------------------------------------------------------------------------------


def test_the_page_filters_and_names_actors(client, compliance_officer, agent, case):
    audit.record(
        actor=agent,
        action="case.verify.refused",
        obj=case,
        case_id=case.pk,
        data={"codes": ["MANDATE_VALID"]},
    )
    client.force_login(compliance_officer)

    response = client.get(URL, {"code": "mandate_valid", "actor": agent.username})

    assert [e.action for e in response.context["events"]] == ["case.verify.refused"]
    assert response.context["filter"].actor == f"user:{agent.pk}"
    assert agent.display_name in response.content.decode()


def test_unknown_actor_and_bad_values_are_shown_as_errors(client, compliance_officer):
    client.force_login(compliance_officer)

    response = client.get(
        URL,
        {
            "actor": "nobody-here",
            "debtor": "张三",
            "code": "lower case",
            "date_from": "2026-12-02",
            "date_to": "2026-12-01",
        },
    )

    errors = response.context["form"].errors
    assert set(errors) == {"actor", "debtor", "code", "date_to"}
    assert response.status_code == 200


def test_debtor_lookup_by_document_number_is_posted_and_redirects_with_the_reference(
    client, compliance_officer, case
):
    client.force_login(compliance_officer)

    response = client.post(URL, {"id_number": case.debtor.id_number})

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?debtor={case.debtor.pk}"
    assert case.debtor.id_number not in response["Location"]
    missing = client.post(URL, {"id_number": "110105199001019999"}, follow=True)
    assert any("No debtor holds" in str(m) for m in missing.context["messages"])


def test_pager_links_and_the_export_form_keep_every_filter(client, compliance_officer):
    audit.record_many(
        audit.EventSpec("keep.t", object_type="t", object_id=str(i), case_id=5) for i in range(60)
    )
    client.force_login(compliance_officer)
    params = {"case": "5", "action": "keep.", "date_from": "2026-11-23", "actor": "system"}

    first = client.get(URL, params)
    second = client.get(f"{URL}?{first.context['query']}&before={first.context['older']}")
    export_fields = {
        name: field.value() for name, field in ((f.name, f) for f in first.context["export_form"])
    }

    assert first.context["query"] == "case=5&actor=system&action=keep.&date_from=2026-11-23"
    assert len(second.context["events"]) == 10
    assert all(e.case_id == 5 for e in second.context["events"])
    assert (export_fields["case"], export_fields["action"], export_fields["actor"]) == (
        "5",
        "keep.",
        "system",
    )
