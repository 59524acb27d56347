"""What visits gives the compliance workspace (visits/workspace.py): visits by state per agent and month,
the visits/notices/contacts parts of the dossier (staff unnamed for the debtor), and the anonymizer of
the texts and recipients visits hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from compliance import agents, registry, retention
from compliance.dossier import staff_namer
from compliance.registry import DossierContext
from tests.factories import close_case
from tests.visits.conftest import NOW
from visits.models import ContactAttempt, Notice, Visit

pytestmark = [pytest.mark.django_db]


def test_visits_by_state_per_agent_and_month(planned, agent, other_agent):
    table = agents.agent_table(month=dt.date(2026, 11, 1))
    keys = [k for k, _label in table.columns]
    row = next(r for r in table.rows if r.agent == agent)
    values = dict(zip(keys, row.values, strict=True))

    assert (values["visits_total"], values["visits_planned"], values["visits_approved"]) == (1, 1, 0)
    december = agents.agent_table(month=dt.date(2026, 12, 1))
    assert (
        dict(zip(keys, next(r for r in december.rows if r.agent == agent).values, strict=True))[
            "visits_total"
        ]
        == 0
    )


def _html(case, profile):  # type: ignore[no-untyped-def]
    ctx = DossierContext(case_id=case.pk, profile=profile, now=timezone.now(), person=staff_namer(profile))
    sections = [s for s in registry.dossier_sections() if s.key.startswith("visits.")]
    return "".join(str(part.html) for s in sections if (part := s.build(ctx)) is not None)


def test_the_dossier_lists_visits_and_names_agents_for_the_regulator_only(planned, agent, other_agent):
    regulator, subject = _html(planned.case, "regulator"), _html(planned.case, "debtor")

    assert f">{planned.pk}<" in regulator
    assert agent.display_name in regulator
    assert other_agent.display_name in regulator
    assert agent.display_name not in subject
    assert "Staff member 1" in subject


def test_retention_blanks_visit_notes_notice_recipients_and_contact_notes(planned, agent):
    visit = Visit.objects.get(pk=planned.pk)
    Notice.objects.create(
        visit=visit,
        channel="sms",
        given_at=NOW,
        text="Visit on Thursday",
        text_sha256="a" * 64,
        idempotency_key="k1",
        recorded_by=agent,
        recipient="13800138000",
        answer_note="Call me after 6",
    )
    ContactAttempt.objects.create(
        case=visit.case,
        channel="phone",
        at=NOW,
        result="connected",
        note="Said he lost his job",
        recorded_by=agent,
    )
    close_case(visit.case, at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    (report,) = retention.dry_run()
    retention.anonymize_due()

    items = {i.what: i.count for i in report.items}
    assert (items["visit.note"], items["notice.recipient"], items["contact.note"]) == (1, 1, 1)
    notice = Notice.objects.get()
    assert (notice.recipient, notice.answer_note, notice.text_sha256) == ("", "", "a" * 64)
    assert Visit.objects.get(pk=visit.pk).note == ""
    assert not ContactAttempt.objects.exclude(note="").exists()
    assert not Notice.history.exclude(recipient="").exists()
    assert not Visit.history.filter(id=visit.pk).exclude(note="").exists()
