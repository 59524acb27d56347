"""Scheduled reviews of follow-up plans: `FollowUp.review_every_days` made to happen.

Every open plan is reviewed each `review_every_days` days from the day it was made (server's local
date): the beat task `agreements.tasks.schedule_follow_up_reviews` runs `reviews_schedule`, which creates
the review of the current period once (a unique date per plan; while an earlier review is still due, no
new one piles up). The reviews due are listed on the follow-ups page for the plan's owner and the team's
supervisor (agreements.selectors.due_reviews); `review_complete` records what the review found.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import system_user
from common.pii import digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import FollowUp, FollowUpReview, FollowUpStatus, ReviewStatus
from ._shared import lock_case, refuse, save
from ._shared import now as _now


def review_due_on(follow_up: FollowUp, today: dt.date) -> dt.date | None:
    """The start of the review period `today` falls in (None before the first period has passed)."""
    start = timezone.localdate(follow_up.created_at)
    every = max(int(follow_up.review_every_days or 0), 1)
    periods = (today - start).days // every
    return start + dt.timedelta(days=periods * every) if periods >= 1 else None


def reviews_schedule(*, today: dt.date | None = None) -> list[int]:
    """Create the review due today or earlier for every open plan that has none pending; idempotent
    (run it twice: nothing more). Returns the ids of the reviews created."""
    today = today or timezone.localdate()
    actor = system_user()
    created: list[int] = []
    pending = FollowUpReview.objects.filter(status=ReviewStatus.DUE).values("follow_up_id")
    plans = (
        FollowUp.objects.filter(status=FollowUpStatus.OPEN)
        .exclude(pk__in=pending)
        .only("pk", "case_id", "owner_id", "created_at", "review_every_days")
        .order_by("pk")
    )
    for plan in plans.iterator():
        due_on = review_due_on(plan, today)
        if due_on is None:
            continue
        try:
            with transaction.atomic():
                review, made = FollowUpReview.objects.get_or_create(
                    follow_up_id=plan.pk,
                    due_on=due_on,
                    defaults={"case_id": plan.case_id, "owner_id": plan.owner_id},
                )
                if made:
                    audit.record(
                        actor=actor,
                        action="follow_up.review_scheduled",
                        obj=review,
                        case_id=plan.case_id,
                        data={"follow_up": plan.pk, "due_on": due_on.isoformat(), "owner": plan.owner_id},
                    )
                    created.append(review.pk)
        except IntegrityError:  # another run created it at the same time
            continue
    return created


@refusals_recorded("follow_up.review", subject="review")
@transaction.atomic
def review_complete(
    *, review: FollowUpReview, actor: User, note: str, now: dt.datetime | None = None
) -> FollowUpReview:
    """A review is done: what it found (at least 5 characters). Whoever works the case."""
    now = now or _now()
    review = FollowUpReview.objects.select_for_update().select_related("case").get(pk=review.pk)
    case = lock_case(review.case)
    policies.require(policies.can_plan_follow_up(actor, case))
    if review.status != ReviewStatus.DUE:
        raise refuse("WRONG_STATE", _("This review is already done."), "status")
    note = (note or "").strip()
    if len(note) < 5:
        raise refuse("FIELD_REQUIRED", _("Write what the review found (at least 5 characters)."), "note")
    review.status, review.done_at, review.done_by, review.note = ReviewStatus.DONE, now, actor, note[:300]
    review.full_clean()
    save(review, actor)
    audit.record(
        actor=actor,
        action="follow_up.reviewed",
        obj=review,
        case_id=case.pk,
        data={
            "follow_up": review.follow_up_id,
            "due_on": review.due_on.isoformat(),
            "note_digest": digest(note, kind="note"),
        },
    )
    return review
