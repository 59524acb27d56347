"""User endpoints of scheduled follow-up reviews (agreements.services.reviews): the reviews due on the
cases the user sees, and marking one done through the follow-ups page's service."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from agreements import selectors as agreement_selectors
from agreements import services as agreement_services
from agreements.models import FollowUpReview

from ..serializers.limitation import FollowUpReviewSerializer, ReviewDoneInputSerializer
from .base import UserAction, UserRead


class ReviewsDue(UserRead):
    """GET: the scheduled reviews not yet done on the cases the user sees, oldest first (keyset on id)."""

    output_serializer = FollowUpReviewSerializer
    many = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[FollowUpReview]:
        return agreement_selectors.due_reviews(self.request.user)


class ReviewDone(UserAction):
    """POST: the review is done, with what it found (whoever works the case)."""

    visible = staticmethod(agreement_selectors.due_reviews)
    input_serializer = ReviewDoneInputSerializer
    output_serializer = FollowUpReviewSerializer

    def perform(self, review: FollowUpReview, data: dict[str, Any]) -> Any:
        return agreement_services.review_complete(review=review, actor=self.request.user, **data)
