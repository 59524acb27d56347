"""Rule decisions: evaluate the checks due at a moment, record the decision and its audit event.

Pattern for services ("decide, then act"): inside the service's transaction call `evaluate` BEFORE any
other write; if `evaluation.blocked`, raise `evaluation.refusal()` (a `RulesRefused`). The service's
`@refusals_recorded` decorator (compliance/refusals.py) records the refused decision again if the
rollback took it (or leave the atomic block normally and raise after it: the decision is kept as is). A supervisor's override is its own
decision row (`override_of`) and its own audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure
from common.pii import digest

from . import audit
from .models import RuleDecision, RulePack
from .refusals import RulesRefused
from .rules import PackParams, VisitFacts, check_visit
from .rules.onsite import OnSiteFacts, check_onsite


def _trace(failure: Failure) -> dict[str, Any]:
    return {
        "code": failure.code,
        "message": str(failure.message),
        "source": str(failure.source),
        "field": failure.field,
        "overridable": failure.overridable,
        "level": failure.level,
    }


@dataclass
class Evaluation:
    decision: RuleDecision
    failures: list[Failure]
    replay: dict[str, Any] | None = None  # the arguments of `record`, to record it again after a rollback

    @property
    def blocking(self) -> list[Failure]:
        return [f for f in self.failures if f.level == "refuse"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.level != "refuse"]

    @property
    def blocked(self) -> bool:
        return bool(self.blocking)

    @property
    def overridable(self) -> bool:
        """True when every blocking failure may be overridden by a supervisor under this pack."""
        return self.blocked and all(f.overridable for f in self.blocking)

    def error(self) -> DomainError:
        return self.refusal()

    def refusal(self) -> RulesRefused:
        """The refusal to raise: it carries the decision (recorded again if a rollback takes it)."""
        return RulesRefused(self.blocking, decision=self.decision, replay=self.replay)


def _outcome(failures: list[Failure]) -> str:
    if any(f.level == "refuse" for f in failures):
        return RuleDecision.Outcome.REFUSED
    if failures:
        return RuleDecision.Outcome.WARNED
    return RuleDecision.Outcome.ALLOWED


def carry_overrides(failures: list[Failure], overridden: Mapping[str, int]) -> list[Failure]:
    """A refusal a supervisor already overrode for this visit (e.g. NOTICE_LEAD_TIME on approval) does not
    refuse again later (check-in): it is kept as a warning that names the override decision."""
    carried = []
    for failure in failures:
        if failure.level == "refuse" and failure.overridable and failure.code in overridden:
            note = _("overridden earlier, decision #%(n)d") % {"n": overridden[failure.code]}
            failure = replace(failure, level="warn", message=f"{failure.message} ({note})")
        carried.append(failure)
    return carried


@transaction.atomic
def record(
    *,
    action: str,
    moment: str,
    failures: list[Failure],
    inputs: dict[str, Any],
    pack: RulePack,
    actor: Any,
    now: dt.datetime,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    case_id: int | None = None,
) -> Evaluation:
    """Record a decision (allowed, warned or refused) on failures already computed, with its audit event."""
    outcome = _outcome(failures)
    if obj is not None:
        object_type, object_id = audit.object_ref(obj)
    decision = RuleDecision.objects.create(
        at=now,
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        pack=pack,
        inputs=inputs,
        failures=[_trace(f) for f in failures],
        outcome=outcome,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action=f"rules.{outcome}",
        object_type="compliance.ruledecision",
        object_id=str(decision.pk),
        case_id=case_id,
        data={
            "for": action,
            "subject": f"{object_type}:{object_id}",
            "moment": moment,
            "pack": [pack.code, pack.version],
            "codes": [f.code for f in failures],
            "inputs": inputs,
        },
    )
    replay = {
        "action": action,
        "moment": moment,
        "failures": failures,
        "inputs": inputs,
        "pack": pack,
        "actor": actor,
        "now": now,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": case_id,
    }
    return Evaluation(decision, failures, replay)


@transaction.atomic
def evaluate(
    *,
    action: str,
    moment: str,
    facts: VisitFacts,
    pack: RulePack,
    actor: Any,
    now: dt.datetime,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    case_id: int | None = None,
    overridden: Mapping[str, int] | None = None,
) -> Evaluation:
    """Run the visit checks due at `moment` and record the decision (allowed, warned or refused).

    `overridden`: rule codes a supervisor already overrode for this subject (code → override decision
    id); such a failure is recorded as a warning instead of refusing again."""
    params = PackParams.from_pack(pack)
    failures = check_visit(moment=moment, facts=facts, pack=params, now=now)
    if overridden:
        failures = carry_overrides(failures, overridden)
    inputs = {
        "moment": moment,
        "facts": facts.as_trace(),
        "pack": params.as_trace(),
        "now": audit.format_at(now),
    }
    return record(
        action=action,
        moment=moment,
        failures=failures,
        inputs=inputs,
        pack=pack,
        actor=actor,
        now=now,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
    )


@transaction.atomic
def evaluate_onsite(
    *,
    action: str,
    moment: str,
    facts: OnSiteFacts,
    pack: RulePack,
    actor: Any,
    now: dt.datetime,
    obj: Model | None = None,
    case_id: int | None = None,
) -> Evaluation:
    """Run the on-site checks due at `moment` (compliance/rules/onsite.py) and record the decision."""
    failures = check_onsite(moment=moment, facts=facts)
    inputs = {"moment": moment, "facts": facts.as_trace(), "now": audit.format_at(now)}
    return record(
        action=action,
        moment=moment,
        failures=failures,
        inputs=inputs,
        pack=pack,
        actor=actor,
        now=now,
        obj=obj,
        case_id=case_id,
    )


@transaction.atomic
def override(*, decision: RuleDecision, actor: Any, reason: str, now: dt.datetime) -> RuleDecision:
    """A supervisor proceeds despite a refusal the pack lets them override, giving a written reason.

    Who may override (a supervisor of the team, never the planner) is the calling service's policy.
    """
    reason = (reason or "").strip()
    problems = []
    # Lock the refusal so that two supervisors cannot both override it (one override per refusal).
    decision = RuleDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.outcome != RuleDecision.Outcome.REFUSED:
        problems.append(
            Failure("OVERRIDE_NOT_NEEDED", _("Only a refused decision can be overridden."), "", "decision")
        )
    elif decision.overrides.exists():
        problems.append(
            Failure("OVERRIDE_NOT_NEEDED", _("This refusal has already been overridden."), "", "decision")
        )
    blocking = [f for f in decision.failures if f.get("level", "refuse") == "refuse"]
    not_overridable = sorted({f["code"] for f in blocking if not f.get("overridable")})
    if not_overridable:
        problems.append(
            Failure(
                "OVERRIDE_NOT_ALLOWED",
                _("The rule pack allows no override of: %(codes)s.") % {"codes": ", ".join(not_overridable)},
                "",
                "decision",
            )
        )
    if len(reason) < 10:
        problems.append(
            Failure(
                "OVERRIDE_REASON",
                _("Write the reason for the override (at least 10 characters)."),
                "",
                "reason",
            )
        )
    if problems:
        raise DomainError(problems)
    overriding = RuleDecision.objects.create(
        at=now,
        action=decision.action,
        object_type=decision.object_type,
        object_id=decision.object_id,
        case_id=decision.case_id,
        pack=decision.pack,
        inputs=decision.inputs,
        failures=decision.failures,
        outcome=RuleDecision.Outcome.OVERRIDDEN,
        actor=actor,
        override_of=decision,
        override_reason=reason,
    )
    audit.record(
        actor=actor,
        action="rules.overridden",
        object_type="compliance.ruledecision",
        object_id=str(overriding.pk),
        case_id=decision.case_id,
        data={
            "overrides": decision.pk,
            "for": decision.action,
            "codes": [f["code"] for f in blocking],
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return overriding
