"""The SVG bar charts' geometry, and the demo data giving the dashboard and the KPIs figures to show."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from supervision import charts, policies, selectors


def test_bars_are_scaled_to_the_maximum_and_empty_values_drawn_as_a_dash():
    chart = charts.bar_chart(
        "Rates",
        [("team", Decimal("50.0"), "50.0%"), ("li", Decimal("100"), "100%"), ("zhao", None, "")],
        maximum=100,
    )

    team, li, zhao = chart.bars
    assert (team.width, li.width, zhao.width) == (charts.BAR_AREA // 2, charts.BAR_AREA, 0)
    assert (zhao.text, zhao.empty) == ("—", True)
    assert [b.bar_y for b in chart.bars] == [15, 45, 75]
    assert chart.height == 3 * charts.ROW
    assert chart.width == charts.WIDTH


def test_without_a_maximum_the_largest_value_fills_the_bar_and_outliers_stay_inside():
    chart = charts.bar_chart("Cases", [("new", 4, "4"), ("verified", 1, "1"), ("odd", -3, "-3")])
    assert [b.width for b in chart.bars] == [charts.BAR_AREA, charts.BAR_AREA // 4, 0]
    assert charts.bar_chart("Nothing", []).bars == []
    assert charts.bar_chart("Zero", [("a", 0, "0")]).bars[0].width == 0


@pytest.mark.django_db
def test_the_demo_gives_the_dashboard_and_the_kpis_figures(shipped_rule_packs):
    call_command("seed_demo", "--cases", "20", stdout=io.StringIO())
    supervisor = User.objects.get(username="supervisor")
    team = selectors.team_choice(supervisor, list(policies.teams_visible_to(supervisor)), None)

    board = selectors.dashboard(supervisor, team)
    today = timezone.localdate()
    table = selectors.kpis(supervisor, team, date_from=today - dt.timedelta(days=59), date_to=today)

    assert board.cases_total == 20
    assert board.plans_awaiting_approval == 1
    assert board.logs_awaiting_review == 1
    assert board.visits_week >= 1
    whole = table.team_row
    assert whole.contacts.denominator > 0
    assert whole.visit_success == selectors.Rate(1, 1)
    assert whole.agreements_signed == 1
    assert whole.recovered["CNY"] > 0
    assert whole.avg_days_to_first_visit is not None
    assert whole.avg_days_to_first_visit > 0
