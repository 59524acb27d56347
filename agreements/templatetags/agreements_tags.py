"""The agreements section of the case page: `{% load agreements_tags %}{% agreements_section case user %}`.

The case page belongs to the cases app, which knows nothing of agreements; this tag brings the stage's
own reads (one `case_money` call: one query) and the user's permitted actions."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from compliance import documents
from compliance.limitation import INTERRUPTIONS

from .. import forms, policies, selectors

register = template.Library()


@register.inclusion_tag("agreements/_case_section.html", takes_context=True)
def agreements_section(context: Any, case: Any, user: Any) -> dict[str, Any]:
    money = selectors.case_money(case, with_last_visit=True)
    last_visit = money.last_visit
    reassess = bool(
        last_visit and (money.follow_up is None or money.follow_ups[0].created_at < last_visit.completed_at)
    )
    return {
        "case": case,
        "money": money,
        "today": timezone.localdate(),
        "reassess": reassess and case.stage != "closed",
        "can_draft": policies.can_draft(user, case) and money.draft is None,
        "can_pay": policies.can_record_payment(user, case) and case.stage != "closed",
        "can_follow_up": policies.can_plan_follow_up(user, case),
        "can_close": policies.can_close(user, case),
        "can_download_closing_report": documents.can_download(user, "closing_report"),
        "reopen_form": forms.ReasonForm(),
        "done_form": forms.DoneForm(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("agreements/_limitation.html")
def limitation_section(case: Any, user: Any) -> dict[str, Any]:
    """ "The limitation period runs until …, last interruption …, by …" (compliance/limitation.py) and the
    debtor's acknowledgements of the debt."""
    limitation = selectors.case_limitation(case)
    return {
        "case": case,
        "limitation": limitation,
        "has_run": limitation.has_run(timezone.localdate()),
        "labels": [INTERRUPTIONS[k] for k in limitation.interrupted_by],
        "acknowledgements": selectors.case_acknowledgements(case),
        "can_acknowledge": policies.can_record_acknowledgement(user, case),
    }
