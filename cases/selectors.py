"""Reads on cases: every query starts from the policy's visible set and owns its joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import get_all_FIELD_transitions  # noqa: F401  (documented helper)

from accounts.models import Role, User
from common import bundle
from common.errors import Failure
from compliance import selectors as compliance_selectors
from compliance.models import AuditEvent, Complaint
from compliance.rules import CaseFacts, VerificationFacts, check_verification

from . import policies
from .fact_models import Consent, DebtorFact
from .models import (
    Case,
    CaseAssessment,
    CaseAssignment,
    CaseDocument,
    Debtor,
    DebtorAddress,
    DebtorPhone,
    DocumentKind,
    Stage,
    VerificationStatus,
)

# The case list's sorts: (field, descending) pairs; the pk always ends the order as the tie-breaker, so
# the order is total and keyset pages never repeat or skip a case. Each has an index (models.Case.Meta)
# but `debtor`, which orders on the joined debtor's name.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "newest": (("pk", True),),
    "oldest": (("pk", False),),
    "overdue": (("overdue_since", False), ("pk", False)),
    "outstanding": (("outstanding", True), ("pk", False)),
    "debtor": (("debtor__name", False), ("pk", False)),
    "stage": (("stage", False), ("pk", False)),
}

# Days past due (today - overdue_since) buckets: (lowest, highest) days, None = no bound.
OVERDUE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "0-30": (0, 30),
    "31-90": (31, 90),
    "91-180": (91, 180),
    "181-365": (181, 365),
    "365+": (366, None),
}
FLAG_FIELDS = Debtor.FLAG_FIELDS
NEXT_ACTION_CHOICES = ("overdue", "this_week", "none")


def _order_by(sort: str) -> list[str]:
    return [f"-{name}" if desc else name for name, desc in SORTS.get(sort, SORTS["newest"])]


def case_list(
    *,
    user: Any,
    stage: str = "",
    agent_id: int | None = None,
    creditor_code: str = "",
    q: str = "",
    sort: str = "newest",
    overdue: str = "",
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    currency: str = "",
    flags: Iterable[str] = (),
    next_action: str = "",
    team_id: int | None = None,
    supervisor_id: int | None = None,
    phone_digest: str = "",
    today: dt.date | None = None,
) -> QuerySet[Case]:
    """The case list: every filter combined (AND), from the user's visible cases, in `sort` order.

    A fixed number of queries whatever the number of cases (joins + one prefetch); the filters on
    related rows (agent, phone, follow-up) are EXISTS subqueries, so a case is listed once.
    """
    qs = policies.cases_visible_to(user)
    today = today or timezone.localdate()
    if stage:
        qs = qs.filter(stage=stage)
    if agent_id:
        qs = qs.filter(Exists(CaseAssignment.objects.filter(case_id=OuterRef("pk"), agent_id=agent_id)))
    if creditor_code:
        qs = qs.filter(creditor__code=creditor_code)
    if team_id:
        qs = qs.filter(team_id=team_id)
    if supervisor_id:
        qs = qs.filter(supervisor_id=supervisor_id)
    if overdue in OVERDUE_BUCKETS:
        low, high = OVERDUE_BUCKETS[overdue]
        # dpd >= low  <=>  overdue_since <= today - low (and alike for the upper bound): the index serves it.
        qs = qs.filter(overdue_since__lte=today - dt.timedelta(days=low))
        if high is not None:
            qs = qs.filter(overdue_since__gte=today - dt.timedelta(days=high))
    if currency:
        qs = qs.filter(currency=currency)
    if amount_min is not None:
        qs = qs.filter(outstanding__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(outstanding__lte=amount_max)
    for flag in flags:
        if flag in FLAG_FIELDS:
            qs = qs.filter(**{f"debtor__{flag}": True})
        elif flag == "disputed":  # the open complaints and disputes are the one source of truth
            qs = qs.filter(Exists(Complaint.objects.filter(case_id=OuterRef("pk"), status="open")))
    if next_action in NEXT_ACTION_CHOICES:
        # The follow-up plans (agreements.FollowUp) through the reverse relation: cases does not import
        # the later stages' apps. "open" is agreements.models.FollowUpStatus.OPEN.
        follow_ups = Case._meta.get_field("follow_ups").related_model._default_manager
        open_follow_ups = follow_ups.filter(case_id=OuterRef("pk"), status="open")
        if next_action == "overdue":
            qs = qs.filter(Exists(open_follow_ups.filter(due_on__lt=today)))
        elif next_action == "this_week":
            week_end = today + dt.timedelta(days=6 - today.weekday())  # through Sunday
            qs = qs.filter(Exists(open_follow_ups.filter(due_on__gte=today, due_on__lte=week_end)))
        else:
            qs = qs.filter(~Exists(open_follow_ups))
    if phone_digest:
        # Exact match on the keyed digest (common.pii.phone_digest of the normalized number): the plain
        # number is never compared, stored in the query string or logged.
        qs = qs.filter(
            Exists(DebtorPhone.objects.filter(debtor_id=OuterRef("debtor_id"), digest=phone_digest))
        )
    q = q.strip()
    if q:
        qs = qs.filter(
            # The debtors by name first (the trigram index on PostgreSQL, migration cases/0009), then
            # their cases by the debtor foreign key.
            Q(debtor_id__in=Debtor.objects.filter(name__icontains=q).values("pk"))
            | Q(contract_no__iexact=q)
            | Q(external_ref__iexact=q)
            | Q(contract_no__istartswith=q)
            | Q(external_ref__istartswith=q)
        )
    return (
        qs.select_related("debtor", "creditor", "supervisor", "team")
        .prefetch_related(Prefetch("assignments", queryset=CaseAssignment.objects.select_related("agent")))
        .order_by(*_order_by(sort))
    )


# --- keyset pages --------------------------------------------------------------------------------

CURSOR_SALT = "cases.case_list.cursor"


class BadCursor(ValueError):
    """The cursor was not made by this list (tampered, truncated) or for another sort."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, going back, before) the row whose sort key is `key`.

    `total` and `offset` are carried from the first page (the count is taken once, with the first page)
    so deep pages need neither OFFSET nor COUNT.
    """

    sort: str
    backwards: bool
    key: tuple[Any, ...]
    total: int | None
    offset: int

    def encode(self) -> str:
        return signing.dumps(
            {
                "s": self.sort,
                "b": int(self.backwards),
                "k": list(self.key),
                "t": self.total,
                "o": self.offset,
            },
            salt=CURSOR_SALT,
            compress=True,
        )

    @classmethod
    def decode(cls, raw: str, *, sort: str) -> Cursor:
        try:
            data = signing.loads(raw, salt=CURSOR_SALT)
            cursor = cls(
                sort=str(data["s"]),
                backwards=bool(data["b"]),
                key=tuple(data["k"]),
                total=None if data["t"] is None else int(data["t"]),
                offset=max(0, int(data["o"])),
            )
        except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
            raise BadCursor(str(error)) from error
        if cursor.sort != sort or len(cursor.key) != len(SORTS[sort]):
            raise BadCursor("the cursor belongs to another sort")
        return cursor


@dataclass(frozen=True)
class CaseListPage:
    cases: list[Case]
    total: int | None
    first_index: int  # 1-based position of the first case on the page
    previous: str  # cursors ("" = no such page)
    next: str

    @property
    def capped(self) -> bool:
        """More than COUNT_CAP cases: shown as "10,000+", not counted further."""
        return self.total is not None and self.total > COUNT_CAP

    @property
    def cap(self) -> str:
        return f"{COUNT_CAP:,}"

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.cases) - 1

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)


def _key_value(case: Case, name: str) -> Any:
    value: Any = case.debtor.name if name == "debtor__name" else getattr(case, name)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _key_of(case: Case, sort: str) -> tuple[Any, ...]:
    return tuple(_key_value(case, name) for name, _desc in SORTS[sort])


def _after(sort: str, key: tuple[Any, ...], *, backwards: bool) -> Q:
    """Rows strictly after `key` in the sort's order (before it when going backwards): for columns
    c1..cn, (c1 > k1) OR (c1 = k1 AND c2 > k2) OR ..., each comparison turned for descending columns."""
    columns = SORTS[sort]
    condition = Q()
    for i, (name, desc) in enumerate(columns):
        lookup = "lt" if desc != backwards else "gt"
        step = Q(**{f"{name}__{lookup}": key[i]})
        for j in range(i):
            step &= Q(**{columns[j][0]: key[j]})
        condition |= step
    return condition


# The list counts its cases exactly up to this many and shows "10,000+" beyond: an exact count of a
# million visible cases reads a million index entries on every first page (issue 19).
COUNT_CAP = 10_000


def _capped_count(cases: QuerySet[Case]) -> RawSQL:
    """`SELECT COUNT(*) FROM (the filtered cases LIMIT COUNT_CAP + 1)` as a scalar subquery of the page's
    own statement (no extra round trip): it stops after COUNT_CAP + 1 rows."""
    inner = cases.order_by().values("pk")[: COUNT_CAP + 1]
    sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    # The inner SQL is compiled by the ORM, every value a parameter.
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) capped", params)  # noqa: S608, S611


def case_list_page(*, cases: QuerySet[Case], sort: str, cursor: Cursor | None, size: int) -> CaseListPage:
    """One keyset page of `cases` (ordered by `sort`): no OFFSET however deep; one query for the rows
    (with, on the first page, the count as a scalar subquery) and one prefetch."""
    if sort not in SORTS:
        sort = "newest"
    if cursor is None:
        rows = list(cases.annotate(list_total=_capped_count(cases))[: size + 1])
        total = rows[0].list_total if rows else 0
        has_more, rows = len(rows) > size, rows[:size]
        offset, has_before = 0, False
    else:
        window = cases.filter(_after(sort, cursor.key, backwards=cursor.backwards))
        if cursor.backwards:
            window = window.reverse()
        rows = list(window[: size + 1])
        has_more, rows = len(rows) > size, rows[:size]
        total = cursor.total
        if cursor.backwards:
            rows.reverse()
            offset = max(0, cursor.offset - len(rows))
            has_before, has_after = has_more, True
        else:
            offset = cursor.offset
            has_before, has_after = True, has_more
    if cursor is None:
        has_after = has_more
    previous = next_ = ""
    if rows and has_before:
        previous = Cursor(sort, True, _key_of(rows[0], sort), total, offset).encode()
    if rows and has_after:
        next_ = Cursor(sort, False, _key_of(rows[-1], sort), total, offset + len(rows)).encode()
    return CaseListPage(cases=rows, total=total, first_index=offset + 1, previous=previous, next=next_)


def visible_case(*, user: Any, pk: int, related: tuple[str, ...] = ()) -> Case | None:
    """One case by its primary key, then `can_view` on that row (cases.visibility): never a scan of the
    user's visible cases. None when it does not exist or the user may not see it (a 404 either way)."""
    case = Case.objects.select_related(*related).filter(pk=pk).first()
    if case is None or not policies.can_view(user, case):
        return None
    return case


def case_detail(*, user: Any, pk: int) -> Case | None:
    if visible_case(user=user, pk=pk) is None:
        return None
    return (
        Case.objects.select_related(
            "debtor", "creditor", "mandate", "supervisor", "team", "debtor__identity_checked_by"
        )
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
    debtor_facts: list[Any] = ()  # type: ignore[assignment]  # cases.fact_models.DebtorFact, newest first
    consents: list[Any] = ()  # type: ignore[assignment]  # cases.fact_models.Consent, newest first


TIMELINE_LIMIT = 200
FACTS_LIMIT = 100  # debtor facts and consents shown (both newest first; lifted ones stay listed)


def case_page(*, user: Any, pk: int, with_hold: bool, with_agents: bool) -> CasePage | None:
    """The case page's reads: the case row by its primary key (with its joins), `can_view` on it (the
    user's scopes; their assignment and explicit shares on this case by the indexed pairs, kept for the
    page's later checks), and ONE bundle query for every list the page shows (facts, visits, timeline,
    complaints, the legal hold, the assignable agents), whatever their length (`common.bundle`)."""
    case = visible_case(
        user=user,
        pk=pk,
        related=("debtor", "creditor", "mandate", "supervisor", "team", "debtor__identity_checked_by"),
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
        "debtor_facts": bundle.Part(
            DebtorFact.objects.filter(debtor_id=debtor.pk),
            related=("recorded_by", "lifted_by", "document", "address"),
            limit=FACTS_LIMIT,
        ),
        "consents": bundle.Part(
            Consent.objects.filter(debtor_id=debtor.pk),
            related=("recorded_by", "withdrawn_by", "document", "address"),
            limit=FACTS_LIMIT,
        ),
    }
    if with_hold:
        parts["hold"] = bundle.Part(compliance_selectors.active_holds(case.pk), related=("set_by",), limit=1)
    if with_agents:
        parts["agents"] = bundle.Part(assignable_agents(case=case))
    rows = bundle.fetch(parts)
    bundle.attach([debtor], rows["phones"], fk="debtor_id", accessor="phones")
    bundle.attach([debtor], rows["addresses"], fk="debtor_id", accessor="addresses")
    for name in ("documents", "assignments", "assessments", "visits"):
        bundle.attach([case], rows[name], fk="case_id", accessor=name)
    hold = rows.get("hold") or [None]
    return CasePage(
        case=case,
        timeline=_timeline(rows["events"], rows["history"], rows["actors"], limit=TIMELINE_LIMIT),
        complaints=rows["complaints"],
        legal_hold=hold[0],
        assignable_agents=rows.get("agents"),
        debtor_facts=rows["debtor_facts"],
        consents=rows["consents"],
    )


def _verification_facts_sql() -> str:
    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    # Table names from the models, every value a parameter.
    return (
        f"SELECT (SELECT COUNT(*) FROM {table(DebtorAddress)} WHERE debtor_id = %s AND status = %s),"  # noqa: S608
        f" EXISTS (SELECT 1 FROM {table(CaseDocument)} WHERE case_id = %s AND kind = %s),"
        f" EXISTS (SELECT 1 FROM {table(CaseAssessment)} WHERE case_id = %s)"
    )


def verification_facts(case: Case) -> VerificationFacts:
    """The facts `check_verification` decides on, read fresh (after the service's row lock): the
    verified addresses, the contract and the assessment in one statement of three subqueries, as
    plain SQL. The transition is timed against a plain save() (bench/README.md): three ORM queries
    were three round trips, and compiling one ORM query of Subquery/Exists cost ~2 ms of Python, more
    than the statement itself. `verification_facts_prefetched` is the same facts from a page's
    prefetches (tests/cases/test_selectors.py checks that both agree)."""
    debtor = case.debtor
    with connection.cursor() as cursor:
        cursor.execute(
            _verification_facts_sql(),
            [debtor.pk, VerificationStatus.VERIFIED.value, case.pk, DocumentKind.CONTRACT.value, case.pk],
        )
        addresses, contract, assessment = cursor.fetchone()
    return VerificationFacts(
        identity_checked=debtor.identity_checked_at is not None,
        verified_addresses=int(addresses),
        contract_on_file=bool(contract),
        assessment_done=bool(assessment),
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
                # every stage change carries `data.stage` (cases/services/stage.py)
                "to_label": _stage_label((event.data.get("stage") or {}).get("to"))
                if isinstance(event.data, dict) and isinstance(event.data.get("stage"), dict)
                else "",
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


@dataclass(frozen=True)
class ListPeople:
    agents: list[User]
    supervisors: list[User]
    teams: list[Any]


def list_filter_people(user: Any) -> ListPeople:
    """The agents, supervisors and teams the list's filters offer, in one query: the user's team's
    (everyone's for those who see every case)."""
    qs = User.objects.filter(is_active=True, groups__name__in=[Role.FIELD_AGENT, Role.SUPERVISOR])
    if not policies.sees_all_cases(user):
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
    rows = list(
        qs.select_related("team").annotate(role=F("groups__name")).order_by("full_name", "username", "pk")
    )
    agents = [u for u in rows if u.role == Role.FIELD_AGENT]
    supervisors = [u for u in rows if u.role == Role.SUPERVISOR]
    teams = sorted({u.team_id: u.team for u in rows if u.team_id}.values(), key=lambda t: (t.name, t.pk))
    return ListPeople(agents=agents, supervisors=supervisors, teams=teams)


def team_supervisors(*, team_id: int | None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
    return qs.filter(team_id=team_id) if team_id else qs.none()


def stage_choices() -> list[tuple[str, str]]:
    return list(Stage.choices)
