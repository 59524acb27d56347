"""Guards found in review: resuming visits obeys the pack's override list; an open complaint on the
debt blocks approval (DISPUTE_OPEN); approval re-checks that the visit's agents can still go."""

from __future__ import annotations

import pytest

from common.errors import DomainError
from compliance import packs
from compliance.models import Complaint
from tests.visits.conftest import NOW
from visits import selectors, services
from visits.models import VisitState

pytestmark = [pytest.mark.django_db]


def test_resume_is_refused_when_the_pack_allows_no_override_of_a_refusal(
    verified_case, supervisor, compliance_officer
):
    current = selectors.pack_for_case(verified_case)
    packs.pack_new_version(
        pack_code=current.code,
        changes={"overridable": [c for c in current.overridable if c != "VISIT_REFUSED"]},
        actor=compliance_officer,
    )
    debtor = verified_case.debtor
    debtor.visits_refused = True
    debtor.save()

    with pytest.raises(DomainError) as error:
        services.visits_resume(case=verified_case, actor=supervisor, reason="debtor called back and agreed")

    assert error.value.codes == ["OVERRIDE_NOT_ALLOWED"]
    debtor.refresh_from_db()
    assert debtor.visits_refused


def test_an_open_complaint_on_the_debt_blocks_approval(planned, supervisor):
    services.complaint_record(visit=planned, text="I never agreed to this", now=NOW)
    assert Complaint.objects.filter(case_id=planned.case_id, status=Complaint.Status.OPEN).exists()

    with pytest.raises(DomainError) as error:
        services.visit_approve(visit=planned, actor=supervisor, now=NOW)

    assert "DISPUTE_OPEN" in error.value.codes
    planned.refresh_from_db()
    assert planned.state == VisitState.PLANNED


def test_approval_refuses_an_agent_who_left_the_team(planned, supervisor, other_agent, other_team):
    other_agent.is_active = False
    other_agent.team = other_team
    other_agent.save()

    with pytest.raises(DomainError) as error:
        services.visit_approve(visit=planned, actor=supervisor, now=NOW)

    assert error.value.codes == ["AGENT_NOT_FIELD_AGENT"]
