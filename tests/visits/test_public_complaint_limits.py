"""Complaints from one verification link: the same words are one complaint, at most
PUBLIC_COMPLAINTS_PER_DAY a day (issue 21)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from compliance.models import Complaint
from tests.factories import audit_actions_since, audit_head
from tests.visits.factories import VisitFactory
from visits import services

pytestmark = pytest.mark.django_db


def test_one_link_files_the_same_complaint_once_and_a_few_a_day(case, agent, settings):
    settings.PUBLIC_COMPLAINTS_PER_DAY = 2
    visit = VisitFactory(case=case, planned_by=agent, agents=[agent])
    now = timezone.now()
    head = audit_head()
    first = services.complaint_record(visit=visit, text="I do not know them", now=now)
    assert services.complaint_record(visit=visit, text="I do not know them", now=now) == first
    second = services.complaint_record(visit=visit, text="Please stop", now=now)
    assert services.complaint_record(visit=visit, text="Third words", now=now) == second  # capped
    assert Complaint.objects.filter(visit_id=visit.pk).count() == 2
    assert audit_actions_since(head).count("complaint.recorded") == 2
    later = now + dt.timedelta(days=1, minutes=1)
    assert services.complaint_record(visit=visit, text="Third words", now=later) not in (first, second)
