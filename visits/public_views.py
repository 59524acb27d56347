"""The debtor's public page: check that a visit is genuine, or report it. No sign-in.

It shows who is coming and on whose authority (agency, creditor, mandate number and validity, the
agents' names and work-ID numbers, the planned window in the debtor's zone) and nothing about the
debt. An unknown or expired link gets the same "not valid" page (404) with no detail. Requests are
limited per client IP (PUBLIC_VERIFY_RATE_PER_MINUTE) through the shared cache; behind a proxy,
REMOTE_ADDR must be the client's address (set by the proxy configuration, not read from headers).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import notice_forms, services
from .models import VisitState

LIVE = (VisitState.APPROVED, VisitState.NOTIFIED)


def rate_limited(request: HttpRequest) -> bool:
    """A fixed one-minute window per client IP, counted in the cache (shared across workers on Redis)."""
    ip = request.META.get("REMOTE_ADDR", "unknown")
    key = f"fl:public-verify:{ip}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=70):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=70)
            count = 1
    return count > settings.PUBLIC_VERIFY_RATE_PER_MINUTE


def _initials(name: str) -> str:
    parts = name.split()
    if len(parts) > 1:
        return "".join(p[0] for p in parts[:2]).upper()
    return name[:1].upper()


@login_not_required
@never_cache
def verify(request: HttpRequest, token: str) -> HttpResponse:
    if rate_limited(request):
        return render(request, "visits/public_verify.html", {"state": "limited"}, status=429)
    link = services.token_lookup(token=token)
    if link is None:
        return render(request, "visits/public_verify.html", {"state": "invalid"}, status=404)
    visit = link.visit
    form = notice_forms.ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.complaint_record(visit=visit, text=form.cleaned_data["text"])
        return render(request, "visits/public_verify.html", {"state": "reported"})
    case = visit.case
    zone = ZoneInfo(visit.time_zone)
    agents = [
        {
            "id": a.pk,
            "name": a.display_name,
            "work_id": a.work_id_number,
            "initials": _initials(a.display_name),
            "has_photo": bool(a.photo),
        }
        for a in visit.agents.order_by("full_name", "pk")
    ]
    return render(
        request,
        "visits/public_verify.html",
        {
            "state": "valid",
            "live": visit.state in LIVE,
            "agency": settings.AGENCY_NAME,
            "creditor": case.creditor.name,
            "mandate": case.mandate,
            "agents": agents,
            "start": visit.window_start.astimezone(zone),
            "end": visit.window_end.astimezone(zone),
            "zone": visit.time_zone,
            "form": form,
            "token": token,
        },
    )


PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}


@login_not_required
@never_cache
def agent_photo(request: HttpRequest, token: str, agent_id: int) -> HttpResponse:
    """An agent's photo, only through a valid link of a visit that agent is on (no public photo URL)."""
    if rate_limited(request):
        return HttpResponse(status=429)
    link = services.token_lookup(token=token)
    agent = link.visit.agents.filter(pk=agent_id).first() if link is not None else None
    if agent is None or not agent.photo:
        raise Http404
    handle = agent.photo.open("rb")
    head = handle.read(4)
    handle.seek(0)
    content_type = next((t for magic, t in PHOTO_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        handle.close()
        raise Http404
    return FileResponse(handle, content_type=content_type)  # never_cache: no-store, private
