"""What the on-site stage gives the compliance workspace: exception rows, the access log's actions, the
dossier's on-site record, evidence and visit reports, and the anonymization of on-site personal data."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from compliance import exceptions, registry, retention
from compliance.dossier import staff_namer
from compliance.registry import DossierContext
from tests.factories import close_case
from tests.visits.conftest import ARRIVAL, attest_all, keyed
from tests.visits.factories import local
from visits import services
from visits.models import Evidence, VisitCheckIn, VisitLog

pytestmark = pytest.mark.django_db

DONE = ARRIVAL + dt.timedelta(minutes=45)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (5, 5), "orange").save(out, "JPEG")
    return out.getvalue()


def sources(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.source for r in rows if r.source.startswith("visits.")]


def report(**kwargs):  # type: ignore[no-untyped-def]
    return list(exceptions.rows(exceptions.ReportFilter(date_from=dt.date(2026, 11, 1), **kwargs)))


@pytest.fixture
def made(talked, agent):  # type: ignore[no-untyped-def]
    """A visit completed late (received at 14:30, after the 12:00 end), with a safety incident."""
    services.visit_log_save(
        visit=talked,
        actor=agent,
        step="conversation",
        data={"safety_incident": True, "police_called": True, "incident_note": "A neighbour threatened us."},
        now=DONE,
    )
    services.visit_log_save(visit=talked, actor=agent, step="outcome", data={"outcome": "we_left"}, now=DONE)
    attest_all(talked)
    services.evidence_add(
        visit=talked,
        actor=agent,
        idempotency_key=keyed(),
        upload=SimpleUploadedFile("door.jpg", jpeg(), content_type="image/jpeg"),
        now=DONE,
    )
    services.visit_complete(
        visit=talked, actor=agent, idempotency_key=keyed(), now=local(2026, 11, 26, 14, 30)
    )
    return talked


def test_a_late_log_and_a_safety_incident_are_exceptions(made):
    assert sorted(sources(report())) == ["visits.late_log", "visits.safety"]


def test_the_rules_keep_the_window_and_agent_rows_empty(made):
    assert sources(report(code="VISIT_WINDOW")) == []
    assert sources(report(code="MIN_AGENTS")) == []


def test_a_check_in_written_around_the_services_shows_up(on_site, agent):
    VisitCheckIn.objects.filter(visit=on_site, agent=agent).update(at=local(2026, 11, 26, 13))

    rows = [r for r in report(code="VISIT_WINDOW") if r.source == "visits.check_in_outside"]

    assert len(rows) == 1
    assert rows[0].codes == ("VISIT_WINDOW",)
    assert rows[0].actor_id == agent.pk


def test_a_visit_ended_without_every_attestation_is_an_exception(identified, supervisor):
    services.visit_abort(
        visit=identified, actor=supervisor, reason="The debtor's dog attacked; we left at once.", now=DONE
    )

    (row,) = [r for r in report(code="CONDUCT_ATTESTED") if r.source == "visits.missing_attestation"]

    assert row.what == "visit.aborted"
    assert row.detail.startswith("0 / 2")


def test_evidence_opening_is_in_the_access_log():
    actions = {a.action for a in registry.access_actions()}

    assert {"evidence.viewed", "visit.report_generated", "visit.statement_generated"} <= actions


def _parts(case, profile):  # type: ignore[no-untyped-def]
    ctx = DossierContext(case_id=case.pk, profile=profile, now=timezone.now(), person=staff_namer(profile))
    return {s.key: s.build(ctx) for s in registry.dossier_sections() if s.key.startswith("visits.")}


def test_the_dossier_holds_the_on_site_record_evidence_and_reports(made):
    parts = _parts(made.case, "regulator")

    assert "A neighbour" not in parts["visits.onsite"].html  # the incident note stays in the report PDF
    assert "We left" in parts["visits.onsite"].html
    (photo,) = parts["visits.evidence"].files
    assert photo.sha256 == Evidence.objects.get(visit=made).sha256
    (report_pdf,) = parts["visits.reports"].files
    assert report_pdf.open().read().startswith(b"%PDF")


def test_the_debtors_own_dossier_has_no_agents_photos_or_reports(made):
    parts = _parts(made.case, "debtor")

    assert parts["visits.evidence"] is None
    assert parts["visits.reports"] is None


def test_retention_removes_log_texts_locations_and_evidence_files(made):
    evidence = Evidence.objects.get(visit=made)
    stored = evidence.file.name
    storage = evidence.file.storage
    close_case(made.case, at=dt.datetime(2023, 11, 1, tzinfo=dt.UTC))

    retention.anonymize_due()

    log = VisitLog.objects.get(visit=made)
    assert (log.talking_points, log.incident_note, log.default_reasons) == ("", "", "")
    evidence.refresh_from_db()
    assert evidence.file.name == ""
    assert len(evidence.sha256) == 64  # the reference in the audit trail still resolves
    assert not storage.exists(stored)
