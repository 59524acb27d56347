"""factory_boy factories that build consistent graphs (agents in the case's team, grants in place)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory

from accounts import services as account_services
from accounts.models import Team, User
from cases import services as case_services
from cases.models import (
    Case,
    CaseAssignment,
    Creditor,
    Debtor,
    DebtorAddress,
    DebtorPhone,
    FactSource,
    IdType,
    Mandate,
    VerificationStatus,
)
from common.pii import id_digest, phone_digest
from compliance.rules import resident_id_check_char

TODAY = dt.date(2026, 11, 23)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def resident_id(seq: int, birth: str = "19900101", region: str = "110105") -> str:
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + resident_id_check_char(first17)


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"Team {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        return account_services.team_create(code=kwargs["code"], name=kwargs["name"], actor=None)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"User {n}")
    employee_no = factory.Sequence(lambda n: f"E{n:05d}")
    work_id_number = factory.Sequence(lambda n: f"WID-{n:05d}")
    work_id_expires_on = TODAY + dt.timedelta(days=365)
    training_completed_on = TODAY - dt.timedelta(days=30)
    training_valid_until = TODAY + dt.timedelta(days=335)
    team = None
    roles: tuple[str, ...] = ()
    password = "correct-horse-battery"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        roles = kwargs.pop("roles", ())
        return account_services.user_create(actor=None, roles=roles, **kwargs)


class CreditorFactory(DjangoModelFactory):
    class Meta:
        model = Creditor

    code = factory.Sequence(lambda n: f"cred{n}")
    name = factory.Sequence(lambda n: f"Creditor Bank {n}")


class MandateFactory(DjangoModelFactory):
    class Meta:
        model = Mandate

    creditor = factory.SubFactory(CreditorFactory)
    number = factory.Sequence(lambda n: f"M-2026-{n:04d}")
    scope = "Visit, verify and negotiate repayment of overdue consumer loans."
    valid_from = TODAY - dt.timedelta(days=100)
    valid_until = TODAY + dt.timedelta(days=265)
    document = factory.django.FileField(filename="mandate.pdf", data=PDF_BYTES)


class DebtorFactory(DjangoModelFactory):
    class Meta:
        model = Debtor

    name = factory.Sequence(lambda n: f"张三{n}")
    id_type = IdType.RESIDENT_ID
    id_number = factory.Sequence(lambda n: resident_id(n))
    id_digest = factory.LazyAttribute(lambda o: id_digest(o.id_type, o.id_number))


class PhoneFactory(DjangoModelFactory):
    class Meta:
        model = DebtorPhone

    debtor = factory.SubFactory(DebtorFactory)
    number = factory.Sequence(lambda n: f"138{n:08d}")
    digest = factory.LazyAttribute(lambda o: phone_digest(o.number))


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = DebtorAddress

    debtor = factory.SubFactory(DebtorFactory)
    kind = "home"
    text = factory.Sequence(lambda n: f"北京市朝阳区建国路{n}号")
    source = FactSource.CREDITOR
    status = VerificationStatus.UNVERIFIED


class CaseFactory(DjangoModelFactory):
    """A new case in a team, with its supervisor and (optionally) agents granted access."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    creditor = factory.SubFactory(CreditorFactory)
    mandate = factory.SubFactory(MandateFactory, creditor=factory.SelfAttribute("..creditor"))
    debtor = factory.SubFactory(DebtorFactory)
    external_ref = factory.Sequence(lambda n: f"EXT-{n:06d}")
    contract_no = factory.Sequence(lambda n: f"C-{n:06d}")
    product = "consumer_loan"
    principal = Decimal("10000.00")
    outstanding = Decimal("8200.50")
    currency = "CNY"
    overdue_since = TODAY - dt.timedelta(days=90)
    team = None
    supervisor = None

    @factory.post_generation
    def agents(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create:
            return
        for agent in extracted or ():
            CaseAssignment.objects.create(
                case=self, agent=agent, assigned_at=self.created_at, assigned_by=self.supervisor or agent
            )
        case_services.grant_case_access(self)


def make_verifiable(case: Case, actor: User) -> Case:
    """Give a case everything `case_verify` needs, through the services."""
    case_services.identity_check_record(case=case, actor=actor, method="ID card copy vs creditor KYC")
    address = case_services.address_add(
        case=case,
        actor=actor,
        kind="home",
        text="上海市徐汇区漕溪北路88号",
        time_zone="Asia/Shanghai",
        source=FactSource.CREDITOR,
    )
    case_services.address_verify(case=case, address_id=address.pk, actor=actor, source=FactSource.DATABASE)
    case_services.document_add(
        case=case,
        actor=actor,
        kind="contract",
        upload=SimpleUploadedFile("contract.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    case_services.assessment_record(
        case=case,
        actor=actor,
        capacity="medium",
        willingness="low",
        note="Salary confirmed; says cash is short until March.",
    )
    case.refresh_from_db()
    return case


# --- helpers added for the service and view tests ---------------------------------------------


def _image_bytes(kind: str) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(out, kind)
    return out.getvalue()


PNG_BYTES = _image_bytes("PNG")  # real images: uploads are judged by content (common/uploads.py)
JPEG_BYTES = _image_bytes("JPEG")


def audit_head() -> int:
    """The seq of the newest audit event (0 for an empty chain); pair with `audit_actions_since`."""
    from compliance.models import AuditEvent

    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def audit_events_since(seq: int) -> list:  # type: ignore[type-arg]
    from compliance.models import AuditEvent

    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def audit_actions_since(seq: int) -> list[str]:
    """The actions appended after `seq`, in order: what a service or view wrote, exactly."""
    return [e.action for e in audit_events_since(seq)]


def close_case(case: Case, *, at: dt.datetime) -> Case:
    """Move a case to `closed` for tests of what comes after closure (retention, dossiers).

    The closing service comes with the agreements stage; until then tests set the protected stage with
    a queryset update (no transition, no audit event): application code never does this.
    """
    Case.objects.filter(pk=case.pk).update(stage="closed", stage_changed_at=at)
    case.refresh_from_db()
    return case


def move_case_to(case: Case, stage: str) -> Case:
    """Put a case in a stage whose service belongs to a later issue (tests only; see close_case)."""
    Case.objects.filter(pk=case.pk).update(stage=stage)
    case.refresh_from_db()
    return case


class SavedFilterFactory(DjangoModelFactory):
    """A user's saved case-list filter (rows only; the service is tested in tests/cases/test_saved_filters.py)."""

    class Meta:
        model = "cases.SavedFilter"

    name = factory.Sequence(lambda n: f"Filter {n}")
    query = "stage=new"


# --- records of the later stages, made directly (tests of reads only: the supervision dashboard and
# KPIs). Like close_case/move_case_to, they set states without the services: application code never
# does this; the services' own tests cover how the records come to be. ---------------------------


class VisitFactory(DjangoModelFactory):
    """A visit of `case` at its debtor's first address (made when it has none), in any state."""

    class Meta:
        model = "visits.Visit"
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    address = factory.LazyAttribute(
        lambda o: o.case.debtor.addresses.first() or AddressFactory(debtor=o.case.debtor)
    )
    purpose = "negotiate"
    window_start = factory.LazyFunction(lambda: dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))
    window_end = factory.LazyAttribute(lambda o: o.window_start + dt.timedelta(hours=2))
    time_zone = "Asia/Shanghai"
    planned_by = factory.LazyAttribute(lambda o: o.case.supervisor)
    state = "planned"

    @factory.post_generation
    def agents(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        from visits.models import VisitAgent

        for agent in extracted or ():
            VisitAgent.objects.create(visit=self, agent=agent)


class VisitLogFactory(DjangoModelFactory):
    class Meta:
        model = "visits.VisitLog"

    visit = factory.SubFactory(VisitFactory)
    status = "submitted"
    relation = "debtor"
    identification = "id_card"
    outcome = factory.LazyAttribute(lambda o: o.visit.outcome)


class NoticeFactory(DjangoModelFactory):
    class Meta:
        model = "visits.Notice"

    visit = factory.SubFactory(VisitFactory)
    channel = "phone"
    given_at = factory.LazyAttribute(lambda o: o.visit.window_start - dt.timedelta(days=2))
    text = "Notice of a visit."
    idempotency_key = factory.Sequence(lambda n: f"notice-{n}")
    recorded_by = factory.LazyAttribute(lambda o: o.visit.planned_by)


class ContactAttemptFactory(DjangoModelFactory):
    class Meta:
        model = "visits.ContactAttempt"

    case = factory.SubFactory(CaseFactory)
    channel = "phone"
    at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC))
    result = "connected"
    recorded_by = factory.LazyAttribute(lambda o: o.case.supervisor)


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = "agreements.Agreement"

    case = factory.SubFactory(CaseFactory)
    number = factory.Sequence(lambda n: f"AG-T-{n:05d}")
    kind = "instalments"
    currency = factory.LazyAttribute(lambda o: o.case.currency)
    balance = factory.LazyAttribute(lambda o: o.case.outstanding)
    total = factory.LazyAttribute(lambda o: o.case.outstanding)
    first_due_date = TODAY - dt.timedelta(days=20)
    frequency = "monthly"
    method = "bank_transfer"
    drafted_by = factory.LazyAttribute(lambda o: o.case.supervisor)
    state = "active"
    signed_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC))


class InstalmentFactory(DjangoModelFactory):
    class Meta:
        model = "agreements.Instalment"

    agreement = factory.SubFactory(AgreementFactory)
    number = factory.Sequence(lambda n: n + 1)
    due_date = TODAY - dt.timedelta(days=20)
    amount = Decimal("500.00")
    status = "overdue"


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = "agreements.Payment"

    case = factory.SubFactory(CaseFactory)
    creditor = factory.LazyAttribute(lambda o: o.case.creditor)
    amount = Decimal("100.00")
    currency = factory.LazyAttribute(lambda o: o.case.currency)
    paid_on = TODAY - dt.timedelta(days=3)
    method = "bank_transfer"
    reference = factory.Sequence(lambda n: f"PAY-T-{n:05d}")
    recorded_by = factory.LazyAttribute(lambda o: o.case.supervisor)


class PromiseCheckFactory(DjangoModelFactory):
    class Meta:
        model = "agreements.PromiseCheck"

    visit_log = factory.SubFactory(VisitLogFactory)
    case = factory.LazyAttribute(lambda o: o.visit_log.visit.case)
    amount = Decimal("1000.00")
    currency = "CNY"
    due_on = TODAY - dt.timedelta(days=5)
    made_on = TODAY - dt.timedelta(days=12)
    status = "broken"
    decided_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC))


class FollowUpFactory(DjangoModelFactory):
    class Meta:
        model = "agreements.FollowUp"

    case = factory.SubFactory(CaseFactory)
    next_action = "call"
    due_on = TODAY - dt.timedelta(days=2)
    owner = factory.LazyAttribute(lambda o: o.case.supervisor)
    created_by = factory.SelfAttribute("owner")


class ComplaintFactory(DjangoModelFactory):
    class Meta:
        model = "compliance.Complaint"

    kind = "dispute"
    channel = "phone"
    case_id = None
    created_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC))
    received_at = factory.LazyAttribute(lambda o: o.created_at)
    text = "I do not owe this."


def gentler_channels_tried(case: Case, actor: User, *, before: dt.datetime, count: int = 3) -> None:
    """GENTLER_FIRST (CN pack: 3 attempts in 14 days): letters and an e-mail before `before`, recorded
    through the contact service (the contact gate) as an agent would, so that a visit may be planned.
    (No SMS or call: the gate sends an SMS only to a verified number and a call needs a phone.)"""
    from visits import services as visit_services

    tries = [("letter", "sent", 3), ("email", "sent", 2), ("letter", "sent", 1)]
    for channel, result, days in (tries * 2)[:count]:
        # 10:00 in Shanghai, inside the contact hours of the debtors these tests build
        at = (before - dt.timedelta(days=days)).astimezone(ZoneInfo("Asia/Shanghai")).replace(hour=10)
        # recorded when it was made (not days later: that would be a late recording, visits/exceptions.py)
        visit_services.contact_record(case=case, actor=actor, channel=channel, at=at, result=result, now=at)
