"""Repayment agreements: drafting, approval of a discount, signing on the phone (each refusal), the
signed PDF with an embedded CJK font, renegotiation, cancellation, and the debtor's one-time link."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from decimal import Decimal

import pytest

from agreements import services
from agreements.models import AgreementState, Signature, SigningLink
from cases.models import Stage
from common.errors import DomainError
from compliance.models import Complaint
from compliance.refusals import RulesRefused
from tests.agreements.conftest import NOW, OWED, blank_png, key, sign, signature_png, terms
from tests.debtor_fact_helpers import put_facts
from tests.factories import UserFactory, audit_actions_since, audit_events_since, audit_head, move_case_to

pytestmark = pytest.mark.django_db


def draft_refused(case, actor, **changes) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as refused:
        services.agreement_draft(case=case, actor=actor, **terms(**changes))
    return refused.value.codes


# --- drafting -----------------------------------------------------------------------------------------


def test_a_draft_has_equal_instalments_to_the_cent_and_is_audited(owing, agent):
    head = audit_head()

    agreement = services.agreement_draft(case=owing, actor=agent, **terms())

    amounts = [i.amount for i in agreement.instalments.order_by("number")]
    assert sum(amounts) == OWED
    assert amounts == [Decimal("1366.75")] * 6
    assert [i.due_date for i in agreement.instalments.order_by("number")][:3] == [
        dt.date(2026, 12, 15),
        dt.date(2027, 1, 15),
        dt.date(2027, 2, 15),
    ]
    assert agreement.number == f"AG-{owing.pk}-1"
    assert (agreement.state, agreement.approval_required) == (AgreementState.DRAFT, False)
    assert audit_actions_since(head) == ["agreement.drafted"]
    assert audit_events_since(head)[0].data["discount"] == "0.00"


def test_a_hand_edited_schedule_is_kept(owing, agent):
    lines = [(dt.date(2026, 12, 1), Decimal("200.50")), (dt.date(2027, 1, 1), Decimal("8000.00"))]

    agreement = services.agreement_draft(
        case=owing, actor=agent, **terms(schedule_lines=lines, debtor_requested_terms=True)
    )

    assert agreement.schedule_edited
    assert [(i.due_date, i.amount) for i in agreement.instalments.order_by("number")] == lines


def test_a_hand_edited_schedule_that_does_not_add_up_is_refused(owing, agent):
    lines = [(dt.date(2026, 12, 1), Decimal("200.00")), (dt.date(2027, 1, 1), Decimal("8000.00"))]

    assert draft_refused(owing, agent, schedule_lines=lines) == ["SCHEDULE_SUM"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"total": Decimal("9000.00")}, "AMOUNT_TOO_LARGE"),
        ({"kind": "instalments", "instalment_count": 1}, "COUNT_INVALID"),
        ({"stated_income": None}, "FIELD_REQUIRED"),
        ({"first_due_date": dt.date(2026, 11, 1)}, "DATE_INVALID"),
        ({"method": "cash_to_agent"}, "INVALID_INPUT"),
    ],
)
def test_bad_terms_are_refused_and_audited(owing, agent, changes, code):
    head = audit_head()

    assert code in draft_refused(owing, agent, **changes)
    assert audit_actions_since(head) == ["agreement.draft.refused"]


def test_a_lump_sum_is_one_instalment(owing, agent):
    agreement = services.agreement_draft(
        case=owing, actor=agent, **terms(kind="lump_sum", instalment_count=6)
    )

    assert [i.amount for i in agreement.instalments.all()] == [OWED]


def test_only_one_draft_at_a_time(draft, owing, agent):
    assert draft_refused(owing, agent) == ["DRAFT_EXISTS"]


def test_a_new_case_cannot_have_an_agreement(case, agent):
    assert draft_refused(case, agent) == ["WRONG_STAGE"]


@pytest.mark.parametrize(
    "role", ["compliance_officer", "other_team_agent", "other_supervisor", "administrator"]
)
def test_only_who_works_the_case_drafts(owing, all_roles, role):
    assert draft_refused(owing, all_roles[role]) == ["PERMISSION_DENIED"]


# --- a settlement discount needs approval ----------------------------------------------------------


@pytest.fixture
def settlement(owing, agent):  # type: ignore[no-untyped-def]
    """CNY 7,000 for a balance of 8,200.50: a 14.6% discount, above the creditor's 10%."""
    return services.agreement_draft(
        case=owing, actor=agent, **terms(kind="lump_sum", total=Decimal("7000.00"))
    )


def test_a_discount_above_the_creditors_share_needs_approval_before_signing(settlement, agent, supervisor):
    assert settlement.approval_required

    with pytest.raises(DomainError) as unsigned:
        sign(settlement, agent)
    services.agreement_submit(agreement=settlement, actor=agent, now=NOW)
    services.agreement_approve(
        agreement=settlement, actor=supervisor, comment="Debtor's hardship documented.", now=NOW
    )
    sign(settlement, agent)

    assert unsigned.value.codes == ["APPROVAL_REQUIRED"]
    settlement.refresh_from_db()
    assert settlement.state == AgreementState.ACTIVE
    assert settlement.approved_by == supervisor


def test_the_drafter_cannot_approve_their_own_discount(owing, supervisor):
    agreement = services.agreement_draft(
        case=owing, actor=supervisor, **terms(kind="lump_sum", total=Decimal("7000.00"))
    )
    services.agreement_submit(agreement=agreement, actor=supervisor, now=NOW)

    with pytest.raises(DomainError) as refused:
        services.agreement_approve(agreement=agreement, actor=supervisor, now=NOW)

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_a_sent_back_draft_returns_with_the_comment(settlement, agent, supervisor):
    services.agreement_submit(agreement=settlement, actor=agent, now=NOW)

    with pytest.raises(DomainError) as no_comment:
        services.agreement_approve(agreement=settlement, actor=supervisor, approve=False, now=NOW)
    services.agreement_approve(
        agreement=settlement, actor=supervisor, approve=False, comment="Too generous.", now=NOW
    )

    assert no_comment.value.codes == ["FIELD_REQUIRED"]
    settlement.refresh_from_db()
    assert (settlement.state, settlement.approval_comment) == (AgreementState.DRAFT, "Too generous.")


# --- signing ------------------------------------------------------------------------------------------


def test_signing_stores_the_signatures_and_the_pdf_and_activates_the_agreement(draft, agent, owing):
    head = audit_head()

    sign(draft, agent)

    draft.refresh_from_db()
    owing.refresh_from_db()
    assert draft.state == AgreementState.ACTIVE
    assert owing.stage == Stage.AGREEMENT_SIGNED
    content = draft.pdf.read()
    assert content.startswith(b"%PDF")
    assert draft.pdf_sha256 == hashlib.sha256(content).hexdigest()
    roles = {s.role: s for s in draft.signatures.all()}
    assert set(roles) == {"debtor", "agent", "witness"}
    assert roles["witness"].name == "Chen Jing"
    assert roles["agent"].signer == agent
    assert audit_actions_since(head) == ["rules.allowed", "agreement.signed"]
    data = audit_events_since(head)[-1].data
    assert data["pdf_sha256"] == draft.pdf_sha256
    assert data["signatures"]["debtor"] == roles["debtor"].sha256
    assert (data["stage"]["from"], data["stage"]["to"]) == (Stage.VERIFIED, Stage.AGREEMENT_SIGNED)


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils")
def test_the_signed_pdf_embeds_a_cjk_font(active, tmp_path):
    path = tmp_path / "agreement.pdf"
    path.write_bytes(active.pdf.read())

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607

    assert any("WenQuanYi" in line and " yes " in line for line in fonts.splitlines())


def test_a_double_tap_signs_once(draft, agent):
    again_key = key()
    sign(draft, agent, idempotency_key=again_key)
    head = audit_head()

    sign(draft, agent, idempotency_key=again_key)

    assert audit_actions_since(head) == []
    assert Signature.objects.filter(agreement=draft).count() == 3


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"debtor_signature": blank_png()}, "SIGNATURE_MISSING", "debtor_signature"),
        ({"agent_signature": b"GIF89a"}, "SIGNATURE_INVALID", "agent_signature"),
        ({"witness_signature": "data:image/png;base64,!!!"}, "SIGNATURE_INVALID", "witness_signature"),
        ({"witness_name": " "}, "FIELD_REQUIRED", "witness_name"),
        ({"debtor_understood": False}, "UNDERSTANDING_REQUIRED", "debtor_understood"),
    ],
)
def test_every_missing_piece_of_the_signing_is_refused(draft, agent, changes, code, field):
    with pytest.raises(DomainError) as refused:
        sign(draft, agent, **changes)

    assert [(f.code, f.field) for f in refused.value.failures] == [(code, field)]
    draft.refresh_from_db()
    assert draft.state == AgreementState.DRAFT
    assert not draft.signatures.exists()


def test_a_signature_as_a_data_url_is_accepted(draft, agent):
    import base64

    url = "data:image/png;base64," + base64.b64encode(signature_png(5)).decode()

    sign(draft, agent, debtor_signature=url)

    assert draft.signatures.get(role="debtor").image.read() == signature_png(5)


def test_an_open_dispute_refuses_signing_and_keeps_the_decision(draft, agent, owing):
    Complaint.objects.create(
        channel="phone",
        kind="dispute",
        case_id=owing.pk,
        created_at=NOW,
        received_at=NOW,
        text="Wrong amount",
    )
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        sign(draft, agent)

    assert refused.value.codes == ["DISPUTE_OPEN"]
    assert audit_actions_since(head) == ["rules.refused"]
    assert refused.value.decision.action == "agreement.sign"


def test_unaffordable_instalments_need_the_debtors_request(owing, agent):
    steep = services.agreement_draft(case=owing, actor=agent, **terms(instalment_count=2))  # 4,100 a month

    with pytest.raises(RulesRefused) as refused:
        sign(steep, agent)
    assert refused.value.codes == ["AFFORDABILITY"]


def test_requested_instalments_are_signed_with_the_warning_on_record(owing, agent):
    steep = services.agreement_draft(
        case=owing, actor=agent, **terms(instalment_count=2, debtor_requested_terms=True)
    )
    head = audit_head()

    sign(steep, agent)

    assert audit_actions_since(head)[0] == "rules.warned"
    assert audit_events_since(head)[-1].data["warnings"] == ["AFFORDABILITY"]


def test_a_time_barred_debt_is_signed_with_the_limitation_disclosure(owing, agent):
    owing.overdue_since = dt.date(2022, 1, 1)
    owing.save()
    agreement = services.agreement_draft(case=owing, actor=agent, **terms())

    sign(agreement, agent)

    agreement.refresh_from_db()
    assert agreement.limitation_warned is True


def test_a_signed_agreement_cannot_be_cancelled_or_signed_again(active, agent):
    with pytest.raises(DomainError) as cancel:
        services.agreement_cancel(agreement=active, actor=agent, reason="Changed mind", now=NOW)
    with pytest.raises(DomainError) as again:
        sign(active, agent)

    assert cancel.value.codes == ["WRONG_STATE"]
    assert again.value.codes == ["WRONG_STATE"]


def test_a_renegotiated_agreement_supersedes_the_one_in_force(active, owing, agent):
    new = services.agreement_draft(
        case=owing, actor=agent, **terms(instalment_count=10, first_due_date=dt.date(2027, 1, 10))
    )

    sign(new, agent)

    active.refresh_from_db()
    new.refresh_from_db()
    assert new.supersedes == active
    assert active.state == AgreementState.SUPERSEDED
    assert new.state == AgreementState.ACTIVE


def test_a_draft_given_up_after_a_visit_moves_the_case_to_follow_up(draft, agent, owing):
    move_case_to(owing, Stage.CONVERSATION_LOGGED)
    head = audit_head()

    services.agreement_cancel(
        agreement=draft, actor=agent, reason="The debtor wants to think it over.", now=NOW
    )

    owing.refresh_from_db()
    assert owing.stage == Stage.FOLLOW_UP
    assert audit_actions_since(head) == ["agreement.cancelled"]


# --- the debtor's own phone --------------------------------------------------------------------------


@pytest.fixture
def phone(owing):  # type: ignore[no-untyped-def]
    from cases.models import DebtorPhone
    from common.pii import phone_digest

    return DebtorPhone.objects.create(
        debtor=owing.debtor, number="13800138000", digest=phone_digest("13800138000"), status="verified"
    )


def test_a_signing_link_is_sent_once_and_signed_remotely(
    draft, agent, phone, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")

    with django_capture_on_commit_callbacks(execute=True):
        link = services.signing_link_send(agreement=draft, actor=agent, channel="sms", now=NOW)
    outbox = (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
    token = outbox.split("/agreements/s/")[1].split("/")[0]

    found = services.link_lookup(token, now=NOW)
    assert found == link
    assert services.link_identify(link=link, id_last4="0000") is False
    assert services.link_identify(link=link, id_last4=draft.case.debtor.id_number[-4:]) is True
    services.agreement_sign_remote(link=link, signature=signature_png(7), understood=True, now=NOW)
    assert services.link_lookup(token, now=NOW) is None  # used
    sign(
        draft, agent, debtor_signature=None, witness_signature=None, witness_name="", debtor_understood=False
    )

    draft.refresh_from_db()
    assert draft.state == AgreementState.ACTIVE
    assert draft.signatures.get(role="debtor").via == "remote"
    assert not draft.signatures.filter(role="witness").exists()
    assert "8200" not in outbox  # the SMS names no amount


def test_a_link_locks_after_five_wrong_identities(draft, agent, phone):
    link = services.signing_link_send(agreement=draft, actor=agent, channel="sms", now=NOW)
    for _ in range(5):
        services.link_identify(link=link, id_last4="9999")
    link.refresh_from_db()

    assert link.failed_attempts == 5
    assert SigningLink.objects.filter(pk=link.pk, failed_attempts__gte=5).exists()


def test_no_signing_link_when_contact_must_cease(draft, agent, phone, owing):
    put_facts(owing, contact_ceased=True)

    with pytest.raises(DomainError) as refused:
        services.signing_link_send(agreement=draft, actor=agent, channel="sms", now=NOW)

    assert refused.value.codes == ["CEASE_CONTACT"]


def test_a_supervisor_of_another_team_cannot_sign(draft, other_supervisor):
    with pytest.raises(DomainError) as refused:
        sign(draft, other_supervisor)

    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_an_agent_who_left_the_team_cannot_draft(owing, team):
    outsider = UserFactory(roles=["field_agent"])

    assert draft_refused(owing, outsider) == ["PERMISSION_DENIED"]
