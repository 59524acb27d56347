"""Keyset pagination: `?after=<key>&limit=<n>`, ordered by a unique increasing key (an id, the audit
`seq`). A page is `{"results": [...], "next": <URL of the next page> | null}`; a client that stores the
last key it processed resumes from it with `after=`, and no row is skipped or repeated when rows are
added meanwhile (unlike offsets)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

MAX_KEY = 2**63 - 1
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class KeysetQuery(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_KEY,
        help_text="Return rows whose key is greater than this.",
    )
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT, help_text="Rows per page."
    )


def keyset_page(
    queryset: QuerySet[Any], *, request: Request, key: str, after: int | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of `queryset` ordered by `key`, and the URL of the next page (None on the last)."""
    if after is not None:
        queryset = queryset.filter(**{f"{key}__gt": after})
    rows = list(queryset.order_by(key)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    url = request.build_absolute_uri()
    url = replace_query_param(url, "after", getattr(rows[-1], key))
    return rows, replace_query_param(url, "limit", limit)


_PAGES: dict[type[serializers.Serializer], type[serializers.Serializer]] = {}


def page_serializer(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a page of `item`s (for drf-spectacular; the views build the dict themselves)."""
    if item in _PAGES:
        return _PAGES[item]
    name = item.__name__.removesuffix("Serializer") + "PageSerializer"
    _PAGES[item] = type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
            "__module__": __name__,
        },
    )
    return _PAGES[item]
