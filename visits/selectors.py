"""Reads for visits, and the facts the rule engine judges (built from the database, then passed pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from compliance.models import RulePack
from compliance.rules import AgentFacts, CaseFacts, VisitFacts

from .models import ContactResult, Notice, NoticeAnswer, Visit, VisitState


def current_pack(code: str) -> RulePack:
    """The latest version of a rule pack (the creditor names the code; decisions keep the exact row)."""
    pack = RulePack.objects.filter(code=code).order_by("-version").first()
    if pack is None:
        pack = RulePack.objects.filter(code="cn-default").order_by("-version").first()
    if pack is None:
        raise RulePack.DoesNotExist(f"no rule pack {code!r} and no cn-default pack")
    return pack


def pack_for_case(case: Any) -> RulePack:
    return current_pack(case.creditor.rule_pack_code)


def agent_facts(agents: Iterable[Any]) -> tuple[AgentFacts, ...]:
    return tuple(
        AgentFacts(
            agent_id=a.pk,
            name=a.display_name,
            work_id_number=a.work_id_number,
            work_id_expires_on=a.work_id_expires_on,
            training_completed_on=a.training_completed_on,
            training_valid_until=a.training_valid_until,
        )
        for a in agents
    )


def debtor_time_zones(case: Any, address: Any) -> tuple[str, ...]:
    """Every time zone linked to the debtor: the visit address's first, then the debtor's and others'."""
    zones = [address.time_zone, case.debtor.time_zone]
    zones += [a.time_zone for a in case.debtor.addresses.all() if a.status == "verified"]
    return tuple(dict.fromkeys(z for z in zones if z))


def counted_visit_times(case: Any, *, exclude_visit_id: int | None = None) -> tuple[dt.datetime, ...]:
    """Earlier visits on this debt that count toward the frequency cap (visits where nobody was met
    do not count; a visit not yet checked in counts by its planned window)."""
    live = [VisitState.PLANNED, VisitState.RETURNED, VisitState.APPROVED, VisitState.NOTIFIED]
    qs = Visit.objects.filter(case_id=case.pk).exclude(pk=exclude_visit_id)
    planned = list(qs.filter(state__in=live).values_list("window_start", flat=True))
    # Visits that happened: the contact record tells whether someone was met (check-in issue adds states).
    met = list(
        qs.filter(contacts__result=ContactResult.DEBTOR_MET).values_list("window_start", flat=True).distinct()
    )
    return tuple(sorted(set(planned) | set(met)))


def latest_accepted_notice(visit: Visit) -> Notice | None:
    """The notice that counts for the lead time: the earliest one given that was not refused."""
    return (
        visit.notices.exclude(answer=NoticeAnswer.REFUSED)
        .exclude(delivery_status="failed")
        .order_by("given_at")
        .first()
    )


def visit_facts(
    *,
    case: Any,
    address: Any,
    agents: Iterable[Any],
    window_start: dt.datetime,
    window_end: dt.datetime,
    visit: Visit | None = None,
    at: dt.datetime | None = None,
    checked_in_agents: tuple[int, ...] | None = None,
    place_consent: bool = False,
    hours_consent: bool = False,
) -> VisitFacts:
    debtor = case.debtor
    notice = latest_accepted_notice(visit) if visit is not None and visit.pk else None
    return VisitFacts(
        window_start=window_start,
        window_end=window_end,
        time_zones=debtor_time_zones(case, address),
        agents=agent_facts(agents),
        address_kind=address.kind,
        address_verified=address.status == "verified",
        case=CaseFacts(creditor_id=case.creditor_id, product=case.product),
        mandate=case.mandate.facts() if case.mandate_id else None,
        overdue_since=case.overdue_since,
        place_consent=place_consent,
        hours_consent=hours_consent,
        visits_refused=debtor.visits_refused,
        contact_ceased=debtor.contact_ceased,
        represented=debtor.represented,
        dispute_open=debtor.disputed,
        vulnerable=debtor.vulnerable,
        counted_visits=counted_visit_times(case, exclude_visit_id=visit.pk if visit is not None else None),
        notice_given_at=notice.given_at if notice else None,
        checked_in_agents=checked_in_agents,
        at=at,
    )
