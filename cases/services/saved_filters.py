"""A user's saved case-list filters: create (a unique name per user) and delete their own."""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError, Failure
from compliance import audit
from compliance.refusals import refusals_recorded

from ..models import SavedFilter

# The case list's query keys (cases.forms.FILTER_KEYS); a plain `phone` is never stored, only its digest.
ALLOWED_KEYS = frozenset(
    {
        "q",
        "pd",
        "stage",
        "agent",
        "creditor",
        "team",
        "supervisor",
        "overdue",
        "next_action",
        "flags",
        "currency",
        "amount_min",
        "amount_max",
        "sort",
    }
)
MAX_PER_USER = 50


@refusals_recorded("case_filter.saved", subject="saved_filter", actor="user", object_type="cases.savedfilter")
@transaction.atomic
def saved_filter_create(*, user: User, name: str, query: str) -> SavedFilter:
    """Save the list's current (canonical) query under `name`. The audit event holds which filters were
    set, never their values (a name searched for, a phone digest)."""
    name = (name or "").strip()
    query = (query or "").lstrip("?")
    failures = []
    if not name:
        failures.append(Failure("FIELD_REQUIRED", _("Give the filter a name."), "", "name"))
    elif len(name) > 80:
        failures.append(Failure("INVALID_INPUT", _("A filter's name has at most 80 characters."), "", "name"))
    parsed = QueryDict(query)
    unknown = sorted(set(parsed) - ALLOWED_KEYS)
    if len(query) > 2000 or unknown:
        failures.append(Failure("INVALID_INPUT", _("This is not a case-list filter."), "", "query"))
    if failures:
        raise DomainError(failures)
    owned = SavedFilter.objects.select_for_update().filter(user=user)
    if owned.filter(name=name).exists():
        raise DomainError(
            [
                Failure(
                    "SAVED_FILTER_NAME_TAKEN",
                    _("You already have a filter named “%(name)s”: choose another name.") % {"name": name},
                    "",
                    "name",
                )
            ]
        )
    if owned.count() >= MAX_PER_USER:
        raise DomainError(
            [
                Failure(
                    "SAVED_FILTER_LIMIT",
                    _("You can keep at most %(n)d saved filters: delete one first.") % {"n": MAX_PER_USER},
                    "",
                    "name",
                )
            ]
        )
    saved = SavedFilter(user=user, name=name, query=query)
    saved.full_clean()
    saved.save()
    audit.record(actor=user, action="case_filter.saved", obj=saved, data={"keys": sorted(parsed)})
    return saved


@refusals_recorded(
    "case_filter.deleted", subject="saved_filter", actor="user", object_type="cases.savedfilter"
)
@transaction.atomic
def saved_filter_delete(*, user: User, saved_filter_id: int) -> None:
    saved = SavedFilter.objects.select_for_update().filter(user=user, pk=saved_filter_id).first()
    if saved is None:
        raise DomainError([Failure("NOT_FOUND", _("That saved filter is not one of yours."), "", "filter")])
    audit.record(actor=user, action="case_filter.deleted", obj=saved, data={})
    saved.delete()
