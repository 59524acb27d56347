"""Placement upload pages (written by the import work)."""

from django.http import Http404


def case_import(request, *args, **kwargs):  # pragma: no cover - replaced by the import work
    raise Http404


def case_import_confirm(request, *args, **kwargs):  # pragma: no cover
    raise Http404
