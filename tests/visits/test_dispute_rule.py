"""DISPUTE_OPEN keeps reading open complaints *and* disputes (cases/services/disputes.py): a dispute
recorded on a planned visit's case blocks its approval until a compliance officer resolves it."""

from __future__ import annotations

import pytest

from cases.models import Stage
from cases.services import disputes
from common.errors import DomainError
from tests.visits.conftest import NOW
from visits import services
from visits.models import VisitState

pytestmark = [pytest.mark.django_db]


def test_an_open_dispute_blocks_approval_until_resolved(
    planned, supervisor, other_supervisor, agent, compliance_officer
):
    case = planned.case
    opened = disputes.dispute_open(
        case=case,
        actor=agent,
        channel="visit",
        text="Debt disputed at the door.",
        raised_by="debtor",
        visit_id=planned.pk,
        now=NOW,
    )
    case.refresh_from_db()
    assert (case.stage, case.stage_before_hold) == (Stage.ON_HOLD, Stage.VISIT_PLANNED)

    with pytest.raises(DomainError) as error:
        services.visit_approve(visit=planned, actor=supervisor, now=NOW)

    assert "DISPUTE_OPEN" in error.value.codes
    planned.refresh_from_db()
    assert planned.state == VisitState.PLANNED

    disputes.dispute_resolve(
        complaint=opened,
        actor=compliance_officer,
        outcome="rejected",
        reason="Contract and statements checked: the debt is due.",
        now=NOW,
    )
    case.refresh_from_db()
    # visit_planned is not a resting stage: the case goes to follow-up, where a supervisor decides.
    assert case.stage == Stage.FOLLOW_UP
