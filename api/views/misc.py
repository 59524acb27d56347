"""The API's answer for a URL it does not have: JSON, never the site's HTML or a login redirect."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ..errors import error


@csrf_exempt
@login_not_required
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"errors": [error("NOT_FOUND", _("There is no such API endpoint."))]}, status=404)
