"""Saved case-list filters: per user, a unique name per user, listed, applied and deleted by their owner."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cases import services
from cases.models import SavedFilter
from common.errors import DomainError
from common.pii import phone_digest
from compliance.models import AuditEvent
from tests.factories import SavedFilterFactory, audit_actions_since, audit_head

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in response.context["messages"])


def test_save_records_which_filters_not_their_values(supervisor):
    since = audit_head()
    digest = phone_digest("13912345678")

    saved = services.saved_filter_create(
        user=supervisor, name="  Old debts  ", query=f"?q=王&pd={digest}&overdue=365%2B"
    )

    assert (saved.name, saved.query) == ("Old debts", f"q=王&pd={digest}&overdue=365%2B")
    assert audit_actions_since(since) == ["case_filter.saved"]
    event = AuditEvent.objects.get(seq=since + 1)
    assert event.data["keys"] == ["overdue", "pd", "q"]
    assert "王" not in str(event.data)
    assert digest not in str(event.data)


@pytest.mark.parametrize(
    ("name", "query", "code", "field"),
    [
        ("", "stage=new", "FIELD_REQUIRED", "name"),
        ("   ", "stage=new", "FIELD_REQUIRED", "name"),
        ("x" * 81, "stage=new", "INVALID_INPUT", "name"),
        ("Phones", "phone=13912345678", "INVALID_INPUT", "query"),  # never a plain number
        ("Other", "next=/admin/", "INVALID_INPUT", "query"),
    ],
)
def test_bad_input_is_refused_and_recorded(supervisor, name, query, code, field):
    since = audit_head()

    with pytest.raises(DomainError) as refused:
        services.saved_filter_create(user=supervisor, name=name, query=query)

    assert refused.value.codes == [code]
    assert refused.value.failures[0].field == field
    assert audit_actions_since(since) == ["case_filter.saved.refused"]
    assert not SavedFilter.objects.exists()


def test_a_duplicate_name_is_refused_for_the_same_user_only(supervisor, other_supervisor):
    services.saved_filter_create(user=supervisor, name="Mine", query="stage=new")

    with pytest.raises(DomainError) as refused:
        services.saved_filter_create(user=supervisor, name="Mine", query="stage=verified")
    services.saved_filter_create(user=other_supervisor, name="Mine", query="stage=verified")

    assert refused.value.codes == ["SAVED_FILTER_NAME_TAKEN"]
    assert "Mine" in str(refused.value.failures[0].message)
    assert SavedFilter.objects.count() == 2


def test_the_database_holds_the_unique_name_too(supervisor):
    SavedFilterFactory(user=supervisor, name="Twice")

    with pytest.raises(IntegrityError), transaction.atomic():
        SavedFilterFactory(user=supervisor, name="Twice")


def test_the_number_of_saved_filters_is_bounded(supervisor):
    for i in range(services.saved_filters.MAX_PER_USER):
        SavedFilterFactory(user=supervisor, name=f"F{i}")

    with pytest.raises(DomainError) as refused:
        services.saved_filter_create(user=supervisor, name="One more", query="")

    assert refused.value.codes == ["SAVED_FILTER_LIMIT"]


def test_delete_own_only(supervisor, other_supervisor):
    mine = SavedFilterFactory(user=supervisor)
    since = audit_head()

    with pytest.raises(DomainError) as refused:
        services.saved_filter_delete(user=other_supervisor, saved_filter_id=mine.pk)
    services.saved_filter_delete(user=supervisor, saved_filter_id=mine.pk)

    assert refused.value.codes == ["NOT_FOUND"]
    assert audit_actions_since(since) == ["case_filter.deleted.refused", "case_filter.deleted"]
    assert not SavedFilter.objects.exists()


# --- pages -------------------------------------------------------------------------------------------


def test_save_from_the_list_then_apply_from_the_saved_filters_page(supervisor, case):
    client = signed_in(supervisor)
    listed = client.get(reverse("cases:case-list"), {"stage": "new", "sort": "oldest"})
    query = listed.context["save_form"].initial["query"]

    saved = client.post(
        reverse("cases:saved-filter-create"), {"name": "New ones", "query": query}, follow=True
    )
    page = client.get(reverse("cases:saved-filter-list"))

    assert query == "stage=new&sort=oldest"
    assert "Filter “New ones” saved." in messages_of(saved)
    assert saved.redirect_chain[-1][0] == reverse("cases:case-list") + "?stage=new&sort=oldest"
    link = reverse("cases:case-list") + "?stage=new&amp;sort=oldest"
    assert f'href="{link}"' in page.content.decode()
    assert [c.pk for c in client.get(reverse("cases:case-list") + "?" + query).context["page"].cases] == [
        case.pk
    ]


def test_a_duplicate_name_is_named_on_the_page(supervisor):
    client = signed_in(supervisor)
    SavedFilterFactory(user=supervisor, name="Twice")

    response = client.post(reverse("cases:saved-filter-create"), {"name": "Twice", "query": ""}, follow=True)

    assert "[SAVED_FILTER_NAME_TAKEN]" in messages_of(response)
    assert SavedFilter.objects.filter(user=supervisor).count() == 1


def test_an_empty_name_is_named_on_the_page(supervisor):
    response = signed_in(supervisor).post(
        reverse("cases:saved-filter-create"), {"name": "", "query": ""}, follow=True
    )

    assert "Name of this filter:" in messages_of(response)


def test_the_page_lists_only_the_users_filters(supervisor, other_supervisor):
    SavedFilterFactory(user=supervisor, name="Mine")
    SavedFilterFactory(user=other_supervisor, name="Theirs")

    html = signed_in(supervisor).get(reverse("cases:saved-filter-list")).content.decode()

    assert "Mine" in html
    assert "Theirs" not in html


def test_delete_from_the_page(supervisor):
    mine = SavedFilterFactory(user=supervisor)

    response = signed_in(supervisor).post(reverse("cases:saved-filter-delete", args=[mine.pk]), follow=True)

    assert "Saved filter deleted." in messages_of(response)
    assert not SavedFilter.objects.exists()


def test_another_users_filter_is_404(supervisor, agent):
    mine = SavedFilterFactory(user=supervisor)

    assert signed_in(agent).post(reverse("cases:saved-filter-delete", args=[mine.pk])).status_code == 404
    assert SavedFilter.objects.filter(pk=mine.pk).exists()


def test_the_list_page_links_to_the_saved_filters(supervisor):
    html = signed_in(supervisor).get(reverse("cases:case-list")).content.decode()

    assert reverse("cases:saved-filter-list") in html
