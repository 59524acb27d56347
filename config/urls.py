"""Top-level URLs: every page but login (and the language switch) needs a signed-in user."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.i18n import set_language

from supervision.views import home

urlpatterns = [
    path("", home, name="home"),  # each role lands where its work is (supervision/views.py: home)
    # Browsers ask for /favicon.ico on every page; the icon is a static file.
    path(
        "favicon.ico",
        login_not_required(lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
        name="favicon",
    ),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("compliance/", include("compliance.urls")),
    path("visits/", include("visits.urls")),
    path("agreements/", include("agreements.urls")),
    path("supervision/", include("supervision.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    # The integration API authenticates by API key or token, never by session (docs/api.md).
    path("api/v1/", include("api.urls")),
]
