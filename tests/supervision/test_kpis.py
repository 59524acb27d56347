"""KPIs per team and per agent over a period: each definition on known records, the period form's
refusals, the SVG charts, the CSV export (recorded, formula-safe) and a fixed number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from agreements.models import PromiseCheck
from cases.models import Case
from common.errors import PermissionRefused
from supervision import selectors, services
from tests.factories import (
    CaseFactory,
    PaymentFactory,
    UserFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
)

pytestmark = pytest.mark.django_db

KPIS = reverse("supervision:kpis")
CSV = reverse("supervision:kpis-csv")
PERIOD = {"date_from": "2026-11-01", "date_to": "2026-11-23"}
PLACED_AT = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def records(populate, team):  # type: ignore[no-untyped-def]
    """Two units of populate(): placed on 1 November; one of the two promises was kept."""
    units = populate(2)
    Case.objects.filter(team=team).update(created_at=PLACED_AT)
    PromiseCheck.objects.filter(case=units[0]["promised"]).update(status="kept")
    return units


def test_team_and_agent_figures_follow_their_definitions(supervisor, agent, other_agent, team, records):
    table = selectors.kpis(supervisor, team, date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 23))

    whole, li, zhao = table.rows
    assert [r.agent for r in table.rows] == [None, agent, other_agent]
    # Contacts: per unit a visit that met the debtor and an unanswered call, both recorded by agent1.
    assert (whole.contacts, li.contacts, zhao.contacts) == (
        selectors.Rate(2, 4),
        selectors.Rate(2, 4),
        selectors.Rate(0, 0),
    )
    assert whole.contacts.percent == Decimal("50.0")
    assert zhao.contacts.percent is None
    # Visits made: the completed visit of each unit (both agents went); the debtor was met and promised.
    for row in (whole, li, zhao):
        assert row.visit_success == selectors.Rate(2, 2)
        assert row.promise_rate == selectors.Rate(2, 2)
        assert row.promises_kept == selectors.Rate(1, 2)
    # Agreements: drafted by agent1.
    assert (whole.agreements_signed, li.agreements_signed, zhao.agreements_signed) == (2, 2, 0)
    # Recovered 2 × 250; placed: the 12 cases' 8200.50 each; agent1 holds them all, agent2 none.
    assert whole.recovered == {"CNY": Decimal("500.00")}
    assert whole.placed == {"CNY": Decimal("98406.00")}
    assert whole.recovery("CNY") == Decimal("0.5")
    assert (li.recovered, li.placed) == (whole.recovered, whole.placed)
    assert (zhao.recovered, zhao.placed, zhao.recovery("CNY")) == ({}, {}, None)
    # First visits: placed 1 Nov 03:00 UTC, agents on site 21 Nov 03:00 UTC: 20 days, two cases.
    assert (whole.first_visits, whole.avg_days_to_first_visit) == (2, Decimal("20.0"))
    assert (li.first_visits, li.avg_days_to_first_visit) == (2, Decimal("20.0"))
    assert (zhao.first_visits, zhao.avg_days_to_first_visit) == (0, None)
    assert table.currencies == ["CNY"]


def test_a_period_before_the_work_has_nothing_to_divide(supervisor, team, records):
    table = selectors.kpis(supervisor, team, date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31))

    whole = table.team_row
    assert whole.contacts == whole.visit_success == whole.promises_kept == selectors.Rate(0, 0)
    assert whole.agreements_signed == 0
    assert whole.recovered == {}
    assert whole.placed == {}  # the cases were placed in November
    assert whole.avg_days_to_first_visit is None


def test_currencies_are_never_added_together(supervisor, team, creditor, mandate, records):
    usd = CaseFactory(
        creditor=creditor,
        mandate=mandate,
        team=team,
        supervisor=supervisor,
        currency="USD",
        outstanding=Decimal("1000.00"),
    )
    Case.objects.filter(pk=usd.pk).update(created_at=PLACED_AT)
    PaymentFactory(case=usd, amount=Decimal("100.00"), currency="USD")

    table = selectors.kpis(supervisor, team, date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 23))

    assert table.currencies == ["CNY", "USD"]
    assert table.team_row.recovered == {"CNY": Decimal("500.00"), "USD": Decimal("100.00")}
    assert table.team_row.recovery("USD") == Decimal("10.0")


def test_the_page_shows_charts_table_and_how_each_figure_is_computed(client, supervisor, records):
    client.force_login(supervisor)

    response = client.get(KPIS, PERIOD)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 6  # four rates, recovered/placed in CNY, days to first visit
    assert "style=" not in html
    assert "How each figure is computed" in html
    assert "Agent Li" in html
    assert "CNY 500.00 / 98406.00 (0.5%)" in html
    assert f"{CSV}?team=north&amp;date_from=2026-11-01&amp;date_to=2026-11-23" in html


def test_the_page_defaults_to_the_last_30_days(client, supervisor):
    client.force_login(supervisor)
    table = client.get(KPIS).context["table"]
    assert (table.date_from, table.date_to) == (dt.date(2026, 10, 25), dt.date(2026, 11, 23))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"date_from": "2026-11-20", "date_to": "2026-11-01"},
            "From: &#x27;From&#x27; must be on or before &#x27;To&#x27;.",
        ),
        ({"date_from": "2026-11-01", "date_to": "2026-12-31"}, "To: The period cannot end in the future"),
        ({"date_from": "2026-02-30", "date_to": "2026-11-01"}, "From: Enter a real date as YYYY-MM-DD"),
        ({"date_from": "", "date_to": "2026-11-01"}, "From: Enter a date (YYYY-MM-DD)."),
        ({"date_from": "2024-01-01", "date_to": "2026-11-01"}, "To: The period is at most 366 days long"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field_and_the_rule(client, supervisor, params, message):
    client.force_login(supervisor)

    response = client.get(KPIS, params)

    assert response.status_code == 200
    assert response.context["table"] is None
    assert message in response.content.decode()
    # The CSV of a bad period is not made: back to the page with the same message.
    since = audit_head()
    export = client.get(CSV, params, follow=True)
    assert message.replace("From: ", "").replace("To: ", "") in export.content.decode()
    assert audit_actions_since(since) == []


def test_csv_export_is_the_table_and_is_recorded(client, supervisor, team, records):
    client.force_login(supervisor)
    since = audit_head()

    response = client.get(CSV, PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kpis-north-2026-11-01-2026-11-23.csv"' in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, whole = rows[0], rows[1]
    assert header[:4] == ["Row", "Contact attempts", "Reached the debtor", "Contact rate %"]
    assert dict(zip(header, whole, strict=True)) | {} == {
        "Row": "Whole team",
        "Contact attempts": "4",
        "Reached the debtor": "2",
        "Contact rate %": "50.0",
        "Visits made": "2",
        "Debtor met": "2",
        "Visit success rate %": "100.0",
        "Promises to pay": "2",
        "Promise-to-pay rate %": "100.0",
        "Promises decided": "2",
        "Promises kept": "1",
        "Promises kept %": "50.0",
        "Agreements signed": "2",
        "Recovered (CNY)": "500.00",
        "Placed (CNY)": "98406.00",
        "Recovered / placed % (CNY)": "0.5",
        "Cases first visited": "2",
        "Average days from placement to first visit": "20.0",
    }
    assert [r[0] for r in rows[1:]] == ["Whole team", "Agent Li", "Agent Zhao"]
    events = audit_events_since(since)
    assert [e.action for e in events] == ["supervision.kpis_exported"]
    assert events[0].data["team"] == "north"
    assert events[0].data["rows"] == 3
    assert (events[0].data["from"], events[0].data["to"]) == ("2026-11-01", "2026-11-23")
    import hashlib

    assert events[0].data["sha256"] == hashlib.sha256(content).hexdigest()


def test_an_agent_named_like_a_formula_comes_out_as_text(client, supervisor, team):
    UserFactory(
        username="evil",
        full_name='=HYPERLINK("http://evil.example","x")',
        team=team,
        roles=[Role.FIELD_AGENT],
    )
    client.force_login(supervisor)

    rows = list(csv.reader(io.StringIO(client.get(CSV, PERIOD).content.decode("utf-8-sig"))))

    assert rows[-1][0] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_export_service_refuses_who_may_not_see_the_team_and_records_it(agent, supervisor, team):
    table = selectors.kpis(supervisor, team, date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 23))
    since = audit_head()

    with pytest.raises(PermissionRefused) as refused:
        services.kpi_csv_export(table=table, actor=agent)

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert audit_actions_since(since) == ["supervision.kpis_exported.refused"]


def test_the_kpi_page_costs_the_same_queries_with_more_cases(client, supervisor, populate):
    populate(1)
    client.force_login(supervisor)
    client.get(KPIS, PERIOD)
    counts = []
    for more in (0, 3):
        populate(more)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(KPIS, PERIOD).status_code == 200
        counts.append(len(ctx.captured_queries))
    # 7 of the request (session, user, roles, teams, permissions, session update), the team's agents,
    # and 14 for the figures: contacts, visits (agents, team), promises (agents, team), agreements,
    # recovered (team, agents), placed (team, agents), first visits (agents, team).
    assert counts[0] == counts[1] <= 25


def test_names_are_escaped_in_the_charts_and_the_table(client, supervisor, team):
    UserFactory(username="xss", full_name="<script>alert(1)</script>", team=team, roles=[Role.FIELD_AGENT])
    client.force_login(supervisor)

    html = client.get(KPIS, PERIOD).content.decode()

    assert "<script>alert(1)</script>" not in html
    # five charts (no payment, no currency: no recovered/placed chart) and the table
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 6
