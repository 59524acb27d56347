"""Reads on cases: every query starts from the policy's visible set and owns its joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import get_all_FIELD_transitions  # noqa: F401  (documented helper)

from accounts.models import Role, User
from common import bundle
from common.errors import Failure
from compliance import selectors as compliance_selectors
from compliance.models import AuditEvent
from compliance.rules import CaseFacts, VerificationFacts, check_verification

from . import policies
from .models import (
    Case,
    CaseAssessment,
    CaseAssignment,
    CaseDocument,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    DebtorAddress,
    DebtorPhone,
    DocumentKind,
    Stage,
    VerificationStatus,
)

SORTS = {
    "newest": ("-pk",),
    "oldest": ("pk",),
    "overdue": ("overdue_since", "pk"),
    "outstanding": ("-outstanding", "pk"),
    "debtor": ("debtor__name", "pk"),
    "stage": ("stage", "pk"),
}


def case_list(
    *,
    user: Any,
    stage: str = "",
    agent_id: int | None = None,
    creditor_code: str = "",
    q: str = "",
    sort: str = "newest",
) -> QuerySet[Case]:
    """The case list: a fixed number of queries whatever the number of cases (joins + one prefetch)."""
    qs = policies.cases_visible_to(user)
    if stage:
        qs = qs.filter(stage=stage)
    if agent_id:
        qs = qs.filter(assignments__agent_id=agent_id)
    if creditor_code:
        qs = qs.filter(creditor__code=creditor_code)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(debtor__name__icontains=q)
            | Q(contract_no__iexact=q)
            | Q(external_ref__iexact=q)
            | Q(contract_no__istartswith=q)
            | Q(external_ref__istartswith=q)
        )
    return (
        qs.select_related("debtor", "creditor", "supervisor", "team")
        .prefetch_related(Prefetch("assignments", queryset=CaseAssignment.objects.select_related("agent")))
        .order_by(*SORTS.get(sort, SORTS["newest"]))
    )


def case_detail(*, user: Any, pk: int) -> Case | None:
    return (
        policies.cases_visible_to(user)
        .select_related("debtor", "creditor", "mandate", "supervisor", "team", "debtor__identity_checked_by")
        .prefetch_related(
            "debtor__phones",
            Prefetch("debtor__addresses", queryset=DebtorAddress.objects.select_related("verified_by")),
            Prefetch("documents", queryset=CaseDocument.objects.select_related("uploaded_by")),
            Prefetch("assignments", queryset=CaseAssignment.objects.select_related("agent")),
            "assessments__assessed_by",
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class CasePage:
    """What the case page shows, read in a fixed number of queries (the case, then one bundle)."""

    case: Case
    timeline: list[dict[str, Any]]
    complaints: list[Any]
    legal_hold: Any | None
    assignable_agents: list[User] | None


TIMELINE_LIMIT = 200


def case_page(*, user: Any, pk: int, with_hold: bool, with_agents: bool) -> CasePage | None:
    """The case page's reads: the case row (visibility and joins) and ONE bundle query for every list
    the page shows (facts, visits, timeline, complaints, the legal hold, the assignable agents, and this
    user's object permissions on the case), whatever their length (`common.bundle`)."""
    case = (
        policies.cases_visible_to(user)
        .select_related("debtor", "creditor", "mandate", "supervisor", "team", "debtor__identity_checked_by")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        return None
    debtor = case.debtor
    events = AuditEvent.objects.filter(case_id=case.pk).order_by("-seq")
    parts = {
        "phones": bundle.Part(DebtorPhone.objects.filter(debtor_id=debtor.pk)),
        "addresses": bundle.Part(DebtorAddress.objects.filter(debtor_id=debtor.pk), related=("verified_by",)),
        "documents": bundle.Part(CaseDocument.objects.filter(case_id=case.pk), related=("uploaded_by",)),
        "assignments": bundle.Part(
            CaseAssignment.objects.filter(case_id=case.pk).order_by("pk"), related=("agent",)
        ),
        "assessments": bundle.Part(CaseAssessment.objects.filter(case_id=case.pk), related=("assessed_by",)),
        "visits": bundle.Part(case.visits.all()),
        "events": bundle.Part(events, limit=TIMELINE_LIMIT),
        "history": bundle.Part(
            case.history.order_by("-history_date"), related=("history_user",), limit=TIMELINE_LIMIT
        ),
        "actors": bundle.Part(
            User.objects.filter(pk__in=events.filter(actor_user_id__isnull=False).values("actor_user_id"))
        ),
        "complaints": bundle.Part(compliance_selectors.complaints_of_case_queryset(case.pk)),
    }
    if with_hold:
        parts["hold"] = bundle.Part(compliance_selectors.active_holds(case.pk), related=("set_by",), limit=1)
    if with_agents:
        parts["agents"] = bundle.Part(assignable_agents(case=case))
    if getattr(user, "is_authenticated", False) and user.pk:
        parts["user_perms"] = bundle.Part(
            CaseUserObjectPermission.objects.filter(user_id=user.pk, content_object_id=case.pk),
            related=("permission",),
        )
        parts["group_perms"] = bundle.Part(
            CaseGroupObjectPermission.objects.filter(
                content_object_id=case.pk, group__in=user.groups.all()
            ).order_by("pk"),
            related=("permission",),
        )
    rows = bundle.fetch(parts)
    bundle.attach([debtor], rows["phones"], fk="debtor_id", accessor="phones")
    bundle.attach([debtor], rows["addresses"], fk="debtor_id", accessor="addresses")
    for name in ("documents", "assignments", "assessments", "visits"):
        bundle.attach([case], rows[name], fk="case_id", accessor=name)
    if "user_perms" in rows:
        policies.remember_object_perms(
            user, case, {p.permission.codename for p in [*rows["user_perms"], *rows["group_perms"]]}
        )
    hold = rows.get("hold") or [None]
    return CasePage(
        case=case,
        timeline=_timeline(rows["events"], rows["history"], rows["actors"], limit=TIMELINE_LIMIT),
        complaints=rows["complaints"],
        legal_hold=hold[0],
        assignable_agents=rows.get("agents"),
    )


def verification_facts(case: Case) -> VerificationFacts:
    debtor = case.debtor
    return VerificationFacts(
        identity_checked=debtor.identity_checked_at is not None,
        verified_addresses=DebtorAddress.objects.filter(
            debtor_id=debtor.pk, status=VerificationStatus.VERIFIED
        ).count(),
        contract_on_file=case.documents.filter(kind=DocumentKind.CONTRACT).exists(),
        assessment_done=case.assessments.exists(),
        mandate=case.mandate.facts() if case.mandate_id else None,
        case=CaseFacts(creditor_id=case.creditor_id, product=case.product),
    )


def verification_facts_prefetched(case: Case) -> VerificationFacts:
    """Same facts from a `case_detail` object, without further queries."""
    debtor = case.debtor
    return VerificationFacts(
        identity_checked=debtor.identity_checked_at is not None,
        verified_addresses=sum(1 for a in debtor.addresses.all() if a.status == VerificationStatus.VERIFIED),
        contract_on_file=any(d.kind == DocumentKind.CONTRACT for d in case.documents.all()),
        assessment_done=bool(case.assessments.all()),
        mandate=case.mandate.facts() if case.mandate_id else None,
        case=CaseFacts(creditor_id=case.creditor_id, product=case.product),
    )


@dataclass(frozen=True)
class TransitionOption:
    name: str
    label: str
    target: str
    available: bool
    reasons: tuple[Failure, ...]


def transition_options(*, case: Case, user: Any, today: dt.date | None = None) -> list[TransitionOption]:
    """The stage moves from here, each with whether this user may take it now and, if not, why."""
    today = today or timezone.localdate()
    options: list[TransitionOption] = []
    for t in case.get_all_stage_transitions():
        if case.stage not in (t.source, "*"):
            continue
        reasons: list[Failure] = []
        if t.name == "verify":
            if not policies.can_verify(user, case):
                reasons.append(Failure("PERMISSION_DENIED", _("Your role cannot verify this case.")))
            reasons.extend(check_verification(verification_facts_prefetched(case), today=today))
            label = _("Verify")
        elif t.name == "unverify":
            if not policies.can_verify(user, case):
                reasons.append(Failure("PERMISSION_DENIED", _("Your role cannot return this case to new.")))
            label = _("Return to new")
        else:  # moved by the visit and agreement services, not from the case page
            continue
        options.append(TransitionOption(t.name, str(label), t.target, not reasons, tuple(reasons)))
    return options


def _stage_label(value: Any) -> str:
    return str(Stage(value).label) if value in Stage.values else ""


def case_timeline(*, case: Case, limit: int = 200) -> list[dict[str, Any]]:
    """History records of the case and its facts, merged with the case's audit events, newest first."""
    events = list(AuditEvent.objects.filter(case_id=case.pk).order_by("-seq")[:limit])
    actor_ids = {e.actor.split(":", 1)[1] for e in events if e.actor.startswith("user:")}
    history = list(case.history.select_related("history_user").order_by("-history_date")[:limit])
    return _timeline(events, history, User.objects.filter(pk__in=actor_ids), limit=limit)


def _timeline(
    events: Iterable[AuditEvent], history: Iterable[Any], actors: Iterable[User], *, limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for event in events:
        items.append(
            {
                "at": event.at,
                "kind": "audit",
                "action": event.action,
                "actor": event.actor,
                "seq": event.seq,
                "data": event.data,
                "to_label": _stage_label(event.data.get("to")) if isinstance(event.data, dict) else "",
            }
        )
    for h in history:
        items.append(
            {
                "at": h.history_date,
                "kind": "history",
                "action": f"case.history.{h.history_type}",
                "label": _("Case record: %(change)s") % {"change": h.get_history_type_display()},
                "stage": h.stage,
                "stage_label": _stage_label(h.stage),
                "user": h.history_user,
            }
        )
    users = {str(u.pk): u for u in actors}
    for item in items:
        if item["kind"] == "audit" and item["actor"].startswith("user:"):
            item["user"] = users.get(item["actor"].split(":", 1)[1])
    items.sort(key=lambda i: i["at"], reverse=True)
    return items[:limit]


def assignable_agents(*, case: Case) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, groups__name=Role.FIELD_AGENT)
    if case.team_id:
        qs = qs.filter(team_id=case.team_id)
    return qs.order_by("full_name", "username")


def agents_visible_to(user: Any) -> QuerySet[User]:
    """Agents offered in the list filter: the user's team's agents (everyone's for compliance)."""
    qs = User.objects.filter(is_active=True, groups__name=Role.FIELD_AGENT)
    if not policies.sees_all_cases(user):
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
    return qs.order_by("full_name", "username")


def stage_choices() -> list[tuple[str, str]]:
    return list(Stage.choices)
