"""Refusals: `RulesRefused` (the rules said no; it carries the recorded decision) and the one decorator
that records every refused action of a service after its transaction rolled back.

Two kinds of refusal, recorded once each:

- by policy or input (`DomainError`): the decorator appends `<action>.refused` with the codes, who, and
  on what, after the service's transaction rolled back (so nothing half-written is kept);
- by the rules (`RulesRefused`): the refused decision and its `rules.refused` event are the record. A
  service may raise it from inside its transaction: when the rollback took the decision with it, the
  decorator records it again from the same inputs (`RulesRefused.ensure_recorded`), so a refusal by the
  rules always leaves its decision, whatever the nesting of transactions.

Usage: put `@refusals_recorded("<action>")` above `@transaction.atomic` (or above a service that opens
its own atomic block). The subject is the first model instance among the keyword arguments named in
`SUBJECT_KWARGS` (or the one named by `subject=`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import Model

from common.errors import DomainError

from . import audit
from .models import RuleDecision

P = ParamSpec("P")
R = TypeVar("R")

# Where the decorator looks for the refused action's subject, most specific first.
SUBJECT_KWARGS = (
    "notice",
    "visit",
    "agreement",
    "follow_up",
    "complaint",
    "placement_import",
    "case",
    "creditor",
)


@dataclass
class RulesRefused(DomainError):
    """The rules refused the action; `decision` is the recorded refused decision (kept, not rolled back)."""

    decision: RuleDecision | None = None
    # The arguments of `decisions.record` that produced `decision`, to record it again after a rollback.
    replay: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def overridable(self) -> bool:
        blocking = [f for f in self.failures if f.level == "refuse"]
        return bool(blocking) and all(f.overridable for f in blocking)

    def ensure_recorded(self) -> None:
        """Record the refused decision again when the transaction that held it rolled back."""
        if self.replay is None:
            return
        if self.decision is not None and RuleDecision.objects.filter(pk=self.decision.pk).exists():
            return
        from . import decisions

        with transaction.atomic():
            self.decision = decisions.record(**self.replay).decision


def _case_id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    case_id = getattr(obj, "case_id", None)
    if case_id is None and getattr(obj, "visit_id", None):
        case_id = obj.visit.case_id
    if case_id is None and obj._meta.label_lower == "cases.case":
        case_id = obj.pk
    return case_id if isinstance(case_id, int) else None


def refusals_recorded(
    action: str,
    *,
    subject: str | None = None,
    actor: str = "actor",
    object_type: str = "",
    unless: Callable[[Mapping[str, Any]], bool] | None = None,
    data: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The one refusal-recording decorator of the services.

    `subject`: the keyword argument the refusal is about (default: the first of `SUBJECT_KWARGS` given);
    `actor`: the keyword argument naming who acted; `object_type`: the audit object type when the
    subject does not exist (yet); `unless(kwargs)`: record nothing (a dry run); `data(kwargs)`: more
    payload. A `case_id` attribute on the error (a bulk action's failing case) names the case."""

    names = (subject,) if subject else SUBJECT_KWARGS

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except RulesRefused as error:
                error.ensure_recorded()
                raise
            except DomainError as error:
                if unless is not None and unless(kwargs):
                    raise
                obj: Model | None = next(
                    (
                        value
                        for value in (kwargs.get(name) for name in names)
                        if isinstance(value, Model) and value.pk
                    ),
                    None,
                )
                case_id = getattr(error, "case_id", None) or _case_id_of(obj)
                audit.record(
                    actor=kwargs.get(actor),
                    action=f"{action}.refused",
                    obj=obj,
                    object_type="" if obj is not None else (object_type or "cases.case"),
                    object_id="" if obj is not None or not case_id else str(case_id),
                    case_id=case_id,
                    data={"codes": error.codes, **(data(kwargs) if data else {})},
                )
                raise

        return wrapper

    return decorate
