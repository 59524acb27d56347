"""Creditor endpoints: place cases (the file import's rules, all or nothing, idempotent), read a case's
stage and history, its visits (no personal data) and its audit events (export lines, keyset on seq).
A key sees its own creditor's cases only: another creditor's case is 404."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from api.models import ApiKey
from cases import services as case_services
from cases.models import Case, Debtor
from compliance.audit import canonical_json, compute_hash, export_line
from compliance.models import AuditEvent
from tests.factories import (
    TODAY,
    CaseFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
    make_verifiable,
)
from tests.fixtures.placement import valid_row
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db

PLACE = "/api/v1/creditor/placements/"


def place(client, rows, **extra):  # type: ignore[no-untyped-def]
    return client.post(PLACE, {"rows": rows, **extra}, format="json")


# --- placing cases ----------------------------------------------------------------------------------


def test_placing_rows_creates_the_cases_like_an_import(creditor_api, creditor_key, supervisor):
    key, _secret = creditor_key
    head = audit_head()

    response = place(creditor_api, [valid_row(1), valid_row(2)])

    assert response.status_code == 201
    body = response.json()
    cases = {c.external_ref: c for c in Case.objects.select_related("team")}
    assert body["counts"]["created"] == 2
    assert body["counts"]["debtors_created"] == 2
    assert body["cases"] == [
        {"external_ref": "REF-00001", "id": cases["REF-00001"].pk, "result": "created"},
        {"external_ref": "REF-00002", "id": cases["REF-00002"].pk, "result": "created"},
    ]
    assert {c.team.code for c in cases.values()} == {"north"}
    assert audit_actions_since(head) == ["case.imported", "case.imported", "placement.imported"]
    for event in audit_events_since(head):
        assert (event.actor, event.actor_user_id, event.data["via"]) == (f"apikey:{key.pk}", None, "api")
    assert audit_events_since(head)[-1].data["sha256"]


def test_placing_the_same_rows_again_creates_nothing_and_reports_updates(creditor_api):
    assert place(creditor_api, [valid_row(1), valid_row(2)]).status_code == 201
    ids = dict(Case.objects.values_list("external_ref", "pk"))
    head = audit_head()

    again = place(creditor_api, [valid_row(1), valid_row(2, outstanding="7000.00")])

    assert again.status_code == 200
    assert again.json()["counts"] | {} == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "debtors_created": 0,
        "debtors_matched": 2,
        "phones_added": 0,
        "addresses_added": 0,
    }
    assert {c["external_ref"]: (c["id"], c["result"]) for c in again.json()["cases"]} == {
        "REF-00001": (ids["REF-00001"], "unchanged"),
        "REF-00002": (ids["REF-00002"], "updated"),
    }
    assert Case.objects.count() == 2
    assert Debtor.objects.count() == 2
    assert audit_actions_since(head) == ["case.import_updated", "placement.imported"]
    assert audit_events_since(head)[0].data["changed"] == ["outstanding"]


def test_any_bad_row_answers_422_naming_every_bad_row_and_writes_nothing(creditor_api):
    head = audit_head()

    response = place(
        creditor_api,
        [
            valid_row(1),
            valid_row(2, id_number="110105199001011230", principal="abc"),
            valid_row(3, external_ref="REF-00001", debtor_name=""),
            {**valid_row(4), "colour": "red", "home_address": {"street": "x"}},
        ],
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [
        (2, "id_number", "INVALID_VALUE"),
        (2, "principal", "INVALID_VALUE"),
        (3, "external_ref", "DUPLICATE_REF"),
        (3, "debtor_name", "REQUIRED"),
        (4, "home_address", "INVALID_VALUE"),
        (4, "colour", "UNKNOWN_COLUMN"),
    ]
    assert errors[0]["pointer"] == "/rows/1/id_number"
    assert "line 1" in errors[2]["message"]  # the import's words: rows count from 1, as lines do
    assert all(e["message"] for e in errors)
    assert not Case.objects.exists()
    assert not Debtor.objects.exists()
    assert audit_actions_since(head) == ["placement.imported.refused"]
    assert audit_events_since(head)[0].data["errors"] == 6


def test_json_integers_are_read_as_their_digits_not_as_excel_numbers(creditor_api):
    response = place(creditor_api, [valid_row(1, external_ref=12345, contract_no=777, phone=13900000001)])

    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.external_ref, case.contract_no) == ("12345", "777")
    assert case.debtor.phones.get().number == "13900000001"


def test_phones_may_be_a_list(creditor_api):
    assert place(creditor_api, [valid_row(1, phone=["13900000001", "13900000002"])]).status_code == 201

    assert Case.objects.get().debtor.phones.count() == 2


def test_a_dry_run_writes_and_records_nothing(creditor_api):
    head = audit_head()

    response = place(creditor_api, [valid_row(1)], dry_run=True)

    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["cases"] == [{"external_ref": "REF-00001", "id": None, "result": "created"}]
    assert not Case.objects.exists()
    assert audit_head() == head


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"rows": []}, "rows", "MIN_LENGTH"),
        ({"rows": "x"}, "rows", "NOT_A_LIST"),
        ({"rows": [1]}, "rows.0", "NOT_A_DICT"),
        ({}, "rows", "FIELD_REQUIRED"),
    ],
)
def test_a_body_that_is_not_rows_is_422(creditor_api, body, field, code):
    response = creditor_api.post(PLACE, body, format="json")

    assert response.status_code == 422
    assert (response.json()["errors"][0]["field"], response.json()["errors"][0]["code"]) == (field, code)


def test_too_many_rows_is_422(creditor_api, settings):
    settings.API_PLACEMENT_MAX_ROWS = 2

    response = place(creditor_api, [valid_row(1), valid_row(2), valid_row(3)])

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "MAX_LENGTH"


def test_a_creditor_without_a_default_supervisor_is_refused_409(creditor_api, placing_creditor):
    placing_creditor.default_supervisor = None
    placing_creditor.save()

    response = place(creditor_api, [valid_row(1)])

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "SUPERVISOR_MISSING"
    assert not Case.objects.exists()


def test_a_body_that_is_not_json_is_400(creditor_api):
    response = creditor_api.generic("POST", PLACE, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "MALFORMED_REQUEST"


# --- reading a case ---------------------------------------------------------------------------------


@pytest.fixture
def placed(placing_creditor, mandate, team, supervisor, agent):  # type: ignore[no-untyped-def]
    return CaseFactory(
        creditor=placing_creditor,
        mandate=mandate,
        team=team,
        supervisor=supervisor,
        agents=[agent],
        external_ref="EXT-9",
    )


def test_a_case_reads_with_its_stage_and_stage_history(creditor_api, placed, agent):
    make_verifiable(placed, agent)
    case_services.case_verify(case=placed, actor=agent, today=TODAY)
    case_services.case_unverify(case=placed, actor=agent, reason="the address was wrong")

    response = creditor_api.get(reverse("api:creditor-case-detail", args=[placed.pk]))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["external_ref"], body["stage"]) == (placed.pk, "EXT-9", "new")
    assert [h["stage"] for h in body["stage_history"]] == ["new", "verified", "new"]
    assert all(h["at"].endswith("Z") for h in body["stage_history"])
    assert "debtor" not in body
    assert placed.debtor.name not in response.content.decode()


def test_cases_list_filters_by_reference_and_pages_by_id(creditor_api, placed, placing_creditor):
    others = [CaseFactory(creditor=placing_creditor, mandate=placed.mandate) for _ in range(3)]

    by_ref = creditor_api.get(reverse("api:creditor-case-list"), {"external_ref": "EXT-9"}).json()
    first = creditor_api.get(reverse("api:creditor-case-list"), {"limit": 2}).json()
    second = creditor_api.get(first["next"]).json()

    assert [c["id"] for c in by_ref["results"]] == [placed.pk]
    ids = sorted([placed.pk] + [c.pk for c in others])
    assert [c["id"] for c in first["results"]] == ids[:2]
    assert [c["id"] for c in second["results"]] == ids[2:]
    assert second["next"] is None


def test_another_creditors_key_gets_404_on_every_case_url(other_creditor_api, placed):
    for name in ("api:creditor-case-detail", "api:creditor-case-visits", "api:creditor-case-audit-events"):
        response = other_creditor_api.get(reverse(name, args=[placed.pk]))
        missing = other_creditor_api.get(reverse(name, args=[999_999]))
        assert response.status_code == missing.status_code == 404, name
        assert response.json() == missing.json()
    assert other_creditor_api.get(reverse("api:creditor-case-list")).json()["results"] == []


def test_visits_come_with_their_window_and_no_personal_data(creditor_api, placed, agent, other_agent):
    visit = VisitFactory(case=placed, planned_by=agent, agents=[agent, other_agent])

    response = creditor_api.get(reverse("api:creditor-case-visits", args=[placed.pk]))

    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item == {
        "id": visit.pk,
        "state": "planned",
        "purpose": "negotiate",
        "window_start": "2026-11-26T02:00:00Z",
        "window_end": "2026-11-26T04:00:00Z",
        "time_zone": "Asia/Shanghai",
        "window_start_local": "2026-11-26T10:00:00+08:00",
        "window_end_local": "2026-11-26T12:00:00+08:00",
        "agents": sorted([agent.pk, other_agent.pk]),
        "outcome": None,
        "completed_at": None,
        "state_changed_at": None,
        "created_at": item["created_at"],
    }
    text = response.content.decode()
    for personal in (placed.debtor.name, visit.address.text, agent.full_name, agent.work_id_number):
        assert personal not in text


def test_audit_events_are_the_export_lines_paged_by_seq(creditor_api, placed, agent):
    make_verifiable(placed, agent)
    events = list(AuditEvent.objects.filter(case_id=placed.pk).order_by("seq"))
    assert len(events) >= 5
    url = reverse("api:creditor-case-audit-events", args=[placed.pk])

    first = creditor_api.get(url, {"limit": 3}).json()
    rest = creditor_api.get(url, {"after": first["results"][-1]["seq"]}).json()

    got = first["results"] + rest["results"]
    assert [canonical_json(item) for item in got] == [export_line(e) for e in events]
    assert rest["next"] is None
    for item in got:  # each event verifies on its own: its hash covers its content and prev_hash
        body = {k: v for k, v in item.items() if k != "hash"}
        assert compute_hash(item["prev_hash"], body) == item["hash"]


def test_a_creditor_read_needs_no_service_account_and_few_queries(
    creditor_api, placed, django_assert_max_num_queries
):
    for _ in range(3):
        VisitFactory(case=placed, planned_by=placed.supervisor, agents=[placed.supervisor])
    # 1 the key by prefix, 1 its last use, 1 the case, 1 the visits page, 1 their agents (prefetch)
    with django_assert_max_num_queries(5):
        response = creditor_api.get(reverse("api:creditor-case-visits", args=[placed.pk]))
    assert len(response.json()["results"]) == 3
    # 1 the key, 1 the cases page (the key's last use was written a moment ago)
    with django_assert_max_num_queries(2):
        assert creditor_api.get(reverse("api:creditor-case-list")).status_code == 200


def test_the_key_is_recorded_as_the_actor_with_its_id_only(creditor_api, creditor_key):
    key, secret = creditor_key
    place(creditor_api, [valid_row(1)])

    events = AuditEvent.objects.filter(actor=f"apikey:{key.pk}")

    assert events.count() == 2
    assert secret not in json.dumps(list(events.values_list("data", flat=True)))
    assert ApiKey.objects.get().last_used_at is not None
