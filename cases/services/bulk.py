"""Bulk actions on selected cases (the case list) and the single-case supervisor change they use.

Each bulk action is one transaction: the cases are locked in id order, every case goes through the
same single-case service as on the case page (permission and rule checks, one audit event per case),
and when one case is refused nothing at all is written. The refusal then names the case and why, and
is recorded once (`<action>.refused`, with the refused case and the codes) after the rollback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.roles import has_role
from common.errors import SOURCE_ROLES, DomainError, Failure, PermissionRefused
from common.pii import mask_id_number, mask_phone
from common.spreadsheet import SafeCsvWriter
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import Case, CaseAssignment
from .case import _lock, case_assign_agents

MAX_BULK_CASES = 500
ASSIGN_MODES = ("replace", "add")


class BulkRefused(DomainError):
    """A bulk action refused on one case (`case_id`): nothing was written."""

    def __init__(self, failures: list[Failure], case_id: int | None = None) -> None:
        super().__init__(failures)
        self.case_id = case_id


def _label(case: Case) -> str:
    return f"{case.creditor.code}/{case.external_ref}"


def _on_case(case: Case, error: DomainError) -> BulkRefused:
    """The single-case refusal, each message prefixed with the case it is about."""
    return BulkRefused(
        [
            Failure(
                f.code,
                _("Case %(case)s: %(message)s") % {"case": _label(case), "message": f.message},
                f.source,
                "case",
            )
            for f in error.failures
        ],
        case_id=case.pk,
    )


def _selected(*, case_ids: Sequence[int], actor: User, writable: bool) -> list[Case]:
    """The selected cases the actor may see, in id order; an id they may not see is refused as not found
    (exactly like a case that does not exist), a closed case as closed when the action writes."""
    ids = sorted(set(case_ids))
    if not ids:
        raise BulkRefused([Failure("INVALID_INPUT", _("Select at least one case."), "", "case")])
    if len(ids) > MAX_BULK_CASES:
        raise BulkRefused(
            [
                Failure(
                    "INVALID_INPUT",
                    _("Select at most %(n)d cases at a time.") % {"n": MAX_BULK_CASES},
                    "",
                    "case",
                )
            ]
        )
    cases = list(
        policies.cases_visible_to(actor)
        .filter(pk__in=ids)
        .select_related("creditor", "debtor", "team", "supervisor")
        .prefetch_related(
            "debtor__phones",
            Prefetch("assignments", queryset=CaseAssignment.objects.select_related("agent")),
        )
        .order_by("pk")
    )
    missing = sorted(set(ids) - {c.pk for c in cases})
    if missing:
        raise BulkRefused(
            [
                Failure(
                    "NOT_FOUND",
                    _("Case #%(id)d was not found (or is not one of yours).") % {"id": missing[0]},
                    "",
                    "case",
                )
            ],
            case_id=None,
        )
    if writable:
        for case in cases:
            if policies.is_closed(case):
                raise BulkRefused(
                    [
                        Failure(
                            "CASE_CLOSED",
                            _("Case %(case)s is closed: reopen it before changing it.")
                            % {"case": _label(case)},
                            "",
                            "case",
                        )
                    ],
                    case_id=case.pk,
                )
    return cases


def _bulk_count(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A bulk refusal (one event after the whole transaction rolled back) says how many cases it had."""
    return {"cases": len(list(kwargs.get("case_ids") or ()))}


@refusals_recorded("case.bulk_agents_assigned", subject="-", data=_bulk_count)
@transaction.atomic
def cases_bulk_assign_agents(
    *, case_ids: Sequence[int], agents: Sequence[User], mode: str, actor: User
) -> int:
    """Assign (`add`) or reassign (`replace`) agents on every selected case; the number of cases."""
    if mode not in ASSIGN_MODES:
        raise BulkRefused([Failure("INVALID_INPUT", _("Choose how to assign the agents."), "", "mode")])
    agents = list(agents)
    if not agents:
        raise BulkRefused([Failure("FIELD_REQUIRED", _("Choose at least one field agent."), "", "agents")])
    cases = _selected(case_ids=case_ids, actor=actor, writable=True)
    for case in cases:
        wanted = {a.pk: a for a in agents}
        if mode == "add":
            wanted = {a.agent_id: a.agent for a in case.assignments.all()} | wanted
        try:
            case_assign_agents(case=case, agents=list(wanted.values()), actor=actor)
        except DomainError as error:
            raise _on_case(case, error) from error
    return len(cases)


@refusals_recorded("case.supervisor_changed")
@transaction.atomic
def case_change_supervisor(*, case: Case, supervisor: User, actor: User) -> Case:
    """Give the case another supervisor of its team (the team's supervisors group keeps its access:
    a case moves to another team only through a new placement)."""
    case = _lock(case)
    policies.require(policies.can_assign(actor, case))
    if not supervisor.is_active or not has_role(supervisor, Role.SUPERVISOR):
        raise DomainError(
            [
                Failure(
                    "NOT_A_SUPERVISOR",
                    _("%(name)s is not an active supervisor.") % {"name": supervisor.display_name},
                    SOURCE_ROLES,
                    "supervisor",
                )
            ]
        )
    if case.team_id != supervisor.team_id:
        raise DomainError(
            [
                Failure(
                    "SUPERVISOR_OTHER_TEAM",
                    _("%(name)s is not a supervisor of this case's team.")
                    % {"name": supervisor.display_name},
                    SOURCE_ROLES,
                    "supervisor",
                )
            ]
        )
    previous = case.supervisor_id
    case.supervisor = supervisor
    case._history_user = actor
    case.save(update_fields=["supervisor", "updated_at"])
    audit.record(
        actor=actor,
        action="case.supervisor_changed",
        obj=case,
        case_id=case.pk,
        data={"from": previous, "to": supervisor.pk},
    )
    return case


@refusals_recorded("case.bulk_supervisor_changed", subject="-", data=_bulk_count)
@transaction.atomic
def cases_bulk_change_supervisor(*, case_ids: Sequence[int], supervisor: User, actor: User) -> int:
    cases = _selected(case_ids=case_ids, actor=actor, writable=True)
    for case in cases:
        try:
            case_change_supervisor(case=case, supervisor=supervisor, actor=actor)
        except DomainError as error:
            raise _on_case(case, error) from error
    return len(cases)


EXPORT_HEADER = (
    "case_id",
    "creditor",
    "external_ref",
    "contract_no",
    "debtor",
    "id_number",
    "phones",
    "stage",
    "currency",
    "outstanding",
    "overdue_since",
    "days_past_due",
    "team",
    "supervisor",
    "agents",
)


@refusals_recorded("case.exported", subject="-", data=_bulk_count)
@transaction.atomic
def cases_export_csv(
    *,
    case_ids: Sequence[int],
    actor: User,
    stream: IO[bytes],
    full_pii: bool = False,
    today: dt.date | None = None,
) -> int:
    """The selected cases as CSV (spreadsheet-safe) into `stream`; one `case.exported` event per case.

    ID numbers and phones are masked unless `full_pii` is asked for, which only a role with the need
    may (the event then says so, like `pii.viewed`)."""
    today = today or timezone.localdate()
    cases = _selected(case_ids=case_ids, actor=actor, writable=False)
    if full_pii:
        for case in cases:
            if not policies.can_view_full_pii(actor, case):
                raise _on_case(
                    case, PermissionRefused.because(_("Your role sees personal data masked only."))
                )
    writer = SafeCsvWriter(stream, header=EXPORT_HEADER)
    for case in cases:
        debtor = case.debtor
        numbers = [p.number if full_pii else mask_phone(p.number) for p in debtor.phones.all()]
        writer.writerow(
            [
                case.pk,
                case.creditor.code,
                case.external_ref,
                case.contract_no,
                debtor.name,
                debtor.id_number if full_pii else mask_id_number(debtor.id_number),
                " ".join(numbers),
                case.stage,
                case.currency,
                case.outstanding,
                case.overdue_since.isoformat(),
                (today - case.overdue_since).days,
                case.team.code if case.team_id else "",
                case.supervisor.display_name if case.supervisor_id else "",
                " ".join(a.agent.display_name for a in case.assignments.all()),
            ]
        )
        audit.record(
            actor=actor,
            action="case.exported",
            obj=case,
            case_id=case.pk,
            data={"format": "csv", "full_pii": full_pii, "selected": len(cases)},
        )
    writer.detach().flush()
    return writer.rows
