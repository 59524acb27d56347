"""Scheduled reviews of follow-up plans (agreements.services.reviews): created every
`review_every_days` by the beat task (idempotent), listed on the follow-ups page and the API for the
plan's owner and the team's supervisor, and completed with what the review found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agreements import services
from agreements.models import FollowUpReview, ReviewStatus
from agreements.tasks import schedule_follow_up_reviews
from common.errors import DomainError, PermissionRefused
from tests.agreements.conftest import NOW
from tests.api.conftest import token_for
from tests.factories import audit_actions_since, audit_events_since, audit_head

pytestmark = pytest.mark.django_db


def user_client(user):  # type: ignore[no-untyped-def]
    """An API client with a fresh token of `user` (tests/api/conftest.py caches tokens per test there)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


PLANNED = dt.date(2026, 11, 23)  # the frozen clock's local date, when the plan is made


@pytest.fixture
def plan(owing, agent):  # type: ignore[no-untyped-def]
    return services.follow_up_plan(
        case=owing,
        actor=agent,
        next_action="call",
        due_on=PLANNED + dt.timedelta(days=3),
        owner=agent,
        review_every_days=7,
        now=NOW,
    )


@pytest.fixture
def review(plan):  # type: ignore[no-untyped-def]
    (pk,) = services.reviews_schedule(today=PLANNED + dt.timedelta(days=7))
    return FollowUpReview.objects.get(pk=pk)


def test_reviews_are_created_each_period_once(plan):
    assert services.reviews_schedule(today=PLANNED + dt.timedelta(days=6)) == []
    head = audit_head()

    created = services.reviews_schedule(today=PLANNED + dt.timedelta(days=7))

    assert len(created) == 1
    review = FollowUpReview.objects.get()
    assert (review.due_on, review.owner_id, review.status) == (
        PLANNED + dt.timedelta(days=7),
        plan.owner_id,
        "due",
    )
    assert audit_actions_since(head) == ["follow_up.review_scheduled"]
    # Idempotent, and no pile-up while one is due.
    assert services.reviews_schedule(today=PLANNED + dt.timedelta(days=7)) == []
    assert services.reviews_schedule(today=PLANNED + dt.timedelta(days=15)) == []


def test_the_next_period_after_a_review_is_done(review, agent):
    services.review_complete(review=review, actor=agent, note="Called twice, no answer; letter next.")

    (pk,) = services.reviews_schedule(today=PLANNED + dt.timedelta(days=15))

    assert FollowUpReview.objects.get(pk=pk).due_on == PLANNED + dt.timedelta(days=14)


def test_a_plan_done_or_superseded_is_not_reviewed(plan, agent):
    services.follow_up_done(follow_up=plan, actor=agent, note="Paid.")
    assert services.reviews_schedule(today=PLANNED + dt.timedelta(days=30)) == []


def test_the_beat_task_is_registered_and_runs_the_service(plan):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "agreements.tasks.schedule_follow_up_reviews" in tasks
    assert schedule_follow_up_reviews() == []  # the frozen clock: the plan is new


def test_completing_a_review_is_audited(review, agent):
    head = audit_head()

    done = services.review_complete(review=review, actor=agent, note="Debtor promised to call back.")

    assert (done.status, done.done_by_id) == (ReviewStatus.DONE, agent.pk)
    assert audit_actions_since(head) == ["follow_up.reviewed"]


@pytest.mark.parametrize(("note", "code"), [("", "FIELD_REQUIRED"), ("ok", "FIELD_REQUIRED")])
def test_a_review_needs_what_it_found(review, agent, note, code):
    head = audit_head()
    with pytest.raises(DomainError) as refused:
        services.review_complete(review=review, actor=agent, note=note)
    assert refused.value.codes == [code]
    assert audit_actions_since(head) == ["follow_up.review.refused"]
    assert audit_events_since(head)[0].case_id == review.case_id


def test_a_review_is_done_once(review, agent):
    services.review_complete(review=review, actor=agent, note="Reviewed the plan.")
    with pytest.raises(DomainError) as refused:
        services.review_complete(review=review, actor=agent, note="Again, please.")
    assert refused.value.codes == ["WRONG_STATE"]


def test_another_team_may_not_complete_it(review, other_team_agent):
    with pytest.raises(PermissionRefused):
        services.review_complete(review=review, actor=other_team_agent, note="Not my case at all.")


def test_the_follow_ups_page_lists_it_for_the_agent_and_the_supervisor(
    review, agent, supervisor, other_team_agent
):
    url = reverse("agreements:follow-up-list")
    done_url = reverse("agreements:review-done", args=[review.pk])
    for user in (agent, supervisor):
        client = Client()
        client.force_login(user)
        assert done_url in client.get(url).content.decode()
    outsider = Client()
    outsider.force_login(other_team_agent)
    assert done_url not in outsider.get(url).content.decode()
    assert outsider.post(done_url, {"note": "Not mine to review."}).status_code == 404


def test_the_page_refuses_an_empty_finding_then_records_it(review, agent):
    client = Client()
    client.force_login(agent)
    done_url = reverse("agreements:review-done", args=[review.pk])

    refused = client.post(done_url, {"note": "ok"}, follow=True)
    assert "FIELD_REQUIRED" in refused.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE

    assert client.post(done_url, {"note": "Called, agreed to pay on Friday."}).status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.DONE


def test_the_api_lists_and_completes_reviews(review, agent, other_team_agent):
    api = user_client(agent)
    assert [r["id"] for r in api.get(reverse("api:follow-up-review-list")).json()["results"]] == [review.pk]
    url = reverse("api:follow-up-review-done", args=[review.pk])

    refused = api.post(url, {"note": ""}, format="json")
    assert refused.status_code == 409
    assert [e["code"] for e in refused.json()["errors"]] == ["FIELD_REQUIRED"]
    assert user_client(other_team_agent).post(url, {"note": "Not mine."}, format="json").status_code == 404

    done = api.post(url, {"note": "Reviewed: a call next week."}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert api.get(reverse("api:follow-up-review-list")).json()["results"] == []
