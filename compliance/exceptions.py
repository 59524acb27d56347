"""The exceptions report: every refused action, every override (reason and approver), every supervisor
resumption of refused visits, and whatever the stage apps add (`registry.ExceptionSource`).

Built-in sources read compliance's own records: audit `*.refused` events (refusals by policy or input),
`RuleDecision` rows (refusals by the rules, and overrides with their reason), and `case.visits_resumed`
events. Each source yields its rows newest first; the report merges them lazily (`heapq.merge`), so the
CSV export streams in constant memory. The filter (date range, rule code, actor, team, creditor) is
applied by each source in its query; team and creditor become a subquery of case ids (the cases app's
`CaseDirectory`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.spreadsheet import SafeCsvWriter

from . import registry, search
from .models import AuditEvent, RuleDecision
from .registry import ExceptionQuery, ExceptionRow, ExceptionSource

DEFAULT_DAYS = 30
PAGE_ROWS = 200


def _window(qs: QuerySet[Any], q: ExceptionQuery, field: str = "at") -> QuerySet[Any]:
    if q.date_from:
        qs = qs.filter(**{f"{field}__gte": q.date_from})
    if q.date_to:
        qs = qs.filter(**{f"{field}__lt": q.date_to})
    if q.case_ids is not None:
        qs = qs.filter(case_id__in=q.case_ids)
    return qs


def _limited(qs: QuerySet[Any], q: ExceptionQuery) -> Iterable[Any]:
    return qs[: q.limit] if q.limit else qs.iterator(chunk_size=2000)


def _audit_link(seq: int) -> str:
    return reverse("compliance:audit-list") + f"?before={seq + 1}"


def _decision_link(pk: int) -> str:
    return reverse("compliance:decision-detail", args=[pk])


# --- built-in sources ---------------------------------------------------------------------------------


def refused_actions(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """`<action>.refused` audit events: refusals by a policy or a missing input (rules' refusals are
    decisions, below)."""
    qs = AuditEvent.objects.filter(action__endswith=".refused").exclude(action__startswith="rules.")
    qs = _window(qs, q)
    if q.code:
        qs = search._with_code(qs, q.code)
    if q.actor_id:
        qs = qs.filter(actor_user_id=q.actor_id)
    for event in _limited(qs.order_by("-seq"), q):
        codes = event.data.get("codes", []) if isinstance(event.data, dict) else []
        yield ExceptionRow(
            at=event.at,
            source="refused_actions",
            kind=_("Refused action"),
            what=event.action.removesuffix(".refused"),
            codes=tuple(codes),
            actor_id=event.actor_user_id,
            case_id=event.case_id,
            ref=f"audit #{event.seq}",
            link=_audit_link(event.seq),
        )


def _with_failure_code(qs: QuerySet[RuleDecision], code: str) -> QuerySet[RuleDecision]:
    if connection.vendor == "postgresql":
        return qs.filter(failures__contains=[{"code": code}])
    has_code = RawSQL(
        "EXISTS (SELECT 1 FROM json_each(compliance_ruledecision.failures) "
        "WHERE json_extract(json_each.value, '$.code') = %s)",
        [code],
        output_field=BooleanField(),
    )
    return qs.alias(has_code=has_code).filter(has_code=True)


def _blocking_codes(decision: RuleDecision) -> tuple[str, ...]:
    return tuple(f["code"] for f in decision.failures or [] if f.get("level", "refuse") == "refuse")


def rule_refusals(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    qs = _window(RuleDecision.objects.filter(outcome=RuleDecision.Outcome.REFUSED), q)
    if q.code:
        qs = _with_failure_code(qs, q.code)
    if q.actor_id:
        qs = qs.filter(actor_id=q.actor_id)
    for decision in _limited(qs.select_related("pack").order_by("-at", "-pk"), q):
        yield ExceptionRow(
            at=decision.at,
            source="rule_refusals",
            kind=_("Refused by the rules"),
            what=decision.action,
            codes=_blocking_codes(decision),
            actor_id=decision.actor_id,
            case_id=decision.case_id,
            detail=f"{decision.pack.code} v{decision.pack.version}",
            ref=f"decision #{decision.pk}",
            link=_decision_link(decision.pk),
        )


def overrides(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """Every override: the supervisor who approved it, the reason, and whose refusal it overrode."""
    qs = _window(RuleDecision.objects.filter(outcome=RuleDecision.Outcome.OVERRIDDEN), q)
    if q.code:
        qs = _with_failure_code(qs, q.code)
    if q.actor_id:
        qs = qs.filter(Q(actor_id=q.actor_id) | Q(override_of__actor_id=q.actor_id))
    for decision in _limited(qs.select_related("pack", "override_of").order_by("-at", "-pk"), q):
        yield ExceptionRow(
            at=decision.at,
            source="overrides",
            kind=_("Override"),
            what=decision.action,
            codes=_blocking_codes(decision),
            actor_id=decision.override_of.actor_id if decision.override_of else None,
            approver_id=decision.actor_id,
            case_id=decision.case_id,
            detail=decision.override_reason,
            ref=f"decision #{decision.pk}",
            link=_decision_link(decision.pk),
        )


def visits_resumed(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """A supervisor lifted a debtor's refusal of visits (the override of VISIT_REFUSED)."""
    if q.code and q.code != "VISIT_REFUSED":
        return
    qs = _window(AuditEvent.objects.filter(action="case.visits_resumed"), q)
    if q.actor_id:
        qs = qs.filter(actor_user_id=q.actor_id)
    for event in _limited(qs.order_by("-seq"), q):
        yield ExceptionRow(
            at=event.at,
            source="visits_resumed",
            kind=_("Visits resumed after a refusal"),
            what=event.action,
            codes=("VISIT_REFUSED",),
            approver_id=event.actor_user_id,
            case_id=event.case_id,
            detail=str(
                _("reason recorded (digest %(d)s)") % {"d": str(event.data.get("reason_digest", ""))[:12]}
            ),
            ref=f"audit #{event.seq}",
            link=_audit_link(event.seq),
        )


BUILT_IN = (
    ExceptionSource("refused_actions", _("Refused actions"), refused_actions),
    ExceptionSource("rule_refusals", _("Refusals by the rules"), rule_refusals),
    ExceptionSource("overrides", _("Overrides"), overrides),
    ExceptionSource("visits_resumed", _("Visits resumed after a refusal"), visits_resumed),
)


# --- the report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    code: str = ""
    actor_id: int | None = None
    team_id: int | None = None
    creditor_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: v.isoformat() if isinstance(v, dt.date) else v
            for k, v in self.__dict__.items()
            if v not in (None, "")
        }

    def query(self, *, limit: int | None) -> ExceptionQuery:
        case_ids = None
        if self.team_id or self.creditor_id:
            case_ids = registry.case_directory().case_ids(team_id=self.team_id, creditor_id=self.creditor_id)
        return ExceptionQuery(
            date_from=search._utc_start(self.date_from) if self.date_from else None,
            date_to=search._utc_start(self.date_to + dt.timedelta(days=1)) if self.date_to else None,
            code=self.code,
            actor_id=self.actor_id,
            case_ids=case_ids,
            limit=limit,
        )


def rows(f: ReportFilter, *, limit: int | None = PAGE_ROWS) -> Iterator[ExceptionRow]:
    """Every source's rows, newest first, merged lazily; at most `limit` (None: all)."""
    q = f.query(limit=limit)
    merged = heapq.merge(
        *(source.rows(q) for source in registry.exception_sources()), key=lambda r: r.at, reverse=True
    )
    return itertools.islice(merged, limit) if limit else merged


CSV_HEADER = ("at_utc", "kind", "source", "what", "codes", "actor", "approver", "case", "detail", "record")


def write_csv(f: ReportFilter, stream: IO[bytes], *, names: Any) -> int:
    """The whole report as CSV into `stream`; the number of rows. `names(user_id)` names people."""
    writer = SafeCsvWriter(stream, header=CSV_HEADER)
    for row in rows(f, limit=None):
        writer.writerow(
            [
                row.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                str(row.kind),
                row.source,
                row.what,
                " ".join(row.codes),
                names(row.actor_id),
                names(row.approver_id),
                row.case_id or "",
                row.detail,
                row.ref,
            ]
        )
    writer.detach().flush()
    return writer.rows


def export_csv(f: ReportFilter, *, names: Any) -> tuple[IO[bytes], int, str]:
    """The CSV in a temporary file (rewound), its row count and SHA-256."""
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    count = write_csv(f, tmp, names=names)
    tmp.seek(0)
    sha = hashlib.sha256()
    for chunk in iter(lambda: tmp.read(1 << 16), b""):
        sha.update(chunk)
    tmp.seek(0)
    return tmp, count, sha.hexdigest()
