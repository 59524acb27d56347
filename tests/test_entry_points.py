"""The registry of entry points that can contact a debtor or move a case (config/entry_points.py) is
complete: a new service that contacts or moves a stage, or a new view, API endpoint, command or beat task
that calls one, fails here until it is described with its rules — as tests/test_object_urls.py does for
object URLs. The finding is by reading the source (tests/entry_point_scan.py)."""

from __future__ import annotations

from config.entry_points import ENTRY_POINTS, SERVICES
from tests.entry_point_scan import acting_services, entry_point_actions, entry_points


def test_every_service_that_contacts_or_moves_a_stage_is_registered_with_its_rules():
    found = acting_services()

    missing = {name: sorted(kinds) for name, kinds in found.items() if name not in SERVICES}
    assert missing == {}, "describe these services in config/entry_points.py SERVICES"
    wrong = {n: sorted(k) for n, k in found.items() if SERVICES[n][0] != k}
    assert wrong == {}, "what these services do changed: update config/entry_points.py"
    assert sorted(set(SERVICES) - set(found)) == []  # nothing registered that no longer exists


def test_every_entry_point_that_reaches_one_is_registered():
    found = entry_point_actions(set(SERVICES))

    missing = {ep: sorted(called) for ep, called in found.items() if ep not in ENTRY_POINTS}
    assert missing == {}, "describe these entry points in config/entry_points.py ENTRY_POINTS"
    wrong = {ep: sorted(called) for ep, called in found.items() if ENTRY_POINTS[ep] != called}
    assert wrong == {}
    assert sorted(set(ENTRY_POINTS) - set(found)) == []


def test_the_walk_covers_urls_api_commands_and_beat_tasks():
    kinds = {ep.split(":", 1)[0] for ep in entry_points()}
    assert kinds == {"url", "command", "beat"}
    assert "url:api:case-contacts" in entry_points()  # the API is walked with the pages


def test_every_contact_service_passes_the_contact_gate():
    assert all("contact gate" in rules for kinds, rules in SERVICES.values() if "contact" in kinds)


def _an_unregistered_view(request):  # type: ignore[no-untyped-def]  # read, never run
    from agreements import services

    return services.signing_link_send(agreement=None, actor=request.user, channel="sms")


def test_a_new_view_that_sends_a_link_is_found():
    from tests.entry_point_scan import _calls, _view_source

    assert _calls(_view_source(_an_unregistered_view), set(SERVICES)) == {"signing_link_send"}
