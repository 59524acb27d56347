"""Evidence (photos and recordings judged by content, size limits, SHA-256, duplicates, recording
consent), the statement handed to the debtor, the visit report PDF, and the expiry of visits nobody
started."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Stage
from common.errors import DomainError
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.conftest import ARRIVAL, attest_all, checks, keyed
from tests.visits.factories import local
from visits import services
from visits.models import Evidence, VisitState

pytestmark = pytest.mark.django_db

LATER = ARRIVAL + dt.timedelta(minutes=20)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00" + b"\x00" * 256


def jpeg(color: str = "red", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def add(visit, actor, content: bytes, name: str = "door.jpg", *, key=None, content_type="image/jpeg"):  # type: ignore[no-untyped-def]
    return services.evidence_add(
        visit=visit,
        actor=actor,
        idempotency_key=key or keyed(),
        upload=SimpleUploadedFile(name, content, content_type=content_type),
        caption="Front door",
        now=LATER,
    )


def test_a_photo_is_stored_with_its_digest_and_audited(on_site, agent):
    content = jpeg()
    head = audit_head()

    evidence = add(on_site, agent, content)

    assert evidence.kind == "photo"
    assert evidence.content_type == "image/jpeg"
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content)
    assert evidence.file.read() == content
    assert evidence.duplicate_of is None
    assert audit_actions_since(head) == ["evidence.added"]
    assert audit_events_since(head)[-1].data["sha256"] == evidence.sha256


def test_the_same_photo_again_is_flagged_as_a_duplicate(on_site, agent, other_agent):
    first = add(on_site, agent, jpeg("blue"))

    second = add(on_site, other_agent, jpeg("blue"), name="again.jpg")

    assert second.duplicate_of == first
    assert audit_events_since(0)[-1].data["duplicate_of"] == first.pk


def test_a_double_tap_uploads_once(on_site, agent):
    key = keyed()
    first = add(on_site, agent, jpeg(), key=key)
    head = audit_head()

    again = add(on_site, agent, jpeg(), key=key)

    assert again.pk == first.pk
    assert Evidence.objects.count() == 1
    assert audit_actions_since(head) == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),  # a name is not a type
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "broken.jpg"),  # starts like a JPEG, is not one
        (b"%PDF-1.4\n" + b"\x00" * 64, "scan.pdf"),  # a document, not evidence of the visit
    ],
    ids=["html-named-jpg", "truncated-jpeg", "pdf"],
)
def test_files_that_are_not_photos_or_recordings_are_refused(on_site, agent, content, name):
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        add(on_site, agent, content, name=name)

    assert refused.value.codes == ["UPLOAD_TYPE"]
    assert refused.value.failures[0].field == "file"
    assert audit_actions_since(head) == ["evidence.add.refused"]
    assert not Evidence.objects.exists()


def test_a_file_over_the_kinds_limit_is_refused(on_site, agent, settings):
    settings.EVIDENCE_MAX_PHOTO_BYTES = 100

    with pytest.raises(DomainError) as refused:
        add(on_site, agent, jpeg(size=(64, 64)))

    assert refused.value.codes == ["UPLOAD_TOO_LARGE"]


def test_an_audio_recording_is_recognized_by_content(on_site, agent):
    evidence = add(on_site, agent, M4A, name="rec.bin", content_type="audio/mp4")

    assert (evidence.kind, evidence.content_type, evidence.original_name) == ("audio", "audio/mp4", "rec.m4a")


def test_no_recording_is_kept_when_the_person_met_refused_recording(on_site, agent):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, recording_consent=False), now=LATER
    )

    with pytest.raises(DomainError) as refused:
        add(on_site, agent, M4A, name="rec.m4a", content_type="audio/mp4")
    photo = add(on_site, agent, jpeg())

    assert refused.value.codes == ["RECORDING_CONSENT"]
    assert photo.kind == "photo"


def test_evidence_can_be_added_after_completion_until_the_log_is_accepted(talked, agent, supervisor):
    """A recording uploaded once back on a good connection still reaches the log under review."""
    services.visit_log_save(
        visit=talked, actor=agent, step="outcome", data={"outcome": "refusal_to_pay"}, now=LATER
    )
    attest_all(talked)
    services.visit_complete(visit=talked, actor=agent, idempotency_key=keyed(), now=LATER)

    late = add(talked, agent, jpeg("green"))
    services.visit_log_accept(visit=talked, actor=supervisor, now=LATER)
    with pytest.raises(DomainError) as refused:
        add(talked, agent, jpeg("yellow"))

    assert late.visit_id == talked.pk
    assert refused.value.codes == ["WRONG_STATE"]


@pytest.mark.parametrize("role", ["supervisor", "other_team_agent", "compliance_officer"])
def test_only_the_visits_agents_add_evidence(on_site, all_roles, role):
    with pytest.raises(DomainError) as refused:
        add(on_site, all_roles[role], jpeg())

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_no_evidence_before_the_visit_starts(notified, agent):
    with pytest.raises(DomainError) as refused:
        add(notified, agent, jpeg())

    assert refused.value.codes == ["WRONG_STATE"]


def test_opening_evidence_is_recorded(on_site, agent, compliance_officer):
    evidence = add(on_site, agent, jpeg())
    head = audit_head()

    with services.evidence_open(evidence=evidence, actor=compliance_officer) as handle:
        assert handle.read()[:3] == b"\xff\xd8\xff"

    assert audit_actions_since(head) == ["evidence.viewed"]
    assert audit_events_since(head)[-1].actor == f"user:{compliance_officer.pk}"


def test_outsiders_cannot_open_evidence(on_site, agent, other_team_agent):
    evidence = add(on_site, agent, jpeg())

    with pytest.raises(DomainError) as refused:
        services.evidence_open(evidence=evidence, actor=other_team_agent)

    assert refused.value.codes == ["PERMISSION_DENIED"]


# --- the statement and the report ------------------------------------------------------------------

needs_pdffonts = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils (pdffonts)")


def embeds_cjk_font(content: bytes, tmp_path) -> bool:  # type: ignore[no-untyped-def]
    path = tmp_path / "check.pdf"
    path.write_bytes(content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    return any(
        ("WenQuanYi" in line or "NotoSansCJK" in line) and " yes " in line for line in fonts.splitlines()
    )


def test_the_statement_is_only_for_the_identified_debtor(on_site, agent):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, relation="family"), now=LATER
    )

    with pytest.raises(DomainError) as refused:
        services.statement_hand_over(
            visit=on_site, actor=agent, idempotency_key=keyed(), language="zh-hans", now=LATER
        )

    assert refused.value.codes == ["IDENTITY_BEFORE_DISCLOSURE"]


@needs_pdffonts
def test_the_statement_handed_over_is_kept_with_its_digest(identified, agent, tmp_path):
    head = audit_head()

    evidence = services.statement_hand_over(
        visit=identified, actor=agent, idempotency_key=keyed(), language="zh-hans", now=LATER
    )

    content = evidence.file.read()
    assert content.startswith(b"%PDF")
    assert evidence.kind == "statement"
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert embeds_cjk_font(content, tmp_path)
    assert identified.logs.get().statement_shown is True
    assert audit_actions_since(head) == ["visit.statement_handed_over"]


@needs_pdffonts
def test_the_visit_report_embeds_the_cjk_font_and_names_the_last_event(talked, agent, supervisor, tmp_path):
    head = audit_head()

    pdf = services.visit_report(visit=talked, actor=supervisor, language="zh-hans", now=LATER)

    assert pdf.content.startswith(b"%PDF")
    assert embeds_cjk_font(pdf.content, tmp_path)
    assert audit_actions_since(head) == ["visit.report_generated"]
    event = audit_events_since(head)[-1]
    last = event.data["last_event"]
    assert last[0] < event.seq
    assert len(last[1]) == 64


def test_no_report_before_anyone_is_on_site(notified, supervisor):
    with pytest.raises(DomainError) as refused:
        services.visit_report(visit=notified, actor=supervisor, language="en", now=LATER)

    assert refused.value.codes == ["WRONG_STATE"]


# --- nobody went ------------------------------------------------------------------------------------


def test_a_notified_visit_nobody_started_expires_after_its_window(notified, agent):
    services.visit_check_in(visit=notified, actor=agent, idempotency_key=keyed(), now=ARRIVAL)  # alone
    head = audit_head()

    before = services.visit_plans_expire(now=local(2026, 11, 26, 11, 59))
    after = services.visit_plans_expire(now=local(2026, 11, 26, 12, 0))

    notified.refresh_from_db()
    assert before == []
    assert after == [notified.pk]
    assert notified.state == VisitState.EXPIRED
    assert notified.case.stage == Stage.VERIFIED
    assert audit_actions_since(head) == ["visit.expired", "case.visit_plan_dropped"]
    assert audit_events_since(head)[0].data["checked_in"] == [agent.pk]
