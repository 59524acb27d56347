"""`manage.py seed_demo`: people, creditor and mandate, cases through the import, idempotent."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from cases import policies
from cases.importing import check_rows
from cases.management.commands.seed_demo import RowFactory, tiny_pdf
from cases.models import Case, CaseAssignment, Creditor, Debtor, Mandate, Stage
from compliance.audit import verify_chain
from compliance.models import AuditEvent
from tests.factories import TODAY

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


LOGINS = [
    "  supervisor          supervisor  fieldledger-demo",
    "  field agent         agent1      fieldledger-demo",
    "  field agent         agent2      fieldledger-demo",
    "  compliance officer  compliance  fieldledger-demo",
    "  administrator       admin       fieldledger-demo",
]


def test_seed_without_cases_creates_people_creditor_and_mandate():
    out = seed("--cases", "0")
    for line in LOGINS:
        assert line in out.splitlines()
    roles = {
        u.username: set(u.groups.filter(name__in=Role.values).values_list("name", flat=True))
        for u in User.objects.exclude(is_service_account=True)
    }
    assert roles == {
        "supervisor": {"supervisor"},
        "agent1": {"field_agent"},
        "agent2": {"field_agent"},
        "compliance": {"compliance_officer"},
        "admin": {"administrator"},
    }
    supervisor, agent = User.objects.get(username="supervisor"), User.objects.get(username="agent1")
    assert agent.team == supervisor.team
    assert agent.team.code == "demo"
    assert agent.work_id_number
    assert agent.work_id_expires_on > agent.training_completed_on
    assert agent.training_valid_until > agent.training_completed_on
    assert User.objects.get(username="admin").is_staff
    assert supervisor.check_password("fieldledger-demo")
    creditor = Creditor.objects.get(code="DEMO")
    assert creditor.default_supervisor == supervisor
    mandate = Mandate.objects.get(creditor=creditor)
    content = mandate.document.read()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == mandate.document_sha256
    assert not Case.objects.exists()
    assert verify_chain().ok


def test_seed_cases_through_the_import_and_verification_services():
    out = seed("--cases", "20", "--password", "another-demo-pass")
    assert "another-demo-pass" in out
    assert "Imported: 20 cases were created" in out
    cases = Case.objects.select_related("debtor")
    assert cases.count() == 20
    supervisor = User.objects.get(username="supervisor")
    agents = list(User.objects.filter(username__in=["agent1", "agent2"]).order_by("username"))
    assert set(policies.cases_visible_to(supervisor)) == set(cases)
    assert CaseAssignment.objects.count() == 20
    assert {CaseAssignment.objects.filter(agent=a).count() for a in agents} == {10}
    # 30% of 20 verified; three of them then carry the demo visits (visits/demo.py) and one the demo
    # agreement (agreements/demo.py), and moved on.
    verified = cases.exclude(stage=Stage.NEW)
    assert verified.count() == 6
    assert sorted(cases.exclude(stage__in=[Stage.NEW, Stage.VERIFIED]).values_list("stage", flat=True)) == [
        Stage.AGREEMENT_SIGNED,
        Stage.FOLLOW_UP,
        Stage.NOTICE_GIVEN,
        Stage.VISIT_PLANNED,
    ]
    for case in verified:
        assert case.documents.filter(kind="contract").exists()
        assert case.assessments.exists()
    # Chinese and English names, resident IDs and passports, CNY and other currencies.
    names = list(Debtor.objects.values_list("name", flat=True))
    assert any("\u4e00" <= n[0] <= "\u9fff" for n in names)
    assert any(n[0].isascii() for n in names)
    assert {c.currency for c in cases} >= {"CNY"}
    # History and audit like any import.
    assert all(c.history.filter(history_type="+").exists() for c in cases)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("case.imported") == 20
    assert actions.count("placement.imported") == 1
    assert actions.count("case.agents_assigned") == 20
    assert actions.count("case.verified") == 6
    assert not [a for a in actions if a.endswith(".refused")]
    assert verify_chain().ok


def test_second_run_adds_nothing_and_prints_the_logins():
    seed("--cases", "5")
    counts = (Case.objects.count(), User.objects.count(), AuditEvent.objects.count())
    out = seed("--cases", "5")
    assert "already seeded" in out
    assert "  supervisor          supervisor  fieldledger-demo (as set when first seeded)" in out
    assert (Case.objects.count(), User.objects.count(), AuditEvent.objects.count()) == counts


def generate(seed: int, count: int) -> list:  # type: ignore[type-arg]
    factory = RowFactory(seed=seed, today=TODAY)
    return [factory.row(i) for i in range(count)]


def test_generated_rows_are_valid_reproducible_and_varied():
    rows = generate(7, 300)
    assert rows == generate(7, 300)
    assert rows != generate(8, 300)
    assert check_rows(rows) == []
    assert {r.id_type for r in rows} == {"resident_id", "passport"}
    assert len({r.currency for r in rows}) > 1
    assert len({(r.id_type, r.id_number) for r in rows}) < 300  # some debtors have two cases


def test_tiny_pdf_is_a_pdf():
    pdf = tiny_pdf(["Hello (world)"])
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"Hello \\(world\\)" in pdf


def test_the_demo_visits_are_made_through_the_visit_services():
    from visits.models import Visit, VisitState

    seed("--cases", "20")

    states = sorted(Visit.objects.values_list("state", flat=True))
    assert states == sorted([VisitState.NOTIFIED, VisitState.COMPLETED, VisitState.PLANNED])
    made = Visit.objects.get(state=VisitState.COMPLETED)
    assert made.logs.get().outcome == "promise_to_pay"
    assert made.attestations.count() == 2
    assert AuditEvent.objects.filter(action="visit.completed", object_id=str(made.pk)).exists()
    assert verify_chain().ok
