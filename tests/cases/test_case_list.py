"""The case list at scale: combined filters, search (phone by digest), sorting, keyset pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import selectors
from cases.models import Debtor
from cases.views import PAGE_SIZE
from common.pii import phone_digest
from tests.debtor_fact_helpers import put_facts
from tests.factories import TODAY, CaseFactory, DebtorFactory, FollowUpFactory, PhoneFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "cases:case-list"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def refs(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.external_ref for c in response.context["page"].cases]


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def made(creditor, mandate, team, supervisor, agent):  # type: ignore[no-untyped-def]
    """Four cases of the north team with different debts, flags and overdue days."""

    def case(ref: str, **kwargs):  # type: ignore[no-untyped-def]
        return CaseFactory(
            creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, external_ref=ref, **kwargs
        )

    cases = {
        "fresh": case("A-1", overdue_since=TODAY - dt.timedelta(days=10), outstanding=Decimal("100.00")),
        "mid": case(
            "A-2",
            overdue_since=TODAY - dt.timedelta(days=60),
            outstanding=Decimal("5000.00"),
            agents=[agent],
            debtor=DebtorFactory(name="Li Wei"),
        ),
        "old": case(
            "A-3",
            overdue_since=TODAY - dt.timedelta(days=200),
            outstanding=Decimal("20000.00"),
            debtor=DebtorFactory(name="王小明"),
        ),
        "ancient": case(
            "A-4", overdue_since=TODAY - dt.timedelta(days=400), outstanding=Decimal("9.99"), currency="USD"
        ),
    }
    put_facts(cases["mid"], vulnerable=True)  # through the recording services, as a user does
    put_facts(cases["old"], vulnerable=True, disputed=True)
    return cases


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"overdue": "0-30"}, {"A-1"}),
        ({"overdue": "31-90"}, {"A-2"}),
        ({"overdue": "181-365"}, {"A-3"}),
        ({"overdue": "365+"}, {"A-4"}),
        ({"amount_min": "100", "amount_max": "5000"}, {"A-1", "A-2"}),
        ({"amount_min": "5000.01"}, {"A-3"}),
        ({"currency": "USD"}, {"A-4"}),
        ({"flags": ["vulnerable"]}, {"A-2", "A-3"}),
        ({"flags": ["vulnerable", "disputed"]}, {"A-3"}),  # all of the flags ticked
        ({"q": "li w"}, {"A-2"}),  # Latin, partial, any case
        ({"q": "小明"}, {"A-3"}),  # Chinese, partial
        ({"flags": ["vulnerable"], "overdue": "31-90", "amount_max": "6000"}, {"A-2"}),  # combined
    ],
)
def test_filters_combine(made, supervisor, params, expected):
    assert set(refs(signed_in(supervisor).get(reverse(LIST), params))) == expected


def test_supervisor_and_team_filters(
    made, team, other_team, supervisor, compliance_officer, other_supervisor
):
    second = UserFactory(username="sup-b", team=team, roles=["supervisor"])
    CaseFactory(team=team, supervisor=second, external_ref="B-1")
    CaseFactory(team=other_team, supervisor=other_supervisor, external_ref="S-1")
    client = signed_in(compliance_officer)

    assert refs(client.get(reverse(LIST), {"supervisor": second.pk})) == ["B-1"]
    assert refs(client.get(reverse(LIST), {"team": other_team.pk})) == ["S-1"]
    # A supervisor sees one team: no team to choose, and another team's supervisor is not offered.
    response = signed_in(supervisor).get(reverse(LIST), {"supervisor": other_supervisor.pk})
    assert "team" not in response.context["form"].fields
    assert "supervisor" in response.context["form"].errors


def test_next_action_due(made, supervisor):
    FollowUpFactory(case=made["fresh"], owner=supervisor, due_on=TODAY - dt.timedelta(days=2))
    FollowUpFactory(case=made["mid"], owner=supervisor, due_on=TODAY + dt.timedelta(days=1))  # Tuesday
    FollowUpFactory(case=made["old"], owner=supervisor, due_on=TODAY + dt.timedelta(days=9))
    FollowUpFactory(
        case=made["ancient"], owner=supervisor, due_on=TODAY - dt.timedelta(days=1), status="done"
    )
    client = signed_in(supervisor)

    assert refs(client.get(reverse(LIST), {"next_action": "overdue"})) == ["A-1"]
    assert refs(client.get(reverse(LIST), {"next_action": "this_week"})) == ["A-2"]
    assert refs(client.get(reverse(LIST), {"next_action": "none"})) == ["A-4"]


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"amount_min": "500", "amount_max": "100"}, "amount_max", "must not be below the lower bound"),
        ({"amount_min": "-1"}, "amount_min", "greater than or equal to 0"),
        ({"amount_max": "lots"}, "amount_max", "Enter a number"),
        ({"overdue": "2-3"}, "overdue", "Select a valid choice"),
        ({"flags": ["rich"]}, "flags", "Select a valid choice"),
        ({"pd": "not-a-digest"}, "pd", "not valid"),
    ],
)
def test_invalid_filters_are_named_and_the_list_is_unfiltered(made, supervisor, params, field, says):
    response = signed_in(supervisor).get(reverse(LIST), params)

    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors[field])
    assert "The filter was not applied" in " ".join(messages_of(response))
    assert len(refs(response)) == 4


def test_phone_search_posts_and_redirects_to_the_digest_only(made, supervisor):
    PhoneFactory(debtor=made["old"].debtor, number="13912345678")
    client = signed_in(supervisor)

    posted = client.post(reverse(LIST), {"phone": "+86 139-1234-5678", "sort": "oldest"})

    assert posted.status_code == 302
    location = posted["Location"]
    assert "13912345678" not in location
    assert f"pd={phone_digest('13912345678')}" in location
    listed = client.get(location)
    assert refs(listed) == ["A-3"]
    assert "13912345678" not in listed.content.decode()
    assert listed.context["searching_phone"]


def test_phone_search_is_exact(made, supervisor):
    PhoneFactory(debtor=made["old"].debtor, number="13912345678")
    client = signed_in(supervisor)

    location = client.post(reverse(LIST), {"phone": "1391234567"})["Location"]  # one digit short

    assert refs(client.get(location)) == []


def test_a_phone_typed_into_the_url_is_moved_to_its_digest(made, supervisor):
    response = signed_in(supervisor).get(reverse(LIST), {"phone": "13912345678"})

    assert response.status_code == 302
    assert "13912345678" not in response["Location"]


def test_a_bad_phone_is_named(made, supervisor):
    response = signed_in(supervisor).post(reverse(LIST), {"phone": "12ab"})

    assert response.status_code == 200
    assert "5 to 15 digits" in " ".join(response.context["form"].errors["phone"])


def test_the_filter_form_posts_to_a_canonical_url(made, supervisor):
    response = signed_in(supervisor).post(
        reverse(LIST), {"q": " ", "stage": "new", "flags": ["vulnerable"], "sort": "newest", "amount_min": ""}
    )

    assert response["Location"] == reverse(LIST) + "?stage=new&flags=vulnerable"


def test_search_is_scoped_to_the_visible_cases(made, other_team, other_team_agent, agent):
    CaseFactory(team=other_team, external_ref="S-9", debtor=DebtorFactory(name="Li Wei"))

    assert refs(signed_in(agent).get(reverse(LIST), {"q": "Li Wei"})) == ["A-2"]


# --- sorting and keyset pages ----------------------------------------------------------------------


@pytest.fixture
def many(creditor, mandate, team, supervisor):  # type: ignore[no-untyped-def]
    # Equal amounts in runs of three: the pk breaks the ties.
    return [
        CaseFactory(
            creditor=creditor,
            mandate=mandate,
            team=team,
            external_ref=f"K-{i:03d}",
            outstanding=Decimal(100 + i // 3),
            overdue_since=TODAY - dt.timedelta(days=i % 7),
        )
        for i in range(PAGE_SIZE * 2 + 7)
    ]


def walk(client: Client, params: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every page forward with "next", then every page back with "previous"."""
    forward, pages = [], []
    response = client.get(reverse(LIST), params)
    while True:
        page = response.context["page"]
        pages.append(page)
        forward += [c.external_ref for c in page.cases]
        if not page.next:
            break
        response = client.get(reverse(LIST), {**params, "cursor": page.next})
    backward = [c.external_ref for c in pages[-1].cases]
    page = pages[-1]
    while page.previous:
        page = client.get(reverse(LIST), {**params, "cursor": page.previous}).context["page"]
        backward = [c.external_ref for c in page.cases] + backward
    return forward, backward


@pytest.mark.parametrize("sort", list(selectors.SORTS))
def test_keyset_pages_walk_every_case_once_both_ways(many, supervisor, sort):
    client = signed_in(supervisor)
    expected = [c.external_ref for c in selectors.case_list(user=supervisor, sort=sort)]

    forward, backward = walk(client, {"sort": sort})

    assert forward == expected
    assert backward == expected
    assert len(set(forward)) == len(many)


def test_pages_say_where_they_are_and_keep_the_count(many, supervisor):
    client = signed_in(supervisor)
    first = client.get(reverse(LIST), {"sort": "outstanding"}).context["page"]
    second = client.get(reverse(LIST), {"sort": "outstanding", "cursor": first.next}).context["page"]

    assert (first.first_index, first.last_index, first.total) == (1, PAGE_SIZE, len(many))
    assert (second.first_index, second.last_index, second.total) == (PAGE_SIZE + 1, PAGE_SIZE * 2, len(many))


def test_deep_pages_use_no_offset(many, supervisor):
    client = signed_in(supervisor)
    cursor = client.get(reverse(LIST), {"sort": "overdue"}).context["page"].next
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(LIST), {"sort": "overdue", "cursor": cursor})

    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "OFFSET" in q["sql"].upper()]


@pytest.mark.parametrize("cursor", ["garbage", "x" * 300, "eyJzIjoibmV3ZXN0In0:1abc:def"])
def test_a_bad_cursor_shows_the_first_page_with_a_message(many, supervisor, cursor):
    response = signed_in(supervisor).get(reverse(LIST), {"cursor": cursor})

    assert response.status_code == 200
    assert "That page link is not valid" in " ".join(messages_of(response))
    assert response.context["page"].first_index == 1


def test_a_cursor_of_another_sort_is_refused(many, supervisor):
    client = signed_in(supervisor)
    cursor = client.get(reverse(LIST), {"sort": "oldest"}).context["page"].next

    response = client.get(reverse(LIST), {"sort": "outstanding", "cursor": cursor})

    assert "That page link is not valid" in " ".join(messages_of(response))
    assert response.context["page"].first_index == 1


def test_an_unknown_sort_falls_back_to_newest(many, supervisor):
    response = signed_in(supervisor).get(reverse(LIST), {"sort": "debtor__id_number"})

    assert refs(response)[0] == many[-1].external_ref


def test_the_list_in_chinese_at_phone_width(made, supervisor):
    client = signed_in(supervisor)
    client.cookies["django_language"] = "zh-hans"

    response = client.get(reverse(LIST), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "案件" in html  # "Cases", translated
    assert 'name="case"' in html
    assert 'name="all_on_page"' in html
    # Every control of the page can wrap: the table stacks its cells below 700 px (static/css/app.css).
    assert 'class="table-wrap"' in html
    assert 'class="bulk-bar"' in html


def test_filters_and_flags_are_offered(made, supervisor):
    form = signed_in(supervisor).get(reverse(LIST)).context["form"]

    assert {name for name, _label in form.fields["flags"].choices} == {*Debtor.FLAG_FIELDS, "disputed"}
    assert {"overdue", "amount_min", "amount_max", "next_action", "phone", "supervisor"} <= set(form.fields)
