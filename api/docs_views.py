"""The API's schema and Swagger UI: public unless API_DOCS_PUBLIC is off (production settings), then only
for a signed-in user (a session of the web app; anyone else goes to the sign-in page)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class _SignInUnlessPublic:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if not settings.API_DOCS_PUBLIC and not (user is not None and user.is_authenticated):
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]


class SchemaView(_SignInUnlessPublic, SpectacularAPIView):
    pass


class DocsView(_SignInUnlessPublic, SpectacularSwaggerSplitView):
    pass
