"""Retention: cases closed longer ago than their pack's retention are anonymized (dry run first), a legal
hold stops it, amounts and the audit chain stay (verify_audit green), and it all runs nightly."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from cases import services as case_services
from cases.models import CaseAssessment, CaseDocument, Debtor, DebtorAddress, DebtorPhone
from common.errors import DomainError
from compliance import audit, packs, retention
from compliance.models import Anonymization, Complaint, LegalHold
from compliance.tasks import anonymize_expired_cases
from tests.factories import (
    CaseFactory,
    PhoneFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
    close_case,
    make_verifiable,
)

pytestmark = pytest.mark.django_db
LONG_AGO = dt.datetime(2023, 11, 1, tzinfo=dt.UTC)  # cn-default keeps 2 years: due since 2025-11-01
RECENTLY = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def closed(case, agent):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    PhoneFactory(debtor=case.debtor)
    Complaint.objects.create(
        channel="phone", case_id=case.pk, created_at=LONG_AGO, received_at=LONG_AGO, text="My words"
    )
    return close_case(case, at=LONG_AGO)


def test_dry_run_lists_what_would_go_and_changes_nothing(closed):
    head = audit_head()

    (report,) = retention.dry_run()

    assert report.due.case_id == closed.pk
    assert report.due.expires_at == dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    assert (report.due.pack.code, report.due.pack.retention_years) == ("cn-default", 2)
    items = {i.what: i.count for i in report.items}
    assert items == {
        "case_document.file": 1,
        "case_assessment.note": 1,
        "debtor.identity": 1,
        "debtor.phones": 1,
        "debtor.addresses": 1,
        "complaint.text": 1,
    }
    assert audit_head() == head
    assert Debtor.objects.get(pk=closed.debtor_id).name == closed.debtor.name


def test_anonymization_removes_personal_data_and_keeps_amounts_and_the_chain(closed):
    debtor = closed.debtor
    document = CaseDocument.objects.get(case=closed)
    path = document.file.name
    assert default_storage.exists(path)
    head = audit_head()

    done = anonymize_expired_cases.delay().get()

    assert done == [closed.pk]
    debtor.refresh_from_db()
    assert debtor.name == f"[anonymized] #{debtor.pk}"
    assert (debtor.id_number, debtor.occupation, debtor.identity_check_source) == ("", "", "")
    assert not DebtorPhone.objects.filter(debtor=debtor).exclude(number="").exists()
    assert set(DebtorAddress.objects.filter(debtor=debtor).values_list("text", flat=True)) == {"[anonymized]"}
    assert not default_storage.exists(path)
    document.refresh_from_db()
    assert (document.file.name, document.original_name) == ("", "[anonymized]")
    assert document.sha256  # the digest stays: the audit trail's document events still name it
    assert CaseAssessment.objects.get(case=closed).note == "[anonymized]"
    assert Complaint.objects.get(case_id=closed.pk).text == ""
    # History tables held every old value: they are blanked too.
    assert set(Debtor.history.filter(id=debtor.pk).values_list("name", flat=True)) == {debtor.name}
    assert not DebtorPhone.history.filter(debtor_id=debtor.pk).exclude(number="").exists()
    assert set(DebtorAddress.history.filter(debtor_id=debtor.pk).values_list("text", flat=True)) == {
        "[anonymized]"
    }
    closed.refresh_from_db()
    assert (closed.principal, closed.outstanding) == (closed.principal, closed.outstanding)
    assert str(closed.outstanding) == "8200.50"
    assert audit_actions_since(head) == ["case.anonymized"]
    event = audit_events_since(head)[0]
    assert event.data["pack"] == ["cn-default", 2]  # the current version (migration 0010)
    assert {"what": "debtor.identity", "count": 1} in event.data["items"]
    assert audit.verify_chain().ok
    record = Anonymization.objects.get(case_id=closed.pk)
    assert record.retention_years == 2
    # Once done, never again.
    assert retention.anonymize_due() == []
    assert retention.dry_run() == []


def test_the_verify_command_stays_green_after_anonymization(closed):
    retention.anonymize_due()

    out = StringIO()
    call_command("verify_audit", stdout=out)

    assert out.getvalue().startswith("OK ")


def test_a_case_within_retention_is_kept(case, agent):
    make_verifiable(case, agent)
    close_case(case, at=RECENTLY)

    assert retention.dry_run() == []
    assert retention.anonymize_due() == []


def test_the_creditors_pack_decides_the_period(closed, compliance_officer, second_officer):
    change = packs.creditor_bind_pack(
        creditor=closed.creditor, pack_code="uk", actor=compliance_officer, reason="UK portfolio"
    )
    packs.pack_change_approve(change=change, actor=second_officer)  # 6 years; four eyes

    assert retention.dry_run() == []


def test_open_cases_are_never_anonymized(case, agent):
    make_verifiable(case, agent)

    assert retention.anonymize_due(now=dt.datetime(2040, 1, 1, tzinfo=dt.UTC)) == []


def test_a_debtor_with_a_case_still_within_retention_keeps_their_data(
    closed, creditor, mandate, team, supervisor, agent
):
    other = CaseFactory(
        creditor=creditor,
        mandate=mandate,
        team=team,
        supervisor=supervisor,
        debtor=closed.debtor,
        agents=[agent],
    )
    name = closed.debtor.name

    (report,) = retention.dry_run()
    retention.anonymize_due()

    assert {i.what for i in report.items} >= {"case_document.file", "debtor.deferred"}
    assert Debtor.objects.get(pk=closed.debtor_id).name == name
    assert not CaseDocument.objects.get(case=closed).file
    close_case(other, at=LONG_AGO)
    assert retention.anonymize_due() == [other.pk]
    assert Debtor.objects.get(pk=closed.debtor_id).name.startswith("[anonymized]")


# --- legal holds ----------------------------------------------------------------------------------------


def test_a_legal_hold_stops_anonymization_until_lifted(closed, compliance_officer):
    head = audit_head()
    hold = retention.legal_hold_set(
        case_id=closed.pk, reason="Litigation pending, court case 2026-17.", actor=compliance_officer
    )

    (report,) = retention.dry_run()
    assert report.due.hold == hold
    assert report.items == []
    assert retention.anonymize_due() == []
    assert Debtor.objects.get(pk=closed.debtor_id).name == closed.debtor.name

    retention.legal_hold_lift(
        hold=hold, reason="The court case was settled in October.", actor=compliance_officer
    )
    assert retention.anonymize_due() == [closed.pk]
    assert audit_actions_since(head) == ["case.legal_hold_set", "case.legal_hold_lifted", "case.anonymized"]
    set_event = audit_events_since(head)[0]
    assert "court" not in str(set_event.data)
    assert set_event.data["reason_digest"]


@pytest.mark.parametrize(
    ("case_id", "reason", "code"),
    [(999_999, "A long enough reason.", "NOT_FOUND"), (None, "short", "REASON_REQUIRED")],
)
def test_legal_hold_refusals_are_audited(closed, compliance_officer, case_id, reason, code):
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        retention.legal_hold_set(case_id=case_id or closed.pk, reason=reason, actor=compliance_officer)

    assert refused.value.codes == [code]
    assert audit_actions_since(head) == ["case.legal_hold_set.refused"]
    assert not LegalHold.objects.exists()


def test_one_active_hold_per_case_and_none_on_an_anonymized_case(closed, case, compliance_officer):
    hold = retention.legal_hold_set(
        case_id=closed.pk, reason="Regulator inquiry 2026-3.", actor=compliance_officer
    )
    with pytest.raises(DomainError) as twice:
        retention.legal_hold_set(
            case_id=closed.pk, reason="Regulator inquiry again.", actor=compliance_officer
        )
    assert twice.value.codes == ["LEGAL_HOLD_ACTIVE"]

    retention.legal_hold_lift(hold=hold, reason="Inquiry closed by the regulator.", actor=compliance_officer)
    with pytest.raises(DomainError) as lifted:
        retention.legal_hold_lift(
            hold=hold, reason="Inquiry closed by the regulator.", actor=compliance_officer
        )
    assert lifted.value.codes == ["LEGAL_HOLD_LIFTED"]

    retention.anonymize_due()
    with pytest.raises(DomainError) as gone:
        retention.legal_hold_set(case_id=closed.pk, reason="Too late for this one.", actor=compliance_officer)
    assert gone.value.codes == ["CASE_ANONYMIZED"]


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_only_compliance_officers_set_or_lift_holds(request, closed, compliance_officer, role):
    actor = request.getfixturevalue(role)
    hold = retention.legal_hold_set(
        case_id=closed.pk, reason="Regulator inquiry 2026-3.", actor=compliance_officer
    )

    with pytest.raises(DomainError) as refused:
        retention.legal_hold_set(case_id=closed.pk, reason="A long enough reason.", actor=actor)
    assert refused.value.codes == ["PERMISSION_DENIED"]
    with pytest.raises(DomainError) as refused:
        retention.legal_hold_lift(hold=hold, reason="A long enough reason.", actor=actor)
    assert refused.value.codes == ["PERMISSION_DENIED"]


# --- the page and the command ---------------------------------------------------------------------------


def test_the_page_shows_the_dry_run_and_sets_and_lifts_holds(client, closed, compliance_officer):
    client.force_login(compliance_officer)

    page = client.get(reverse("compliance:retention"))
    assert page.context["report"][0].due.case_id == closed.pk
    assert "debtor&#x27;s name" in page.content.decode() or "debtor's name" in page.content.decode()

    client.post(
        reverse("compliance:legal-hold-set"), {"case": closed.pk, "reason": "Litigation pending, case 17."}
    )
    hold = LegalHold.objects.get()
    assert "Litigation pending" in client.get(reverse("compliance:retention")).content.decode()
    short = client.post(reverse("compliance:legal-hold-lift", args=[hold.pk]), {"reason": "no"}, follow=True)
    assert any("[REASON_REQUIRED]" in str(m) for m in short.context["messages"])
    client.post(
        reverse("compliance:legal-hold-lift", args=[hold.pk]), {"reason": "Settled; hold no longer needed."}
    )
    hold.refresh_from_db()
    assert hold.lifted_by == compliance_officer


def test_the_case_page_shows_the_hold_to_officers(client, closed, compliance_officer):
    retention.legal_hold_set(case_id=closed.pk, reason="Regulator inquiry 2026-3.", actor=compliance_officer)
    client.force_login(compliance_officer)

    body = client.get(reverse("cases:case-detail", args=[closed.pk])).content.decode()

    assert "Legal hold since" in body


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_other_roles_get_404(client, request, closed, compliance_officer, role):
    hold = retention.legal_hold_set(
        case_id=closed.pk, reason="Regulator inquiry 2026-3.", actor=compliance_officer
    )
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("compliance:retention")).status_code == 404
    assert (
        client.post(reverse("compliance:legal-hold-set"), {"case": closed.pk, "reason": "x" * 20}).status_code
        == 404
    )
    assert (
        client.post(reverse("compliance:legal-hold-lift", args=[hold.pk]), {"reason": "x" * 20}).status_code
        == 404
    )
    assert LegalHold.objects.get().lifted_at is None


def test_the_command_dry_run_and_the_real_run(closed):
    out = StringIO()
    call_command("anonymize", "--dry-run", stdout=out)
    assert f"case {closed.pk}" in out.getvalue()
    assert "would anonymize" in out.getvalue()
    assert "debtor.identity=1" in out.getvalue()
    assert "1 case(s) due, 0 held; nothing changed" in out.getvalue()
    assert not Anonymization.objects.exists()

    out = StringIO()
    call_command("anonymize", stdout=out)
    assert out.getvalue().strip() == f"anonymized 1 case(s): {closed.pk}"


def test_the_job_is_scheduled_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["compliance-anonymize-expired-cases"]

    assert (entry["task"], entry["schedule"]) == (anonymize_expired_cases.name, 24 * 60 * 60)


def test_add_years_keeps_the_day_or_the_end_of_february():
    assert retention.add_years(dt.datetime(2024, 2, 29, tzinfo=dt.UTC), 2) == dt.datetime(
        2026, 2, 28, tzinfo=dt.UTC
    )
    assert retention.add_years(dt.datetime(2024, 3, 1, tzinfo=dt.UTC), 2) == dt.datetime(
        2026, 3, 1, tzinfo=dt.UTC
    )


def test_pii_reveal_after_anonymization_reveals_nothing(closed, compliance_officer):
    retention.anonymize_due()

    revealed = case_services.pii_reveal(case=closed, actor=compliance_officer, field="id_number")

    assert revealed["value"]["id_number"] == ""
