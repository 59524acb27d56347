"""Demo step for `seed_demo`, before the visits and agreements: the demo's history starts six weeks ago.

The later steps date their records back (a visit made two days ago, an agreement signed a month ago)
through their services' `now`; the cases themselves are imported at the moment `seed_demo` runs. So
that the KPIs read a consistent history (placement before the first visit: "days from placement to
first visit" is positive), the cases this run placed are dated PLACED_DAYS_AGO. Demo data only: no
application code ever changes a placement's date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils import timezone

from cases.models import Case

PLACED_DAYS_AGO = 45
JUST_PLACED = dt.timedelta(hours=1)


def backdate_placements(*, people: dict[str, Any], creditor: Any) -> str:
    now = timezone.now()
    moved = Case.objects.filter(creditor=creditor, created_at__gte=now - JUST_PLACED).update(
        created_at=F("created_at") - dt.timedelta(days=PLACED_DAYS_AGO)
    )
    return f"{moved} cases dated as placed {PLACED_DAYS_AGO} days ago"
