"""The dashboard's team picker and the KPI period. Input only: the selectors compute."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .selectors import ITEM_KINDS

MAX_PERIOD_DAYS = 366


class TeamForm(forms.Form):
    team = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(t.code, t.name) for t in teams]


class KpiPeriodForm(TeamForm):
    """From and to dates (inclusive, in the deployment's time zone), at most a year, not in the future."""

    date_from = forms.DateField(
        label=_("From"),
        required=True,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    date_to = forms.DateField(
        label=_("To"),
        required=True,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages = {
                "required": _("Enter a date (YYYY-MM-DD)."),
                "invalid": _("Enter a real date as YYYY-MM-DD, e.g. 2026-11-01."),
            }

    @staticmethod
    def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
        """The last 30 days, today included."""
        return today - dt.timedelta(days=29), today

    def clean_date_to(self) -> dt.date:
        value: dt.date = self.cleaned_data["date_to"]
        if value > timezone.localdate():
            raise forms.ValidationError(
                _("The period cannot end in the future: choose today or an earlier day.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_from", _("'From' must be on or before 'To'."))
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error(
                    "date_to",
                    _("The period is at most %(days)d days long: choose a later 'From' or an earlier 'To'.")
                    % {"days": MAX_PERIOD_DAYS},
                )
        return data


class ItemsForm(TeamForm):
    kind = forms.ChoiceField(label=_("List"), choices=list(ITEM_KINDS.items()))
