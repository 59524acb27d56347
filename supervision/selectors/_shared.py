"""What every supervision read shares: the periods in the deployment's time zone, the scalar count
subquery, the definitions of "recent", "made" and "reached", and the choice of the team."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    F,
    Func,
    IntegerField,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from accounts.models import Team
from agreements.models import (
    AgreementState,
)
from visits.models import (
    ContactResult,
    VisitState,
)

# "Recent" refusals, disputes, broken promises and agreements: the last 30 days.
RECENT_DAYS = 30
# Visits that were made: the agents were on site (whatever came after).
MADE_STATES = (
    VisitState.ON_SITE,
    VisitState.COMPLETED,
    VisitState.CORRECTION,
    VisitState.ACCEPTED,
    VisitState.ABORTED,
)
# Results of a contact attempt that reached the debtor (not a relative, not a voicemail).
REACHED_RESULTS = (ContactResult.CONNECTED, ContactResult.DEBTOR_MET)
# Agreements in force, whose overdue instalments are still to be paid.
IN_FORCE_STATES = (AgreementState.SIGNED, AgreementState.ACTIVE)
ITEMS_LIMIT = 200


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=_zone())


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _count(qs: QuerySet[Any]) -> Coalesce:
    """`SELECT COUNT(*) FROM (qs)` as a scalar subquery (no GROUP BY), 0 when nothing matches."""
    sub = qs.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def team_choice(user: Any, teams: list[Team], code: str | None) -> Team | None:
    """The team the page is about, out of `teams` (those the user may see, already read): the one named,
    else the user's own, else the first. None when the code names none of them (the view answers 404)."""
    if code:
        return next((t for t in teams if t.code == code), None)
    own = getattr(user, "team_id", None)
    return next((t for t in teams if t.pk == own), teams[0] if teams else None)
