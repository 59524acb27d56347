"""The lists behind the dashboard's figures: the team's items, linked, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import selectors

pytestmark = pytest.mark.django_db

ITEMS = reverse("supervision:items")


@pytest.mark.parametrize("kind", list(selectors.ITEM_KINDS))
def test_each_list_shows_the_items_its_figure_counts(client, supervisor, populate, kind):
    units = populate(2)
    client.force_login(supervisor)

    response = client.get(ITEMS, {"kind": kind})

    assert response.status_code == 200
    rows = response.context["rows"]
    expected = 0 if kind == "broken-agreements" else 2
    assert len(rows) == expected
    html = response.content.decode()
    for row in rows:
        assert reverse("cases:case-detail", args=[row.case.pk]) in html
        assert row.case.debtor.name in html
    if kind == "plans":
        assert {r.case.pk for r in rows} == {u["planned"].pk for u in units}
    if kind == "reviews":
        assert reverse("visits:visit-detail", args=[units[0]["visit"].pk]) in html


def test_unknown_list_is_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get(ITEMS, {"kind": "everything"}).status_code == 404
    assert client.get(ITEMS).status_code == 404


def test_a_list_costs_the_same_queries_with_more_items(client, supervisor, populate):
    populate(1)
    client.force_login(supervisor)
    client.get(ITEMS, {"kind": "alerts"})
    counts = []
    for more in (0, 3):
        populate(more)
        with CaptureQueriesContext(connection) as ctx:
            client.get(ITEMS, {"kind": "alerts"})
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 12
