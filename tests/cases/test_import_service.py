"""placement_import and the upload services: writes, history, audit events, permissions, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import importing, policies, services
from cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Debtor,
    DebtorAddress,
    DebtorPhone,
    Mandate,
    PlacementImport,
)
from common.errors import DomainError, PermissionRefused
from compliance.audit import verify_chain
from compliance.models import AuditEvent
from tests.factories import TODAY, MandateFactory
from tests.fixtures.placement import csv_bytes, resident_id, valid_row

pytestmark = pytest.mark.django_db


def actions_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True))


def head() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def run(creditor, rows, actor, **kwargs):
    """Parse a CSV built from `rows` and import it, as the command does."""
    data = csv_bytes(rows)
    parsed = importing.parse_placement(data, "placement.csv")
    kwargs.setdefault("today", TODAY)
    return services.placement_import(
        creditor=creditor, rows=parsed.rows, actor=actor, errors=parsed.errors, sha256="f" * 64, **kwargs
    )


def db_counts() -> dict[str, int]:
    models = [Case, Debtor, DebtorPhone, DebtorAddress, CaseGroupObjectPermission, PlacementImport]
    counts = {m.__name__: m.objects.count() for m in models}
    counts.update(
        {f"history:{m.__name__}": m.history.count() for m in (Case, Debtor, DebtorPhone, DebtorAddress)}
    )
    return counts


@pytest.fixture
def placing(creditor, mandate, supervisor):
    """The creditor places with `supervisor` by default and has a mandate for every product."""
    creditor.default_supervisor = supervisor
    creditor.save()
    return creditor


def test_import_creates_debtors_cases_phones_addresses_with_history_and_audit(
    placing, supervisor, team, mandate
):
    rows = [
        valid_row(1, work_address="上海市浦东新区世纪大道100号", phone="13900000001;13900000011"),
        valid_row(2, debtor_name="John Smith", id_type="passport", id_number="E12345678", currency="USD"),
        valid_row(
            3,
            id_number=resident_id(1),
            debtor_name="张伟1",
            phone="13900000001",
            product="credit_card",
            home_address=valid_row(1)["home_address"],
        ),
    ]
    start = head()
    report = run(placing, rows, supervisor)

    assert report.ok, [str(e) for e in report.errors]
    assert report.created == ["REF-00001", "REF-00002", "REF-00003"]
    assert (report.debtors_created, report.phones_added, report.addresses_added) == (2, 3, 3)
    assert (report.supervisor, report.team) == ("sup", "north")
    cases = {c.external_ref: c for c in Case.objects.select_related("debtor")}
    first = cases["REF-00001"]
    assert (first.team, first.supervisor, first.mandate, first.stage) == (team, supervisor, mandate, "new")
    assert (first.principal, first.outstanding, first.currency) == (
        Decimal("12000.00"),
        Decimal("8500.50"),
        "CNY",
    )
    assert cases["REF-00003"].debtor == first.debtor  # same document, same person: one debtor
    assert cases["REF-00002"].debtor.id_type == "passport"
    assert sorted(first.debtor.phones.values_list("number", flat=True)) == ["13900000001", "13900000011"]
    assert sorted(first.debtor.addresses.values_list("kind", flat=True)) == ["home", "work"]
    assert not CaseAssignment.objects.exists()

    # History carries the actor for every row written.
    for model in (Case, Debtor, DebtorPhone, DebtorAddress):
        records = model.history.all()
        assert records.exists()
        assert {h.history_user_id for h in records} == {supervisor.pk}
        assert {h.history_type for h in records} == {"+"}

    # Exactly one event per new case and one summary; the chain still verifies.
    assert actions_since(start) == ["case.imported"] * 3 + ["placement.imported"]
    event = AuditEvent.objects.get(action="case.imported", case_id=first.pk)
    assert event.data == {
        "case": first.pk,
        "creditor": "hzbank",
        "external_ref": "REF-00001",
        "debtor": first.debtor_id,
        "principal": "12000.00",
        "outstanding": "8500.50",
        "currency": "CNY",
        "product": "consumer_loan",
        "overdue_since": "2026-05-01",
        "mandate": mandate.number,
        "team": "north",
    }
    summary = AuditEvent.objects.get(action="placement.imported")
    assert summary.object_type == "cases.creditor"
    assert summary.data["created"] == 3
    assert summary.data["sha256"] == "f" * 64
    assert verify_chain().ok


def test_audit_payloads_hold_no_personal_data(placing, supervisor):
    rows = [valid_row(1, phone="13912345678"), valid_row(2, id_type="passport", id_number="G87654321")]
    run(placing, rows, supervisor)
    run(placing, [valid_row(1, phone="13912345678", outstanding="1.00")], supervisor)
    payloads = json.dumps([e.data for e in AuditEvent.objects.all()], ensure_ascii=False)
    for secret in (resident_id(1), "G87654321", "13912345678", "张伟1", "漕溪北路", "HT-000001"):
        assert secret not in payloads


def test_reimport_creates_no_duplicates_and_reports_updates(placing, supervisor, other_supervisor):
    rows = [valid_row(1), valid_row(2), valid_row(3)]
    run(placing, rows, supervisor)
    before = db_counts()

    start = head()
    again = run(placing, rows, supervisor)
    assert (again.created, again.updated, again.unchanged) == (
        [],
        [],
        ["REF-00001", "REF-00002", "REF-00003"],
    )
    assert db_counts() == before
    assert actions_since(start) == ["placement.imported"]

    changed = [
        valid_row(1, outstanding="100.00"),
        valid_row(2, product="credit_card", contract_no="HT-NEW"),
        valid_row(3),
        valid_row(4),
    ]
    start = head()
    report = run(placing, changed, other_supervisor)
    assert (report.created, report.updated, report.unchanged) == (
        ["REF-00004"],
        ["REF-00001", "REF-00002"],
        ["REF-00003"],
    )
    assert Case.objects.count() == 4
    one = Case.objects.get(external_ref="REF-00001")
    assert one.outstanding == Decimal("100.00")
    assert one.supervisor == supervisor  # an update does not move the case to another team
    assert one.history.first().history_type == "~"
    assert one.history.first().history_user == other_supervisor
    assert actions_since(start) == [
        "case.imported",
        "case.import_updated",
        "case.import_updated",
        "placement.imported",
    ]
    updated = AuditEvent.objects.filter(action="case.import_updated").order_by("seq")
    assert [e.data["changed"] for e in updated] == [["outstanding"], ["contract_no", "product"]]
    assert verify_chain().ok


def test_a_bad_file_writes_nothing_but_the_refusal(placing, supervisor):
    run(placing, [valid_row(1)], supervisor)
    before = db_counts()
    start = head()
    rows = [
        valid_row(1, outstanding="5.00"),
        valid_row(2),
        valid_row(3, currency="RMB"),
        valid_row(4, overdue_since="2030-01-01"),
    ]
    report = run(placing, rows, supervisor)

    assert not report.ok
    assert {(e.line, e.column) for e in report.errors} == {(4, "currency"), (5, "overdue_since")}
    assert db_counts() == before
    assert Case.objects.get(external_ref="REF-00001").outstanding == Decimal("8500.50")
    assert actions_since(start) == ["placement.imported.refused"]
    refused = AuditEvent.objects.get(action="placement.imported.refused")
    assert refused.data["codes"] == ["DATE_IN_FUTURE", "INVALID_VALUE"]
    assert refused.data["errors"] == 2


def test_dry_run_reports_and_writes_nothing_not_even_audit(placing, supervisor):
    run(placing, [valid_row(1)], supervisor)
    before, start = db_counts(), head()
    report = run(placing, [valid_row(1, outstanding="1.00"), valid_row(2)], supervisor, dry_run=True)
    assert report.ok
    assert (report.created, report.updated, report.debtors_created) == (["REF-00002"], ["REF-00001"], 1)
    assert [p["action"] for p in report.preview] == ["update", "create"]
    assert report.preview[1]["id_number_masked"] == resident_id(2)[:6] + "********" + resident_id(2)[-4:]
    assert db_counts() == before
    assert actions_since(start) == []
    bad = run(placing, [valid_row(3, currency="X")], supervisor, dry_run=True)
    assert not bad.ok
    assert actions_since(start) == []


def test_debtor_matched_across_two_files(placing, supervisor, creditor):
    run(placing, [valid_row(1, phone="13900000001")], supervisor)
    debtor = Debtor.objects.get()
    other = MandateFactory(creditor=MandateFactory().creditor).creditor
    other.default_supervisor = supervisor
    other.save()
    report = run(
        other,
        [
            valid_row(
                1, external_ref="X-1", phone="13900000001;13700000000", work_address="北京市朝阳区建国路1号"
            )
        ],
        supervisor,
    )
    assert report.ok, [str(e) for e in report.errors]
    assert (report.debtors_created, report.debtors_matched, report.phones_added, report.addresses_added) == (
        0,
        1,
        1,
        1,
    )
    assert Debtor.objects.count() == 1
    assert Case.objects.get(creditor=other).debtor == debtor
    assert debtor.phones.count() == 2
    assert debtor.addresses.count() == 2


def test_document_on_file_under_another_name_is_refused(placing, supervisor):
    run(placing, [valid_row(1)], supervisor)
    report = run(placing, [valid_row(2, id_number=resident_id(1), debtor_name="李四")], supervisor)
    assert [(e.line, e.column, e.code) for e in report.errors] == [(2, "debtor_name", "DEBTOR_NAME_MISMATCH")]
    assert "李四" not in report.errors[0].reason


def test_reference_already_placed_for_another_debtor_is_refused(placing, supervisor):
    run(placing, [valid_row(1)], supervisor)
    report = run(placing, [valid_row(1, id_number=resident_id(7), debtor_name="王五")], supervisor)
    assert [(e.line, e.column, e.code) for e in report.errors] == [(2, "id_number", "CASE_DEBTOR_MISMATCH")]


def test_mandate_must_cover_each_new_case(creditor, supervisor):
    creditor.default_supervisor = supervisor
    creditor.save()
    MandateFactory(
        creditor=creditor,
        number="OLD",
        products=["consumer_loan"],
        valid_from=TODAY - dt.timedelta(days=400),
        valid_until=TODAY - dt.timedelta(days=1),
    )
    cards = MandateFactory(creditor=creditor, number="CARDS", products=["credit_card"])
    start = head()
    report = run(
        creditor, [valid_row(1), valid_row(2, product="credit_card"), valid_row(3, product="")], supervisor
    )
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (2, "product", "MANDATE_VALID"),
        (4, "product", "MANDATE_VALID"),
    ]
    assert "no valid mandate of creditor hzbank covers product “consumer_loan”" in report.errors[0].reason
    assert not Case.objects.exists()
    assert actions_since(start) == ["placement.imported.refused"]

    newer = MandateFactory(
        creditor=creditor, number="ALL", products=[], valid_from=TODAY - dt.timedelta(days=5)
    )
    report = run(creditor, [valid_row(1), valid_row(2, product="credit_card")], supervisor)
    assert report.ok
    # The latest mandate that covers the product wins.
    assert {c.external_ref: c.mandate for c in Case.objects.all()} == {"REF-00001": newer, "REF-00002": newer}
    assert cards.valid_from < newer.valid_from


def test_changed_product_needs_a_covering_mandate(creditor, supervisor):
    creditor.default_supervisor = supervisor
    creditor.save()
    MandateFactory(creditor=creditor, number="LOANS", products=["consumer_loan"])
    run(creditor, [valid_row(1)], supervisor)
    report = run(creditor, [valid_row(1, product="car_loan")], supervisor)
    assert [(e.line, e.code) for e in report.errors] == [(2, "MANDATE_VALID")]
    cars = MandateFactory(creditor=creditor, number="CARS", products=["car_loan"])
    report = run(creditor, [valid_row(1, product="car_loan")], supervisor)
    assert report.updated == ["REF-00001"]
    assert Case.objects.get().mandate == cars
    assert AuditEvent.objects.filter(action="case.import_updated").get().data["changed"] == [
        "mandate",
        "product",
    ]


def test_new_cases_are_visible_to_the_team_supervisor_only(
    placing, supervisor, other_supervisor, agent, compliance_officer
):
    run(placing, [valid_row(1), valid_row(2)], supervisor)
    cases = set(Case.objects.all())
    assert set(policies.cases_visible_to(supervisor)) == cases
    assert all(policies.can_assign(supervisor, c) for c in cases)
    assert set(policies.cases_visible_to(other_supervisor)) == set()
    assert set(policies.cases_visible_to(agent)) == set()  # not assigned yet
    assert set(policies.cases_visible_to(compliance_officer)) == cases


def test_named_supervisor_takes_the_cases(placing, other_supervisor, other_team, supervisor):
    run(placing, [valid_row(1)], supervisor, supervisor=other_supervisor)
    case = Case.objects.get()
    assert (case.team, case.supervisor) == (other_team, other_supervisor)
    assert set(policies.cases_visible_to(other_supervisor)) == {case}
    assert set(policies.cases_visible_to(supervisor)) == set()


def test_supervisor_missing_or_invalid_is_refused_and_recorded(creditor, mandate, supervisor, agent):
    start = head()
    with pytest.raises(DomainError) as missing:
        run(creditor, [valid_row(1)], supervisor)
    assert missing.value.codes == ["SUPERVISOR_MISSING"]
    with pytest.raises(DomainError) as invalid:
        run(creditor, [valid_row(1)], supervisor, supervisor=agent)
    assert invalid.value.codes == ["SUPERVISOR_INVALID"]
    assert actions_since(start) == ["placement.imported.refused"] * 2
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", ["agent", "compliance_officer", "administrator"])
def test_only_importers_may_import(placing, all_roles, role):
    start = head()
    with pytest.raises(PermissionRefused):
        run(placing, [valid_row(1)], all_roles[role])
    assert actions_since(start) == ["placement.imported.refused"]
    assert not Case.objects.exists()


def test_system_account_may_import(placing):
    from accounts.services import system_user

    report = run(placing, [valid_row(1)], system_user())
    assert report.ok
    assert Case.objects.get().history.first().history_user.username == "fieldledger-system"


def test_many_rows_take_a_bounded_number_of_queries(placing, supervisor, django_assert_max_num_queries):
    rows = [valid_row(n) for n in range(1, 301)]
    parsed = importing.parse_placement(csv_bytes(rows), "p.csv")
    # Chunked reads (debtors, cases, mandates), then batched INSERTs for 7 tables and their history, the
    # permissions and the audit events. SQLite caps a statement at 999 parameters, so a table of ~15
    # columns takes ~5 INSERTs per 300 rows there (1 on PostgreSQL): ~70 queries, where writing row by
    # row would take well over 2000.
    with django_assert_max_num_queries(100):
        report = services.placement_import(creditor=placing, rows=parsed.rows, actor=supervisor, today=TODAY)
    assert len(report.created) == 300


# --- upload services -----------------------------------------------------------------------------


def upload(rows, name="placement.csv"):
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def test_upload_preview_then_confirm(placing, supervisor):
    start = head()
    placement = services.placement_upload_preview(
        creditor=placing, upload=upload([valid_row(1)]), actor=supervisor
    )
    assert placement.status == PlacementImport.Status.PREVIEWED
    assert placement.report["counts"]["created"] == 1
    assert not Case.objects.exists()
    assert actions_since(start) == ["placement.previewed"]

    report = services.placement_upload_confirm(placement_import=placement, actor=supervisor)
    assert report.ok
    placement.refresh_from_db()
    assert placement.status == PlacementImport.Status.IMPORTED
    assert Case.objects.count() == 1
    assert actions_since(start) == ["placement.previewed", "case.imported", "placement.imported"]
    assert AuditEvent.objects.get(action="placement.imported").data["placement_import"] == placement.pk

    with pytest.raises(DomainError) as again:
        services.placement_upload_confirm(placement_import=placement, actor=supervisor)
    assert again.value.codes == ["IMPORT_NOT_PENDING"]
    assert Case.objects.count() == 1


def test_preview_with_errors_is_rejected_and_cannot_be_confirmed(placing, supervisor):
    placement = services.placement_upload_preview(
        creditor=placing, upload=upload([valid_row(1, currency="RMB")]), actor=supervisor
    )
    assert placement.status == PlacementImport.Status.REJECTED
    assert placement.report["errors"][0]["column"] == "currency"
    with pytest.raises(DomainError) as error:
        services.placement_upload_confirm(placement_import=placement, actor=supervisor)
    assert error.value.codes == ["IMPORT_NOT_PENDING"]


def test_confirm_refuses_a_file_changed_after_preview(placing, supervisor):
    placement = services.placement_upload_preview(
        creditor=placing, upload=upload([valid_row(1)]), actor=supervisor
    )
    with open(placement.file.path, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(DomainError) as error:
        services.placement_upload_confirm(placement_import=placement, actor=supervisor)
    assert error.value.codes == ["FILE_CHANGED"]
    assert not Case.objects.exists()


def test_confirm_rejects_when_the_database_changed_since_preview(placing, supervisor, mandate):
    placement = services.placement_upload_preview(
        creditor=placing, upload=upload([valid_row(1)]), actor=supervisor
    )
    Mandate.objects.filter(pk=mandate.pk).update(revoked_on=TODAY - dt.timedelta(days=1))
    report = services.placement_upload_confirm(placement_import=placement, actor=supervisor)
    assert [e.code for e in report.errors] == ["MANDATE_VALID"]
    placement.refresh_from_db()
    assert placement.status == PlacementImport.Status.REJECTED
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("placement.pdf", b"%PDF-1.4", "UPLOAD_TYPE"),
        ("placement.xlsx", b"external_ref\n", "UPLOAD_TYPE"),
        ("placement.csv", b"PK\x03\x04zip", "UPLOAD_TYPE"),
    ],
)
def test_upload_type_is_checked_by_extension_and_content(placing, supervisor, name, content, code):
    with pytest.raises(DomainError) as error:
        services.placement_upload_preview(
            creditor=placing, upload=SimpleUploadedFile(name, content), actor=supervisor
        )
    assert error.value.codes == [code]
    assert not PlacementImport.objects.exists()


def test_upload_size_is_limited(placing, supervisor, settings):
    settings.FIELDLEDGER_MAX_UPLOAD_BYTES = 100
    with pytest.raises(DomainError) as error:
        services.placement_upload_preview(creditor=placing, upload=upload([valid_row(1)]), actor=supervisor)
    assert error.value.codes == ["UPLOAD_TOO_LARGE"]


# --- bulk round-robin assignment (seeding) -------------------------------------------------------


def test_round_robin_assignment_writes_assignments_permissions_history_and_events(
    placing, supervisor, agent, other_agent
):
    run(placing, [valid_row(n) for n in range(1, 6)], supervisor)
    cases = list(Case.objects.order_by("pk"))
    start = head()
    count = services.placement_assign_round_robin(cases=cases, agents=[agent, other_agent], actor=supervisor)
    assert count == 5
    assert [a.agent for a in CaseAssignment.objects.order_by("case_id")] == [agent, other_agent] * 2 + [agent]
    # The assignment is the agents' access (cases.visibility): no object permission is written.
    assert CaseUserObjectPermission.objects.count() == 0
    assert set(policies.cases_visible_to(agent)) == {cases[0], cases[2], cases[4]}
    assert {h.history_user_id for h in CaseAssignment.history.all()} == {supervisor.pk}
    assert actions_since(start) == ["case.agents_assigned"] * 5
    assert AuditEvent.objects.filter(action="case.agents_assigned").first().data == {
        "case": cases[0].pk,
        "agents": [agent.pk],
        "previous": [],
    }
    assert set(policies.cases_visible_to(agent)) == {cases[0], cases[2], cases[4]}
    assert policies.can_work_on(other_agent, cases[1])
    assert verify_chain().ok


def test_round_robin_refuses_other_team_agents_and_other_supervisors(
    placing, supervisor, agent, other_team_agent, other_supervisor
):
    run(placing, [valid_row(1)], supervisor)
    cases = list(Case.objects.all())
    with pytest.raises(DomainError) as other_team:
        services.placement_assign_round_robin(cases=cases, agents=[other_team_agent], actor=supervisor)
    assert other_team.value.codes == ["AGENT_OTHER_TEAM"]
    with pytest.raises(PermissionRefused):
        services.placement_assign_round_robin(cases=cases, agents=[agent], actor=other_supervisor)
    services.placement_assign_round_robin(cases=cases, agents=[agent], actor=supervisor)
    with pytest.raises(DomainError) as twice:
        services.placement_assign_round_robin(cases=cases, agents=[agent], actor=supervisor)
    assert twice.value.codes == ["CASE_ALREADY_ASSIGNED"]
    assert CaseAssignment.objects.count() == 1


def test_the_breakdown_is_stored_and_updated_like_the_other_amounts(placing, supervisor):
    run(
        placing,
        [valid_row(1, principal="8000", outstanding="8500.50", interest_fees="1500.50", paid="1000")],
        supervisor,
    )
    case = Case.objects.get(external_ref="REF-00001")
    assert (case.interest_fees, case.paid_before_placement) == (Decimal("1500.50"), Decimal("1000.00"))

    report = run(
        placing,
        [valid_row(1, principal="8000", outstanding="8500.50", interest_fees="2000.50", paid="1500")],
        supervisor,
    )

    case.refresh_from_db()
    assert report.updated == ["REF-00001"]
    assert (case.interest_fees, case.paid_before_placement) == (Decimal("2000.50"), Decimal("1500.00"))
    event = AuditEvent.objects.filter(action="case.import_updated").latest("seq")
    assert event.data["changed"] == ["interest_fees", "paid"]
