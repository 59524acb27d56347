"""Reads for visits (planning, notices, pages), and the facts the rule engine judges (built from the
database, then passed pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cases import debtor_facts, zones
from compliance.limitation import limitation_facts
from compliance.models import RuleDecision, RulePack
from compliance.rules import AgentFacts, CaseFacts, VisitFacts
from compliance.rules.contacts import ContactFacts, PhoneAttempt

from .. import policies
from ..models import (
    Channel,
    ContactAttempt,
    ContactResult,
    Notice,
    NoticeAnswer,
    Visit,
    VisitAgent,
    VisitState,
)


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
    """Every time zone linked to the debtor: the visit address's first, then every verified address's
    (the debtor's own zone only while no address has one): cases.zones.debtor_zones."""
    return zones.debtor_zones(case.debtor, first=address)


def counted_visit_times(case: Any, *, exclude_visit_id: int | None = None) -> tuple[dt.datetime, ...]:
    """Visits on this debt that count toward the frequency cap, by their planned window: those not yet
    made, those under way, and those made where someone was met (COMPLIANCE.md VISIT_FREQUENCY: visits
    where nobody was met do not count). A visit ended without a log counts unless its record says
    nobody was met."""
    ahead = [*policies.LIVE_STATES, VisitState.ON_SITE]
    qs = Visit.objects.filter(case_id=case.pk).exclude(pk=exclude_visit_id)
    planned = list(qs.filter(state__in=ahead).values_list("window_start", flat=True))
    met = list(
        qs.filter(contacts__result__in=[ContactResult.DEBTOR_MET, ContactResult.OTHER_MET])
        .values_list("window_start", flat=True)
        .distinct()
    )
    aborted = list(
        qs.filter(state=VisitState.ABORTED)
        .exclude(contacts__result=ContactResult.NOT_MET)
        .values_list("window_start", flat=True)
    )
    return tuple(sorted(set(planned) | set(met) | set(aborted)))


# Attempts by other channels that count for GENTLER_FIRST: every channel but a visit, whatever the answer,
# except a message that failed (it never reached anyone); contacts made for a visit (its notice) do not.
GENTLER_CHANNELS = (
    Channel.PHONE,
    Channel.SMS,
    Channel.LETTER,
    Channel.EMAIL,
    Channel.MESSAGING,
    Channel.LAWYER_LETTER,
)


def gentler_contact_times(case: Any, *, pack: RulePack, until: dt.datetime) -> tuple[dt.datetime, ...]:
    """When the debtor was tried by gentler channels in the pack's GENTLER_FIRST window up to `until`
    (one query; nothing when the pack does not ask for any)."""
    if not pack.gentler_attempts:
        return ()
    since = until - dt.timedelta(days=pack.gentler_window_days)
    return tuple(
        ContactAttempt.objects.filter(
            case_id=case.pk,
            channel__in=GENTLER_CHANNELS,
            visit__isnull=True,
            at__gte=since,
            at__lte=until,
        )
        .exclude(result=ContactResult.FAILED)
        .order_by("at")
        .values_list("at", flat=True)
    )


def latest_accepted_notice(visit: Visit) -> Notice | None:
    """The notice that counts for the lead time: the earliest one that reached the debtor (given by
    the agent, or sent by the task; a queued or failed one has not) and was not refused."""
    return (
        visit.notices.exclude(answer=NoticeAnswer.REFUSED)
        .filter(delivery_status__in=["recorded", "sent"])
        # Sent through a gateway that reports delivery but no receipt yet: it has not reached anyone.
        .exclude(delivery_status="sent", delivered_at__isnull=True)
        .order_by("given_at")
        .first()
    )


def notice_reached_at(notice: Notice) -> dt.datetime:
    """When the notice reached the debtor, as the lead time counts it: for SMS/e-mail its delivery (the
    gateway's receipt when one came, `notice_delivered`; else the time it was handed over); for a call
    or a letter the later of the typed time and the recording time less the pack's grace (the server's
    clock is the record: visits/services/clock.py)."""
    if notice.delivery_status == "sent" and notice.delivered_at:
        return notice.delivered_at
    return notice.counts_from or notice.given_at


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
    now: dt.datetime | None = None,
) -> VisitFacts:
    """The visit checks' inputs. The debtor facts (cease-contact and representation covering visits,
    vulnerability, places marked inconvenient) and the consents come from their records
    (cases.debtor_facts); `place_consent`/`hours_consent` are kept for the callers' signature and count
    only when a consent record in force covers the place or the window (a tick alone is not a consent)."""
    debtor = case.debtor
    notice = latest_accepted_notice(visit) if visit is not None and visit.pk else None
    pack = pack_for_case(case)
    standing = debtor_facts.standing(debtor.pk, "visit")
    visit_id = visit.pk if visit is not None and visit.pk else None
    window = {"debtor_id": debtor.pk, "start": window_start, "end": window_end, "visit_id": visit_id}
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
        place_consent=address.kind != "home"
        and debtor_facts.has_consent(kind="place", address_id=address.pk, **window),
        place_inconvenient=address.pk in standing.inconvenient_address_ids,
        hours_consent=debtor_facts.has_consent(kind="hours", **window),
        visits_refused=debtor.visits_refused,
        contact_ceased=standing.contact_ceased,
        represented=standing.represented,
        # COMPLIANCE.md DISPUTE_OPEN: "no open dispute or complaint on the debt".
        dispute_open=debtor_facts.dispute_open(case.pk),
        vulnerable=standing.vulnerable,
        counted_visits=counted_visit_times(case, exclude_visit_id=visit.pk if visit is not None else None),
        notice_given_at=notice_reached_at(notice) if notice else None,
        checked_in_agents=checked_in_agents,
        at=at,
        last_demand_on=limitation_facts(case=case, pack=pack).last_interruption_on,
        gentler_contacts=gentler_contact_times(case, pack=pack, until=now or at or timezone.now()),
    )


# --- pages: the agent's agenda, the team calendar, a visit's detail --------------------------------
# Each starts from the policy's visible set and owns its joins, so the number of queries does not
# grow with the number of visits.


def _with_relations(qs: QuerySet[Visit]) -> QuerySet[Visit]:
    return qs.select_related(
        "case", "case__debtor", "case__creditor", "address", "planned_by"
    ).prefetch_related(
        Prefetch("visit_agents", queryset=VisitAgent.objects.select_related("agent").order_by("agent_id"))
    )


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))


def week_of(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Agenda:
    today: dt.date
    week_start: dt.date
    week_end: dt.date  # Sunday
    today_visits: list[Visit]
    week_visits: list[Visit]


def agenda(user: Any, today: dt.date) -> Agenda:
    """The agent's own visits today and this week (Monday–Sunday, in the user's time zone)."""
    monday = week_of(today)
    start, end = _local_midnight(monday), _local_midnight(monday + dt.timedelta(days=7))
    visits = list(
        _with_relations(
            policies.visits_visible_to(user).filter(
                visit_agents__agent_id=user.pk, window_start__gte=start, window_start__lt=end
            )
        ).order_by("window_start", "pk")
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    todays = [v for v in visits if v.window_start.astimezone(zone).date() == today]
    return Agenda(today, monday, monday + dt.timedelta(days=6), todays, visits)


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    visits: list[Visit]


def team_calendar(user: Any, week_start: dt.date) -> list[CalendarDay]:
    """The team's visits of the week starting `week_start` (a Monday), grouped by day in the user's
    time zone. A supervisor sees their team's cases; a compliance officer every visible visit."""
    monday = week_of(week_start)
    start, end = _local_midnight(monday), _local_midnight(monday + dt.timedelta(days=7))
    qs = policies.visits_visible_to(user).filter(window_start__gte=start, window_start__lt=end)
    if getattr(user, "team_id", None):
        qs = qs.filter(case__team_id=user.team_id)
    zone = ZoneInfo(settings.TIME_ZONE)
    days = [CalendarDay(monday + dt.timedelta(days=i), []) for i in range(7)]
    for visit in _with_relations(qs).order_by("window_start", "pk"):
        days[(visit.window_start.astimezone(zone).date() - monday).days].visits.append(visit)
    return days


@dataclass(frozen=True)
class VisitDetail:
    visit: Visit
    decisions: list[RuleDecision]  # oldest first: plan (and what it overrode), approvals, overrides


def visit_detail(user: Any, pk: int) -> VisitDetail | None:
    """A visible visit with its case, address, agents and every rule decision about it: those recorded on
    the visit, its plan decision, and the refused decision that plan decision overrode."""
    visit = (
        policies.visits_visible_to(user)
        .select_related(
            "case",
            "case__debtor",
            "case__creditor",
            "case__team",
            "address",
            "planned_by",
            "approved_by",
            "plan_decision",
        )
        .prefetch_related(
            Prefetch("visit_agents", queryset=VisitAgent.objects.select_related("agent").order_by("agent_id"))
        )
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        return None
    return VisitDetail(visit, visit_decisions(visit))


def visit_decisions(visit: Visit) -> list[RuleDecision]:
    """Every rule decision about a visit (one query, with `plan_decision` selected): those recorded on
    the visit, its plan decision, and the refused decision that plan decision overrode."""
    which = Q(object_type="visits.visit", object_id=str(visit.pk))
    if visit.plan_decision_id:
        which |= Q(pk=visit.plan_decision_id)
        if visit.plan_decision.override_of_id:
            which |= Q(pk=visit.plan_decision.override_of_id)
    return list(
        RuleDecision.objects.filter(which).select_related("pack", "actor", "override_of").order_by("at", "pk")
    )


def plannable_addresses(case: Any) -> QuerySet[Any]:
    """The debtor's verified addresses: nothing is planned on an unverified address."""
    return case.debtor.addresses.filter(status="verified").order_by("kind", "pk")


def plannable_agents(case: Any) -> QuerySet[Any]:
    """Active field agents of the case's team (assigned to the case or not)."""
    from accounts.models import Role, User

    if not case.team_id:
        return User.objects.none()
    return User.objects.filter(is_active=True, groups__name=Role.FIELD_AGENT, team_id=case.team_id).order_by(
        "full_name", "username"
    )


# --- the contact gate's facts ----------------------------------------------------------------------


def contact_zones(case: Any) -> tuple[str, ...]:
    """Every time zone linked to the debtor (cases.zones.debtor_zones: the verified addresses' zones,
    the debtor's own only when no address has one)."""
    return zones.debtor_zones(case.debtor)


def contact_facts(
    *,
    case: Any,
    channel: str,
    purpose: str,
    at: dt.datetime,
    result: str = "sent",
    phone: Any = None,
    legal_threat: bool = False,
    today: dt.date | None = None,
    exclude_contact_id: int | None = None,
) -> ContactFacts:
    """The facts the contact gate judges, read as the visit facts read them (the debtor's flags, an open
    dispute or complaint on the debt), with the earlier contacts of 8 days for the caps and, for a
    threat of legal action, the limitation facts (compliance/limitation.py)."""
    from compliance.rules.contacts import LEGAL_THREAT_CHANNELS

    debtor = case.debtor
    standing = debtor_facts.standing(debtor.pk, channel)  # the recorded facts covering this channel
    earlier = tuple(
        PhoneAttempt(at=c.at, result=c.result, phone_digest=c.phone_digest, channel=c.channel)
        for c in ContactAttempt.objects.filter(
            case__debtor_id=debtor.pk, at__gt=at - dt.timedelta(days=8), at__lte=at
        )
        .exclude(pk=exclude_contact_id)
        .only("at", "result", "phone_digest", "channel")
    )
    last_demand_on = None
    threat = legal_threat or channel in LEGAL_THREAT_CHANNELS
    if threat:
        # The last event that restarted the limitation period, from its one home (compliance/limitation.py),
        # as the agreements selector reads it.
        last_demand_on = limitation_facts(case=case, pack=pack_for_case(case)).last_interruption_on
    return ContactFacts(
        channel=channel,
        purpose=purpose,
        at=at,
        time_zones=contact_zones(case),
        contact_ceased=standing.contact_ceased,
        represented=standing.represented,
        # COMPLIANCE.md DISPUTE_OPEN: "no open dispute or complaint on the debt" (one source of truth).
        dispute_open=debtor_facts.dispute_open(case.pk),
        vulnerable=standing.vulnerable,
        result=result,
        phone_digest=(phone.digest if phone is not None else ""),
        phone_verified=(phone.status == "verified") if phone is not None else None,
        legal_threat=threat,
        overdue_since=case.overdue_since,
        last_demand_on=last_demand_on,
        earlier=earlier,
    )
