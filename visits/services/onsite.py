"""On site: each agent's check-in, the visit log filled step by step, conduct attestations, completion.

Every service decides, then acts, in one transaction: it locks the visit (then the case), checks who may
act and the visit's state, validates its input, runs the compliance rules due at the moment (a refused
decision commits with its `rules.refused` event and is raised afterwards as `RulesRefused`), writes, and
appends exactly its audit events. Submissions carry an idempotency key: a repeated key finds what the
first submission wrote and records nothing (a double tap, or a retry after a timeout on a weak network).

The order the law asks for is enforced here, not only in the wizard: nothing about the debt can be logged
before the person met is identified as the debtor and the credentials were shown
(IDENTITY_BEFORE_DISCLOSURE, CREDENTIALS_SHOWN); nobody goes inside without consent (ENTRY_CONSENT); a
visit is completed only when every agent attested their conduct (CONDUCT_ATTESTED).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, Stage
from cases.services.disputes import dispute_open
from cases.services.stage import case_can_move, case_stage_move
from common.errors import DomainError, Failure
from common.idempotency import checked_key
from common.outbox import outbox_enqueue
from common.pii import digest
from compliance import audit, decisions
from compliance.refusals import RulesRefused, refusals_recorded
from compliance.rules.onsite import OnSiteFacts, check_onsite, distance_m

from .. import policies
from ..models import (
    CHECK_FIELDS,
    CONDUCT_ITEMS,
    CONVERSATION_FIELDS,
    CORRECTABLE_FIELDS,
    DEBTOR_OUTCOMES,
    NOT_DEBTOR_FIELDS,
    NOT_DEBTOR_OUTCOMES,
    OUTCOME_FIELDS,
    Channel,
    ConductAttestation,
    ContactAttempt,
    ContactResult,
    Entry,
    EvidenceShown,
    Identification,
    LogStatus,
    Outcome,
    PositionStatus,
    Relation,
    Visit,
    VisitCheckIn,
    VisitLog,
    VisitState,
)
from ..selectors import overridden_codes, pack_for_case, visit_facts
from .planning import _lock_case, _lock_visit, _place_consent_of

SOURCE_ONSITE = _("FieldLedger visit procedure (DOMAIN.md, stages 4 and 5)")
# A conversation cannot begin before the agents arrived, nor end in the future (small clock skew allowed).
CLOCK_SKEW = dt.timedelta(minutes=5)
PROMISE_HORIZON = dt.timedelta(days=366)
STEPS = ("checks", "conversation", "not_debtor", "outcome")


def _fail(code: str, message: Any, field: str = "") -> Failure:
    return Failure(code, message, SOURCE_ONSITE, field)


def _refuse(code: str, message: Any, field: str = "") -> DomainError:
    return DomainError([_fail(code, message, field)])


def _key(value: str) -> str:
    return checked_key(value)


def _replayed(model: Any, key: str, *, visit: Visit, actor: Any, field: str = "idempotency_key") -> Any:
    """The row a repeated submission wrote, or None; a key reused by someone else is refused."""
    row = model.objects.filter(**{field: key}).first()
    if row is None:
        return None
    owner = (
        getattr(row, "agent_id", None)
        or getattr(row, "submitted_by_id", None)
        or getattr(row, "uploaded_by_id", None)
    )
    if row.visit_id != visit.pk or owner != getattr(actor, "pk", None):
        raise _refuse("IDEMPOTENCY_KEY", _("This submission key was already used; reload the page."), "")
    return row


def _require_state(visit: Visit, *states: str, action: Any) -> None:
    if visit.state not in states:
        raise _refuse(
            "WRONG_STATE",
            _("%(action)s is not possible: the visit is %(state)s.")
            % {"action": action, "state": visit.get_state_display()},
            "state",
        )


def _agents(visit: Visit) -> list[User]:
    return list(User.objects.filter(visit_assignments__visit=visit).order_by("pk"))


def _save(obj: Any, actor: Any) -> None:
    obj._history_user = actor
    obj.save()


def _local(visit: Visit, value: dt.datetime) -> dt.datetime:
    return value.astimezone(ZoneInfo(visit.time_zone))


# --- check-in ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """The phone's location as the browser gave it, at the moment of the check-in only."""

    latitude: Decimal
    longitude: Decimal
    accuracy_m: int | None = None


def _position_failures(position: Position | None, status: str) -> list[Failure]:
    failures = []
    if status not in PositionStatus.values:
        failures.append(_fail("INVALID_INPUT", _("Unknown location status."), "position_status"))
    if status == PositionStatus.GIVEN:
        if position is None:
            failures.append(_fail("POSITION_INVALID", _("The phone gave no location."), "position"))
        elif not (-90 <= position.latitude <= 90 and -180 <= position.longitude <= 180) or (
            position.accuracy_m is not None and position.accuracy_m < 0
        ):
            failures.append(_fail("POSITION_INVALID", _("The location is not a valid position."), "position"))
    return failures


def _distance(visit: Visit, position: Position | None) -> int | None:
    address = visit.address
    if position is None or address.latitude is None or address.longitude is None:
        return None
    return distance_m(
        float(position.latitude), float(position.longitude), float(address.latitude), float(address.longitude)
    )


def _start_facts(
    visit: Visit, case: Case, agents: list[User], arrived: tuple[int, ...], at: dt.datetime
) -> Any:
    return visit_facts(
        case=case,
        address=visit.address,
        agents=agents,
        window_start=visit.window_start,
        window_end=visit.window_end,
        visit=visit,
        at=at,
        checked_in_agents=arrived,
        place_consent=_place_consent_of(visit),
    )


@refusals_recorded("visit.check_in", object_type="visits.visit")
def visit_check_in(
    *,
    visit: Visit,
    actor: User,
    idempotency_key: str,
    position: Position | None = None,
    position_status: str = PositionStatus.UNAVAILABLE,
    now: dt.datetime | None = None,
) -> VisitCheckIn:
    """One agent of the visit arrives. The rules of the check-in moment run for them (hours, the notified
    window, mandate, notice, their papers, the debtor's flags); once as many agents as the pack asks for
    are checked in, the rules run again for the whole team (MIN_AGENTS) and the visit (and the case)
    move to on site, with a fresh draft of the visit log."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    refusal: RulesRefused | None = None
    with transaction.atomic():
        visit = _lock_visit(visit)
        case = _lock_case(visit.case)
        policies.require(policies.can_check_in(actor, visit))
        replay = _replayed(VisitCheckIn, key, visit=visit, actor=actor)
        if replay is not None:
            return replay
        _require_state(
            visit, VisitState.APPROVED, VisitState.NOTIFIED, VisitState.ON_SITE, action=_("Check-in")
        )
        earlier = VisitCheckIn.objects.filter(visit=visit, agent=actor).first()
        if earlier is not None:
            raise _refuse(
                "ALREADY_CHECKED_IN",
                _("You checked in at %(time)s.") % {"time": f"{_local(visit, earlier.at):%H:%M}"},
                "visit",
            )
        failures = _position_failures(position, position_status)
        if failures:
            raise DomainError(failures)
        if position_status != PositionStatus.GIVEN:
            position = None
        arrived = tuple(
            sorted({*VisitCheckIn.objects.filter(visit=visit).values_list("agent_id", flat=True), actor.pk})
        )
        pack = pack_for_case(case)
        overridden = overridden_codes(visit)
        evaluation = decisions.evaluate(
            action="visit.check_in",
            moment="check_in_agent",
            facts=_start_facts(visit, case, [actor], arrived, now),
            pack=pack,
            obj=visit,
            case_id=case.pk,
            actor=actor,
            now=now,
            overridden=overridden,
        )
        if evaluation.blocked:
            refusal = evaluation.refusal()
        else:
            check_in = VisitCheckIn(
                visit=visit,
                agent=actor,
                at=now,
                position_status=position_status,
                latitude=position.latitude if position else None,
                longitude=position.longitude if position else None,
                accuracy_m=position.accuracy_m if position else None,
                distance_m=_distance(visit, position),
                decision=evaluation.decision,
                idempotency_key=key,
            )
            _save(check_in, actor)
            audit.record(
                actor=actor,
                action="visit.checked_in",
                obj=visit,
                case_id=case.pk,
                data={
                    "visit": visit.pk,
                    "agent": actor.pk,
                    "position": position_status,
                    "accuracy_m": check_in.accuracy_m,
                    "distance_m": check_in.distance_m,
                    "decision": evaluation.decision.pk,
                    "checked_in": list(arrived),
                },
            )
            check_in.start_refusal = None  # type: ignore[attr-defined]
            if visit.state != VisitState.ON_SITE and len(arrived) >= pack.min_agents:
                check_in.start_refusal = _start(  # type: ignore[attr-defined]
                    visit=visit, case=case, actor=actor, arrived=arrived, now=now, overridden=overridden
                )
    if refusal is not None:
        raise refusal
    return check_in


def _start(
    *,
    visit: Visit,
    case: Case,
    actor: User,
    arrived: tuple[int, ...],
    now: dt.datetime,
    overridden: dict[str, int],
) -> RulesRefused | None:
    """Enough agents are here: judge the team (MIN_AGENTS among them) and move to on site."""
    on_site = list(User.objects.filter(pk__in=arrived).order_by("pk"))
    evaluation = decisions.evaluate(
        action="visit.start",
        moment="check_in",
        facts=_start_facts(visit, case, on_site, arrived, now),
        pack=pack_for_case(case),
        obj=visit,
        case_id=case.pk,
        actor=actor,
        now=now,
        overridden=overridden,
    )
    if evaluation.blocked:
        return evaluation.refusal()
    old_visit = visit.state
    visit.start_on_site(at=now)
    _save(visit, actor)
    moved = case_stage_move(case=case, transition="start_on_site", actor=actor, at=now)
    log = VisitLog(
        visit=visit,
        version=1,
        authorization_number=case.mandate.number if case.mandate_id else "",
        promise_currency=case.currency,
    )
    _save(log, actor)
    audit.record(
        actor=actor,
        action="visit.on_site",
        obj=visit,
        case_id=case.pk,
        data={
            "visit": visit.pk,
            "state": [old_visit, visit.state],
            **moved,
            "agents": list(arrived),
            "decision": evaluation.decision.pk,
        },
    )
    return None


# --- the visit log, step by step --------------------------------------------------------------------


def _waiting_for_agents(visit: Visit) -> DomainError:
    """Before the visit starts nothing is done on site: MIN_AGENTS says how many are still missing."""
    from compliance.rules.visits import SRC

    pack = pack_for_case(visit.case)
    here = VisitCheckIn.objects.filter(visit=visit).count()
    return DomainError(
        [
            Failure(
                "MIN_AGENTS",
                _(
                    "%(here)d of the %(min)d agents the rule pack requires have checked in; the visit starts when all of them are on site."
                )
                % {"here": here, "min": pack.min_agents},
                SRC["MIN_AGENTS"],
                "check_in",
            )
        ]
    )


def _draft(visit: Visit) -> VisitLog:
    if visit.state in (VisitState.APPROVED, VisitState.NOTIFIED):
        raise _waiting_for_agents(visit)
    log = VisitLog.objects.select_for_update().filter(visit=visit).order_by("-version").first()
    if (
        log is None
        or log.status != LogStatus.DRAFT
        or visit.state not in (VisitState.ON_SITE, VisitState.CORRECTION)
    ):
        raise _refuse(
            "LOG_NOT_EDITABLE",
            _("The visit log can be filled only on site or when it was returned for correction."),
            "state",
        )
    return log


def onsite_facts(visit: Visit, log: VisitLog | None, agents: list[User] | None = None) -> OnSiteFacts:
    agents = agents if agents is not None else _agents(visit)
    attested = ConductAttestation.objects.filter(visit=visit).values_list("agent_id", flat=True)
    return OnSiteFacts(
        agent_ids=tuple(a.pk for a in agents),
        agent_names={a.pk: a.display_name for a in agents},
        work_ids_shown=tuple(log.work_ids_shown if log else ()),
        authorization_shown=bool(log and log.authorization_shown),
        purpose_stated=bool(log and log.purpose_stated),
        relation=log.relation if log else "",
        identification=log.identification if log else "",
        id_match=log.id_match if log else None,
        id_tries=log.id_tries if log else 0,
        entry=log.entry if log else "",
        entry_consent=bool(log and log.entry_consent),
        checks_confirmed=bool(log and log.checks_confirmed),
        attested=tuple(attested),
    )


def _id_match(case: Case, identification: str, digits: str) -> bool | None:
    """Compare the last digits of the document sighted with the debtor's on file (kept nowhere)."""
    if identification != Identification.ID_CARD:
        return None
    wanted = (case.debtor.id_number or "").strip().upper()
    given = (digits or "").strip().upper()
    return bool(given) and len(given) >= 4 and wanted.endswith(given)


def _checks_input(
    visit: Visit, case: Case, data: Mapping[str, Any], *, confirm: bool
) -> tuple[dict[str, Any], list[Failure]]:
    agent_ids = {a.pk for a in _agents(visit)}
    values: dict[str, Any] = {}
    failures: list[Failure] = []
    shown = sorted({int(a) for a in data.get("work_ids_shown") or ()})
    if set(shown) - agent_ids:
        failures.append(
            _fail("INVALID_INPUT", _("Only agents of this visit show their work IDs here."), "work_ids_shown")
        )
    values["work_ids_shown"] = [a for a in shown if a in agent_ids]
    values["authorization_shown"] = bool(data.get("authorization_shown"))
    values["authorization_number"] = str(data.get("authorization_number") or "").strip()[:64]
    values["purpose_stated"] = bool(data.get("purpose_stated"))
    relation = str(data.get("relation") or "")
    identification = str(data.get("identification") or "")
    entry = str(data.get("entry") or "")
    if relation and relation not in Relation.values:
        failures.append(_fail("INVALID_INPUT", _("Say who was met."), "relation"))
    if identification and identification not in Identification.values:
        failures.append(_fail("INVALID_INPUT", _("Say how they were identified."), "identification"))
    if entry and entry not in Entry.values:
        failures.append(_fail("INVALID_INPUT", _("Say where the conversation took place."), "entry"))
    if relation == Relation.NOBODY:
        identification, entry = "", ""
    values.update(relation=relation, identification=identification, entry=entry)
    values["entry_consent"] = bool(data.get("entry_consent")) and entry == Entry.INSIDE
    consent = data.get("recording_consent")
    values["recording_consent"] = None if consent in (None, "") else bool(consent)
    values["id_match"] = _id_match(case, identification, str(data.get("id_last4") or ""))
    if confirm:
        if not relation:
            failures.append(_fail("FIELD_REQUIRED", _("Say who was met."), "relation"))
        elif relation != Relation.NOBODY:
            if not identification:
                failures.append(
                    _fail("FIELD_REQUIRED", _("Say how the person met was identified."), "identification")
                )
            if not entry:
                failures.append(_fail("FIELD_REQUIRED", _("Say where the conversation took place."), "entry"))
            if identification == Identification.ID_CARD and not (data.get("id_last4") or "").strip():
                failures.append(
                    _fail(
                        "FIELD_REQUIRED",
                        _(
                            "Type the last 4 characters of the ID card sighted; they are compared, not stored."
                        ),
                        "id_last4",
                    )
                )
    return values, failures


def _conversation_input(
    visit: Visit, log: VisitLog, data: Mapping[str, Any], now: dt.datetime, *, confirm: bool
) -> tuple[dict[str, Any], list[Failure]]:
    values = {name: data.get(name) for name in CONVERSATION_FIELDS if name in data}
    failures: list[Failure] = []
    for name in ("people_present", "talking_points", "default_reasons", "incident_note"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    for name in ("safety_incident", "police_called", "statement_shown"):
        if name in values:
            values[name] = bool(values[name])
    if values.get("police_called"):
        values["safety_incident"] = True
    shown = [v for v in (values.get("evidence_shown") or []) if v in EvidenceShown.values]
    if "evidence_shown" in values:
        values["evidence_shown"] = sorted(set(shown))
    started, ended = values.get("started_at"), values.get("ended_at")
    arrived = visit.on_site_at or visit.window_start
    if started and started < arrived - CLOCK_SKEW:
        failures.append(
            _fail("TIME_INVALID", _("The conversation cannot start before the agents arrived."), "started_at")
        )
    if ended and ended > now + CLOCK_SKEW:
        failures.append(_fail("TIME_INVALID", _("The conversation cannot end in the future."), "ended_at"))
    if started and ended and ended < started:
        failures.append(_fail("TIME_INVALID", _("The conversation must end after it starts."), "ended_at"))
    merged = {**{n: getattr(log, n) for n in CONVERSATION_FIELDS}, **values}
    if merged.get("safety_incident") and not merged.get("incident_note") and confirm:
        failures.append(
            _fail("FIELD_REQUIRED", _("Say what happened in the safety incident."), "incident_note")
        )
    if confirm:
        for name, message in (
            ("started_at", _("Give the time the conversation started.")),
            ("ended_at", _("Give the time the conversation ended.")),
            ("talking_points", _("Record the talking points.")),
            ("debtor_state", _("Record the debtor's state.")),
        ):
            if not merged.get(name):
                failures.append(_fail("FIELD_REQUIRED", message, name))
    return values, failures


def _outcome_input(
    visit: Visit, case: Case, log: VisitLog, data: Mapping[str, Any], now: dt.datetime, *, confirm: bool
) -> tuple[dict[str, Any], list[Failure]]:
    values = {name: data.get(name) for name in OUTCOME_FIELDS if name in data}
    for name in ("dispute_text", "reschedule_note", "summary"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    if "refuses_visits" in values:
        values["refuses_visits"] = bool(values["refuses_visits"])
    merged = {**{n: getattr(log, n) for n in OUTCOME_FIELDS}, **values}
    return values, _outcome_failures(visit, case, log, merged, now, confirm=confirm)


def _outcome_failures(
    visit: Visit, case: Case, log: VisitLog, merged: Mapping[str, Any], now: dt.datetime, *, confirm: bool
) -> list[Failure]:
    failures: list[Failure] = []
    outcome = merged.get("outcome") or ""
    allowed = DEBTOR_OUTCOMES if log.identity_verified else NOT_DEBTOR_OUTCOMES
    if outcome and outcome not in Outcome.values:
        failures.append(_fail("INVALID_INPUT", _("Choose the outcome."), "outcome"))
    elif outcome and outcome not in allowed:
        if log.identity_verified:
            message = _("The debtor was met: choose what came of the conversation.")
        else:
            message = _(
                "The person met is not the verified debtor: the outcome can only be 'debtor not met' or a question about where to find them."
            )
        failures.append(
            Failure(
                "IDENTITY_BEFORE_DISCLOSURE" if not log.identity_verified else "OUTCOME_INVALID",
                message,
                SOURCE_ONSITE,
                "outcome",
            )
        )
        return failures  # the details of an outcome that cannot be chosen do not matter
    if not confirm:
        return failures
    if not outcome:
        failures.append(_fail("FIELD_REQUIRED", _("Choose the outcome."), "outcome"))
    if outcome == Outcome.PROMISE:
        amount, day = merged.get("promise_amount"), merged.get("promise_date")
        if amount is None or amount <= 0:
            failures.append(_fail("FIELD_REQUIRED", _("Give the promised amount."), "promise_amount"))
        elif amount > case.outstanding:
            failures.append(
                _fail(
                    "PROMISE_TOO_LARGE",
                    _("The promise (%(amount)s) is more than the outstanding amount (%(outstanding)s).")
                    % {"amount": amount, "outstanding": case.outstanding},
                    "promise_amount",
                )
            )
        # Judged on the day of the visit's completion (a correction days later keeps the same day).
        today = _local(visit, visit.completed_at or now).date()
        if day is None:
            failures.append(
                _fail("FIELD_REQUIRED", _("Give the date the debtor promised to pay by."), "promise_date")
            )
        elif not today <= day <= today + PROMISE_HORIZON:
            failures.append(
                _fail(
                    "DATE_INVALID",
                    _("The promised date must be between today and one year from now."),
                    "promise_date",
                )
            )
        if merged.get("promise_currency") and merged.get("promise_currency") != case.currency:
            failures.append(
                _fail(
                    "CURRENCY_MISMATCH",
                    _("The promise must be in the debt's currency (%(c)s).") % {"c": case.currency},
                    "promise_currency",
                )
            )
    if outcome == Outcome.DISPUTE and not merged.get("dispute_text"):
        failures.append(_fail("FIELD_REQUIRED", _("Record what the debtor disputes."), "dispute_text"))
    if outcome == Outcome.RESCHEDULED and not merged.get("reschedule_note"):
        failures.append(
            _fail("FIELD_REQUIRED", _("Record when the debtor asked us to come back."), "reschedule_note")
        )
    if merged.get("refuses_visits") and not log.identity_verified:
        failures.append(
            _fail("INVALID_INPUT", _("Only the debtor can refuse further visits."), "refuses_visits")
        )
    return failures


def _not_debtor_input(
    log: VisitLog, data: Mapping[str, Any], *, confirm: bool
) -> tuple[dict[str, Any], list[Failure]]:
    values: dict[str, Any] = {}
    if "nothing_about_debt_said" in data:
        values["nothing_about_debt_said"] = bool(data.get("nothing_about_debt_said"))
    if "third_party_note" in data:
        values["third_party_note"] = str(data.get("third_party_note") or "").strip()
    failures = []
    said = values.get("nothing_about_debt_said", log.nothing_about_debt_said)
    if confirm and log.relation != Relation.NOBODY and not said:
        failures.append(
            Failure(
                "IDENTITY_BEFORE_DISCLOSURE",
                _("Confirm that nothing about the debt was said to the person met."),
                SOURCE_ONSITE,
                "nothing_about_debt_said",
            )
        )
    return values, failures


def _correction_failures(visit: Visit, log: VisitLog, values: Mapping[str, Any]) -> list[Failure]:
    """In a correction only the record of the conversation may change (see CORRECTABLE_FIELDS)."""
    if visit.state != VisitState.CORRECTION:
        return []
    return [
        _fail(
            "NOT_CORRECTABLE",
            _("%(field)s cannot be changed in a correction.")
            % {"field": VisitLog._meta.get_field(name).verbose_name},
            name,
        )
        for name, value in values.items()
        if name not in CORRECTABLE_FIELDS and getattr(log, name) != value
    ]


def _decide_onsite(
    *,
    visit: Visit,
    case: Case,
    log: VisitLog | None,
    moment: str,
    action: str,
    actor: Any,
    now: dt.datetime,
    record: bool,
) -> RulesRefused | None:
    """The on-site rules at `moment`; recorded as a decision when `record` (a confirmed step), only
    computed for an autosave (which then simply does not save)."""
    facts = onsite_facts(visit, log)
    if not record:
        failures = check_onsite(moment=moment, facts=facts)
        return RulesRefused(failures) if failures else None
    evaluation = decisions.evaluate_onsite(
        action=action,
        moment=moment,
        facts=facts,
        pack=pack_for_case(case),
        obj=visit,
        case_id=case.pk,
        actor=actor,
        now=now,
    )
    if evaluation.blocked:
        return evaluation.refusal()
    return None


@refusals_recorded("visit.log_save", object_type="visits.visit")
def visit_log_save(
    *,
    visit: Visit,
    actor: User,
    step: str,
    data: Mapping[str, Any],
    confirm: bool = True,
    review: bool = False,
    now: dt.datetime | None = None,
) -> VisitLog:
    """Save one step of the draft log. `confirm=False` is the wizard's autosave: it keeps what was typed
    and records no event; `confirm=True` (the step's button) validates the step, runs its rules and
    records it. The identity checks are locked once confirmed, so they are first reviewed:
    `review=True` (with `confirm=False`) validates them as a confirmation would and runs their rules
    without recording a decision, keeps them as the draft, and locks nothing. An ID card's last
    characters are compared only on review and confirmation (never by the autosave): a mismatch is a
    correctable refusal until the pack's `id_check_tries`, then it is recorded (see `_id_mismatch`)."""
    now = now or timezone.now()
    if step not in STEPS:
        raise _refuse("INVALID_INPUT", _("Unknown step of the visit log."), "step")
    refusal: RulesRefused | None = None
    mismatch: DomainError | None = None
    with transaction.atomic():
        visit = _lock_visit(visit)
        case = _lock_case(visit.case)
        policies.require(policies.can_fill_log(actor, visit))
        log = _draft(visit)
        if step == "checks":
            values, failures = _checks_input(visit, case, data, confirm=confirm or review)
            if not (confirm or review):
                values.pop("id_match")  # each comparison counts as a try: the autosave makes none
            if log.checks_confirmed:
                changed = [n for n in CHECK_FIELDS if n in values and getattr(log, n) != values[n]]
                if not changed:
                    return log
                raise _refuse(
                    "CHECKS_LOCKED",
                    _("The identity and credential checks were confirmed and cannot change."),
                    changed[0],
                )
        elif not log.checks_confirmed:
            raise _refuse("CHECKS_MISSING", _("Confirm the identity and credential checks first."), "checks")
        elif step == "conversation":
            if not log.identity_verified:
                raise _refuse(
                    "IDENTITY_BEFORE_DISCLOSURE",
                    _(
                        "The person met is not the verified debtor: nothing about the debt may be said or recorded."
                    ),
                    "relation",
                )
            values, failures = _conversation_input(visit, log, data, now, confirm=confirm)
        elif step == "not_debtor":
            if log.identity_verified:
                raise _refuse(
                    "WRONG_STEP", _("The debtor was met: log the conversation instead."), "relation"
                )
            values, failures = _not_debtor_input(log, data, confirm=confirm)
        else:
            if log.identity_verified and not log.conversation_saved_at and confirm:
                raise _refuse(
                    "CONVERSATION_MISSING", _("Log the conversation before its outcome."), "conversation"
                )
            values, failures = _outcome_input(visit, case, log, data, now, confirm=confirm)
        failures += _correction_failures(visit, log, values)
        if failures:
            raise DomainError(failures)
        for name, value in values.items():
            setattr(log, name, value)
        # A confirmed step runs (and records) its rules; an autosave only may not log a conversation
        # the rules would refuse (it keeps whatever else is typed, to be judged when confirmed).
        rule_moment = (
            {"checks": "checks", "conversation": "conversation"}.get(step) if confirm or review else None
        )
        if step == "conversation" and not confirm:
            rule_moment = "conversation"
        if step == "checks" and (confirm or review):
            # Before the rules: a mistyped ID locks nothing and records no decision.
            mismatch = _id_mismatch(log=log, case=case)
            if mismatch is not None:
                log.id_match = None  # the try is counted and kept (raised after the commit)
                _save(log, actor)
        if rule_moment and mismatch is None:
            refusal = _decide_onsite(
                visit=visit,
                case=case,
                log=log,
                moment=rule_moment,
                action=f"visit.{step}",
                actor=actor,
                now=now,
                record=confirm,
            )
        if refusal is None and mismatch is None:
            if confirm:
                _confirm_step(visit=visit, case=case, log=log, step=step, actor=actor, now=now)
            _save(log, actor)
    if refusal is not None:
        raise refusal
    if mismatch is not None:
        raise mismatch
    return log


def _id_mismatch(*, log: VisitLog, case: Case) -> DomainError | None:
    """The last characters of the ID card sighted did not match: a mis-tap is corrected by typing them
    again, up to the pack's `id_check_tries` mismatches; the last one is recorded (the person met then
    counts as not identified), and once the tries are used no further comparison is made."""
    if log.identification != Identification.ID_CARD:
        return None
    cap = max(1, pack_for_case(case).id_check_tries)
    if log.id_tries >= cap:
        log.id_match = False
        return None
    if log.id_match is not False:
        return None
    log.id_tries += 1
    if log.id_tries >= cap:
        return None
    return DomainError(
        [
            _fail(
                "ID_MISMATCH",
                _(
                    "The last 4 characters typed do not match the debtor's ID card on file (try %(n)d of "
                    "%(cap)d). Check the card and type them again; after %(cap)d tries the mismatch is "
                    "recorded and the person met counts as not identified."
                )
                % {"n": log.id_tries, "cap": cap},
                "id_last4",
            )
        ]
    )


def _confirm_step(
    *, visit: Visit, case: Case, log: VisitLog, step: str, actor: User, now: dt.datetime
) -> None:
    data: dict[str, Any] = {"visit": visit.pk, "version": log.version}
    if step == "checks":
        log.checks_confirmed_at, log.checks_confirmed_by = now, actor
        action = "visit.checks_confirmed"
        data.update(
            relation=log.relation,
            identification=log.identification,
            id_match=log.id_match,
            id_tries=log.id_tries,
            entry=log.entry,
            entry_consent=log.entry_consent,
            recording_consent=log.recording_consent,
            work_ids_shown=log.work_ids_shown,
            authorization_shown=log.authorization_shown,
            purpose_stated=log.purpose_stated,
            identity_verified=log.identity_verified,
        )
    elif step == "conversation":
        log.conversation_saved_at = now
        action = "visit.conversation_logged"
        data.update(
            debtor_state=log.debtor_state,
            safety_incident=log.safety_incident,
            police_called=log.police_called,
            statement_shown=log.statement_shown,
            evidence_shown=log.evidence_shown,
            content_sha256=_content_digest(log, CONVERSATION_FIELDS),
        )
    elif step == "not_debtor":
        log.conversation_saved_at = now  # the talk step is done: what was (not) said is recorded
        action = "visit.third_party_met"
        data.update(
            relation=log.relation,
            nothing_about_debt_said=log.nothing_about_debt_said,
            note_digest=digest(log.third_party_note, kind="note") if log.third_party_note else "",
        )
    else:
        action = "visit.outcome_recorded"
        data.update(outcome=log.outcome, refuses_visits=log.refuses_visits)
        if log.outcome == Outcome.PROMISE:
            data.update(promise=[log.promise_amount, log.promise_currency, log.promise_date])
    audit.record(actor=actor, action=action, obj=visit, case_id=case.pk, data=data)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return audit.format_at(value)
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _content_digest(log: VisitLog, fields: tuple[str, ...]) -> str:
    """SHA-256 of the log's content (canonical JSON): proves later what exactly was recorded."""
    body = {name: _json_value(getattr(log, name)) for name in fields}
    return hashlib.sha256(audit.canonical_json(body).encode("utf-8")).hexdigest()


ALL_LOG_FIELDS = (*CHECK_FIELDS, *CONVERSATION_FIELDS, *NOT_DEBTOR_FIELDS, *OUTCOME_FIELDS)


# --- conduct attestation -----------------------------------------------------------------------------


@refusals_recorded("visit.attest", object_type="visits.visit")
@transaction.atomic
def visit_attest(
    *, visit: Visit, actor: User, idempotency_key: str, items: list[str], now: dt.datetime | None = None
) -> ConductAttestation:
    """An agent attests, for themself, the six things they did not do on this visit (CONDUCT_ATTESTED)."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    visit = _lock_visit(visit)
    policies.require(policies.can_attest(actor, visit))
    replay = _replayed(ConductAttestation, key, visit=visit, actor=actor)
    if replay is not None:
        return replay
    _require_state(visit, VisitState.ON_SITE, action=_("Attesting"))
    if ConductAttestation.objects.filter(visit=visit, agent=actor).exists():
        raise _refuse("ALREADY_ATTESTED", _("You already attested your conduct on this visit."), "items")
    wanted = [code for code, _label in CONDUCT_ITEMS]
    missing = [label for code, label in CONDUCT_ITEMS if code not in set(items or ())]
    if missing:
        raise DomainError(
            [
                Failure(
                    "CONDUCT_ATTESTED",
                    _("Attest every item, or do not complete the visit and tell your supervisor: %(items)s")
                    % {"items": " ".join(str(m) for m in missing)},
                    SOURCE_ONSITE,
                    "items",
                )
            ]
        )
    attestation = ConductAttestation(visit=visit, agent=actor, at=now, items=wanted, idempotency_key=key)
    _save(attestation, actor)
    audit.record(
        actor=actor,
        action="visit.conduct_attested",
        obj=visit,
        case_id=visit.case_id,
        data={"visit": visit.pk, "agent": actor.pk, "items": wanted},
    )
    return attestation


# --- completion ------------------------------------------------------------------------------------


def _completeness(visit: Visit, case: Case, log: VisitLog, now: dt.datetime) -> list[Failure]:
    failures: list[Failure] = []
    if not log.checks_confirmed:
        return [_fail("CHECKS_MISSING", _("Confirm the identity and credential checks first."), "checks")]
    if log.identity_verified and not log.conversation_saved_at:
        failures.append(
            _fail("CONVERSATION_MISSING", _("Log the conversation with the debtor."), "conversation")
        )
    if not log.identity_verified:
        _values, more = _not_debtor_input(log, {}, confirm=True)
        failures += more
    merged = {n: getattr(log, n) for n in OUTCOME_FIELDS}
    failures += _outcome_failures(visit, case, log, merged, now, confirm=True)
    return failures


def _contact_result(log: VisitLog | None) -> str | None:
    if log is None or not log.checks_confirmed:
        return None
    if log.relation == Relation.NOBODY:
        return ContactResult.NOT_MET
    return ContactResult.DEBTOR_MET if log.identity_verified else ContactResult.OTHER_MET


def _record_contact(*, visit: Visit, case: Case, log: VisitLog | None, actor: User, now: dt.datetime) -> None:
    result = _contact_result(log)
    if result is None:
        return
    contact = ContactAttempt(
        case=case,
        channel=Channel.VISIT,
        at=visit.on_site_at or now,
        result=result,
        visit=visit,
        recorded_by=actor,
    )
    _save(contact, actor)


def _case_after(*, visit: Visit, case: Case, log: VisitLog, actor: User, now: dt.datetime) -> dict[str, Any]:
    """Move the case by the outcome; returns what changed for the audit event."""
    moved: dict[str, Any] = {}
    debtor = case.debtor
    if log.refuses_visits and not debtor.visits_refused:
        debtor.visits_refused = True
        _save(debtor, actor)
        moved["debtor_visits_refused"] = True
    if case.stage == Stage.ON_SITE:
        if log.outcome == Outcome.DISPUTE:
            complaint = dispute_open(
                case=case,
                actor=actor,
                channel="visit",
                text=log.dispute_text,
                raised_by="debtor",
                received_at=now,
                visit_id=visit.pk,
                now=now,
                allowed_by_caller=True,  # can_fill_log: an agent of this visit
            )
            case.refresh_from_db()
            moved["dispute"] = complaint.pk
        elif log.refuses_visits:
            moved |= case_stage_move(case=case, transition="refuse_visits", actor=actor, at=now)
        elif log.outcome == Outcome.AGREEMENT:
            moved |= case_stage_move(case=case, transition="log_conversation", actor=actor, at=now)
        else:
            moved |= case_stage_move(case=case, transition="follow_up_after_visit", actor=actor, at=now)
    return moved


def _submit(
    *,
    log: VisitLog,
    visit: Visit,
    actor: User,
    key: str,
    client_submitted_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    log.status = LogStatus.SUBMITTED
    log.submitted_at, log.submitted_by, log.submit_key = now, actor, key
    log.client_submitted_at = client_submitted_at
    # Recorded whenever it arrives; a log received after the window is flagged with both times.
    log.late = now > visit.window_end
    log.content_sha256 = _content_digest(log, ALL_LOG_FIELDS)
    _save(log, actor)


@refusals_recorded("visit.complete", object_type="visits.visit")
def visit_complete(
    *,
    visit: Visit,
    actor: User,
    idempotency_key: str,
    client_submitted_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Visit:
    """on_site → completed: submit the log (every step done, every agent attested) and move the case by
    the outcome: agreement to draft → conversation_logged; dispute → on hold (a dispute is opened); the
    debtor refuses further visits → visits_refused; otherwise → follow_up."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    refusal: RulesRefused | None = None
    with transaction.atomic():
        visit = _lock_visit(visit)
        case = _lock_case(visit.case)
        policies.require(policies.can_fill_log(actor, visit))
        if _replayed(VisitLog, key, visit=visit, actor=actor, field="submit_key") is not None:
            return visit
        _require_state(visit, VisitState.ON_SITE, action=_("Completing the visit"))
        log = _draft(visit)
        failures = _completeness(visit, case, log, now)
        if failures:
            raise DomainError(failures)
        moment = "complete_with_debtor" if log.identity_verified else "complete"
        refusal = _decide_onsite(
            visit=visit,
            case=case,
            log=log,
            moment=moment,
            action="visit.complete",
            actor=actor,
            now=now,
            record=True,
        )
        if refusal is None:
            _submit(
                log=log, visit=visit, actor=actor, key=key, client_submitted_at=client_submitted_at, now=now
            )
            old_visit = visit.state
            visit.complete(outcome=log.outcome, at=now)
            _save(visit, actor)
            _record_contact(visit=visit, case=case, log=log, actor=actor, now=now)
            moved = _case_after(visit=visit, case=case, log=log, actor=actor, now=now)
            audit.record(
                actor=actor,
                action="visit.completed",
                obj=visit,
                case_id=case.pk,
                data={
                    "visit": visit.pk,
                    "version": log.version,
                    "outcome": log.outcome,
                    "state": [old_visit, visit.state],
                    "late": log.late,
                    "window_end": visit.window_end,
                    "received_at": now,
                    "client_submitted_at": client_submitted_at,
                    "content_sha256": log.content_sha256,
                    **moved,
                },
            )
            _notify_reviewers(visit)
    if refusal is not None:
        raise refusal
    return visit


def _notify_reviewers(visit: Visit) -> None:
    outbox_enqueue(task="visits.tasks.notify_log_submitted", visit_id=visit.pk)


def notify_log_submitted(*, visit_id: int) -> int:
    """Email the team's supervisors (not those on the visit) that a visit log awaits their review.
    No personal data: the case reference, the outcome and a link."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.urls import reverse

    from accounts.models import Role

    visit = Visit.objects.select_related("case__creditor", "case__team").get(pk=visit_id)
    case = visit.case
    if case.team_id is None:
        return 0
    on_visit = set(visit.visit_agents.values_list("agent_id", flat=True))
    to = sorted(
        {
            u.email
            for u in User.objects.filter(is_active=True, team_id=case.team_id, groups__name=Role.SUPERVISOR)
            if u.email and u.pk not in on_visit
        }
    )
    if not to:
        return 0
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("visits:visit-detail", kwargs={"pk": visit.pk})
    outcome = Outcome(visit.outcome).label if visit.outcome in Outcome.values else visit.outcome
    subject = str(_("Visit log to review: %(case)s") % {"case": case})
    body = str(
        _(
            "The visit log of case %(case)s (outcome: %(outcome)s) awaits your review: accept it or return it for correction."
        )
        % {"case": case, "outcome": outcome}
    )
    return EmailMessage(subject=subject, body=f"{body}\n{link}\n", to=to).send()


# --- a visit that cannot be completed --------------------------------------------------------------


@refusals_recorded("visit.abort", object_type="visits.visit")
@transaction.atomic
def visit_abort(*, visit: Visit, actor: User, reason: str, now: dt.datetime | None = None) -> Visit:
    """on_site → ended without a log, by a supervisor of the team, with a reason (e.g. an agent cannot
    attest their conduct, or the visit was broken off). The case goes to follow-up; the compliance
    officer sees the visit among the exceptions."""
    now = now or timezone.now()
    visit = _lock_visit(visit)
    case = _lock_case(visit.case)
    policies.require(policies.can_abort(actor, visit))
    _require_state(visit, VisitState.ON_SITE, action=_("Ending the visit"))
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise _refuse(
            "FIELD_REQUIRED", _("Say why the visit ends without a log (at least 10 characters)."), "reason"
        )
    log = VisitLog.objects.filter(visit=visit).order_by("-version").first()
    old_visit = visit.state
    visit.abort(reason=reason[:2000], at=now)
    _save(visit, actor)
    _record_contact(visit=visit, case=case, log=log, actor=actor, now=now)
    moved: dict[str, Any] = {}
    if case_can_move(case, "follow_up_after_visit"):
        moved = case_stage_move(case=case, transition="follow_up_after_visit", actor=actor, at=now)
    attested = sorted(ConductAttestation.objects.filter(visit=visit).values_list("agent_id", flat=True))
    audit.record(
        actor=actor,
        action="visit.aborted",
        obj=visit,
        case_id=case.pk,
        data={
            "visit": visit.pk,
            "state": [old_visit, visit.state],
            **moved,
            "reason_digest": digest(reason, kind="note"),
            "attested": attested,
            "agents": [a.pk for a in _agents(visit)],
        },
    )
    return visit
