"""The on-site pages on a phone: the whole wizard through the web, autosave answers, double submission,
the statement, evidence downloads, the report, the review, bounded queries, zh-hans, and 404 for every
visits URL that takes an object id, for every role outside the case (walked from the URLconf)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from PIL import Image

from cases.models import Stage
from compliance.models import AuditEvent
from tests.factories import audit_actions_since, audit_head
from tests.visits.conftest import ARRIVAL, attest_all, checks, conversation, keyed
from visits import services
from visits.models import CONDUCT_ITEMS, Evidence, Visit, VisitCheckIn, VisitState

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def url(name: str, visit: Visit, **more) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"visits:{name}", kwargs={"pk": visit.pk, **more})


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), "purple").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def at_the_door():  # type: ignore[no-untyped-def]
    """The views read the clock: travel to Thursday 10:05 in Shanghai, at the door."""
    with time_machine.travel(ARRIVAL, tick=True):
        yield


def test_the_whole_visit_through_the_phone_pages(notified, agent, other_agent, at_the_door):
    me, colleague = signed_in(agent), signed_in(other_agent)

    page = me.get(url("site", notified), follow=True)
    assert page.redirect_chain[-1][0] == url("site-check-in", notified)
    assert "Check in here" in page.content.decode()
    me.post(
        url("site-check-in", notified),
        {
            "idempotency_key": keyed(),
            "position_status": "given",
            "latitude": "31.188500",
            "longitude": "121.436500",
            "accuracy": "12",
        },
    )
    waiting = me.get(url("site-check-in", notified))
    assert "Waiting for 1 more agent" in waiting.content.decode()
    started = colleague.post(
        url("site-check-in", notified), {"idempotency_key": keyed(), "position_status": "denied"}
    )
    assert started.url == url("site-checks", notified)

    agents = [va.agent_id for va in notified.visit_agents.all()]
    the_checks = {
        "work_ids_shown": agents,
        "authorization_shown": "on",
        "authorization_number": "M-1",
        "purpose_stated": "on",
        "relation": "debtor",
        "identification": "known",
        "entry": "doorstep",
        "recording_consent": "yes",
    }
    review = me.post(url("site-checks", notified), the_checks)
    assert review.templates[0].name == "visits/site/checks_review.html"
    assert "Confirm and lock the checks" in review.content.decode()
    assert not notified.logs.get().checks_confirmed
    response = me.post(url("site-checks", notified), {**the_checks, "lock": "1"})
    assert response.url == url("site-conversation", notified)
    response = me.post(
        url("site-conversation", notified),
        {
            "started": "10:05",
            "ended": "10:08",  # the clock is at 10:05: the skew allowed is 5 minutes
            "people_present": "Debtor",
            "evidence_shown": ["contract"],
            "talking_points": "Arrears explained.",
            "default_reasons": "Illness.",
            "willingness": "medium",
            "capacity": "low",
            "debtor_state": "calm",
            "statement_shown": "on",
        },
    )
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )
    assert response.url == url("site-outcome", notified)
    response = me.post(
        url("site-outcome", notified), {"outcome": "agreement_to_draft", "summary": "Wants 6 instalments."}
    )
    assert response.url == url("site-evidence", notified)
    uploaded = me.post(
        url("site-evidence", notified),
        {
            "idempotency_key": keyed(),
            "files": [SimpleUploadedFile("door.jpg", jpeg(), content_type="image/jpeg")],
            "caption": "Door",
        },
        follow=True,
    )
    assert any("stored (SHA-256" in m for m in messages_of(uploaded))
    items = [code for code, _label in CONDUCT_ITEMS]
    for client in (me, colleague):
        client.post(
            url("site-finish", notified), {"action": "attest", "idempotency_key": keyed(), "items": items}
        )
    done = me.post(
        url("site-finish", notified),
        {"action": "complete", "idempotency_key": keyed(), "client_time": ARRIVAL.isoformat()},
    )

    assert done.url == url("visit-detail", notified)
    notified.refresh_from_db()
    assert notified.state == VisitState.COMPLETED
    assert notified.case.stage == Stage.CONVERSATION_LOGGED
    assert notified.check_ins.get(agent=agent).accuracy_m == 12
    assert Evidence.objects.get(visit=notified).kind == "photo"
    detail = me.get(url("visit-detail", notified)).content.decode()
    assert "Agreement to draft" in detail
    assert "SHA-256" in detail


def test_a_lone_agent_sees_who_is_missing_and_cannot_go_on(notified, agent, at_the_door):
    me = signed_in(agent)
    me.post(url("site-check-in", notified), {"idempotency_key": keyed(), "position_status": "unavailable"})

    response = me.get(url("site-checks", notified), follow=True)

    assert response.redirect_chain[-1][0] == url("site-check-in", notified)
    assert VisitCheckIn.objects.filter(visit=notified).count() == 1


def test_a_refused_check_in_names_the_rule(notified, agent):
    with time_machine.travel(ARRIVAL + dt.timedelta(hours=3), tick=True):  # 13:05: after the window
        response = signed_in(agent).post(
            url("site-check-in", notified),
            {"idempotency_key": keyed(), "position_status": "denied"},
            follow=True,
        )

    assert any("[VISIT_WINDOW]" in m for m in messages_of(response))
    assert not VisitCheckIn.objects.exists()


def test_the_same_check_in_posted_twice_records_once(notified, agent, at_the_door):
    data = {"idempotency_key": keyed(), "position_status": "denied"}
    client = signed_in(agent)

    client.post(url("site-check-in", notified), data)
    client.post(url("site-check-in", notified), data)

    assert VisitCheckIn.objects.filter(visit=notified).count() == 1


# --- autosave ---------------------------------------------------------------------------------------


def test_autosave_answers_json_and_records_no_event(identified, agent, at_the_door):
    client = signed_in(agent)
    head = audit_head()

    saved = client.post(
        url("site-conversation", identified),
        {"talking_points": "half", "debtor_state": "calm"},
        headers={"X-Autosave": "1"},
    )

    assert saved.status_code == 200
    assert "saved_at" in saved.json()
    assert audit_actions_since(head) == []
    assert identified.logs.get().talking_points == "half"


def test_autosave_keeps_the_draft_when_one_field_is_invalid(identified, agent, at_the_door):
    client = signed_in(agent)

    saved = client.post(
        url("site-conversation", identified),
        {"talking_points": "Everything said so far", "debtor_state": "calm", "started": "25:99"},
        headers={"X-Autosave": "1"},
    )

    assert saved.status_code == 200
    assert [e["field"] for e in saved.json()["errors"]] == ["started"]
    assert identified.logs.get().talking_points == "Everything said so far"


def test_autosave_leaves_out_an_input_the_service_refuses_and_keeps_the_rest(identified, agent, at_the_door):
    client = signed_in(agent)

    saved = client.post(
        url("site-conversation", identified),
        {"talking_points": "Kept", "started": "10:05", "ended": "23:59"},  # ends in the future
        headers={"X-Autosave": "1"},
    )

    assert saved.status_code == 200
    assert [e["code"] for e in saved.json()["errors"]] == ["TIME_INVALID"]
    log = identified.logs.get()
    assert log.talking_points == "Kept"
    assert log.ended_at is None


def test_a_mistyped_id_is_shown_on_the_checks_form_and_locks_nothing(on_site, agent, at_the_door):
    data = {**checks(on_site, identification="id_card", id_last4="0000"), "recording_consent": "yes"}

    page = signed_in(agent).post(url("site-checks", on_site), data)

    body = page.content.decode()
    assert page.templates[0].name == "visits/site/checks.html"
    assert "ID_MISMATCH" in body
    assert "1 of 3" in body
    assert not on_site.logs.get().checks_confirmed


def test_the_review_says_what_confirming_decides_and_the_trace_says_it_after(
    on_site, agent, supervisor, at_the_door
):
    data = {**checks(on_site, relation="family"), "recording_consent": "yes"}
    me = signed_in(agent)

    review = me.post(url("site-checks", on_site), data).content.decode()
    assert "not the verified debtor" in review
    me.post(url("site-checks", on_site), {**data, "lock": "1"})

    trace = signed_in(supervisor).get(reverse("visits:visit-detail", args=[on_site.pk])).content.decode()
    assert "Decided: the person met is not the verified debtor" in trace


def test_the_talk_step_is_not_ticked_before_anything_is_recorded(on_site, agent, at_the_door):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, relation="family")
    )
    steps = {
        s["name"]: s["done"] for s in signed_in(agent).get(url("site-conversation", on_site)).context["steps"]
    }
    assert steps["checks"]
    assert not steps["conversation"]

    services.visit_log_save(
        visit=on_site, actor=agent, step="not_debtor", data={"nothing_about_debt_said": True}
    )
    steps = {
        s["name"]: s["done"] for s in signed_in(agent).get(url("site-outcome", on_site)).context["steps"]
    }
    assert steps["conversation"]


def test_autosave_refused_by_the_rules_answers_409_with_the_code(on_site, agent, at_the_door):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, relation="family")
    )

    refused = signed_in(agent).post(
        url("site-outcome", on_site), {"outcome": "promise_to_pay"}, headers={"X-Autosave": "1"}
    )

    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "IDENTITY_BEFORE_DISCLOSURE"


def test_the_conversation_of_someone_not_the_debtor_is_not_offered(on_site, agent, at_the_door):
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site, relation="colleague")
    )

    page = signed_in(agent).get(url("site-conversation", on_site))

    assert page.templates[0].name == "visits/site/not_debtor.html"
    assert "talking_points" not in page.content.decode()
    outcome_page = signed_in(agent).get(url("site-outcome", on_site)).content.decode()
    assert "promise_to_pay" not in outcome_page
    assert "debtor_not_met" in outcome_page


def test_an_agitated_debtor_offers_we_left_and_ends_the_conversation(identified, agent, at_the_door):
    response = signed_in(agent).post(
        url("site-conversation", identified),
        {
            "started": "10:05",
            "ended": "10:06",
            "talking_points": "He shouted.",
            "debtor_state": "agitated",
            "we_left": "1",
        },
    )

    assert response.url == url("site-finish", identified)
    assert identified.logs.get().outcome == "we_left"


# --- statement, evidence, report --------------------------------------------------------------------


def test_the_statement_screen_waits_for_the_identified_debtor(on_site, agent, at_the_door):
    client = signed_in(agent)

    before = client.get(url("statement", on_site), follow=True)
    services.visit_log_save(visit=on_site, actor=agent, step="checks", data=checks(on_site))
    after = client.get(url("statement", on_site))

    assert any("[IDENTITY_BEFORE_DISCLOSURE]" in m for m in messages_of(before))
    assert after.status_code == 200
    assert "8200.50" in after.content.decode()


def test_handing_over_the_statement_downloads_the_pdf_kept_as_evidence(identified, agent, at_the_door):
    response = signed_in(agent).post(
        url("statement-hand-over", identified), {"idempotency_key": keyed(), "language": "zh-hans"}
    )

    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    evidence = Evidence.objects.get(visit=identified, kind="statement")
    assert response["X-Content-SHA256"] == evidence.sha256


def test_evidence_is_served_only_through_the_permission_check_and_recorded(
    on_site, agent, compliance_officer, other_team_agent, at_the_door
):
    evidence = services.evidence_add(
        visit=on_site,
        actor=agent,
        idempotency_key=keyed(),
        upload=SimpleUploadedFile("d.jpg", jpeg(), content_type="image/jpeg"),
    )
    link = url("evidence-download", on_site, evidence_pk=evidence.pk)
    officer, outsider = signed_in(compliance_officer), signed_in(other_team_agent)
    head = audit_head()

    seen = officer.get(link)
    hidden = outsider.get(link)

    assert seen.status_code == 200
    assert b"".join(seen.streaming_content)[:3] == b"\xff\xd8\xff"
    assert seen["X-Content-Type-Options"] == "nosniff"
    assert hidden.status_code == 404
    assert audit_actions_since(head) == ["evidence.viewed"]
    assert "/media" not in evidence.file.url or not evidence.file.url.startswith("http")


def test_the_report_pdf_is_downloaded_from_the_visit_page(talked, supervisor, at_the_door):
    client = signed_in(supervisor)

    page = client.get(url("visit-detail", talked)).content.decode()
    pdf = client.get(url("visit-report", talked))

    assert url("visit-report", talked) in page
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="visit.report_generated").count() == 1


# --- review -----------------------------------------------------------------------------------------


@pytest.fixture
def completed(talked, agent):  # type: ignore[no-untyped-def]
    services.visit_log_save(visit=talked, actor=agent, step="outcome", data={"outcome": "refusal_to_pay"})
    attest_all(talked, at=ARRIVAL + dt.timedelta(minutes=50))
    services.visit_complete(visit=talked, actor=agent, idempotency_key=keyed())
    return talked


@pytest.fixture
def that_afternoon():  # type: ignore[no-untyped-def]
    with time_machine.travel(ARRIVAL + dt.timedelta(hours=4), tick=True):
        yield


def test_the_supervisor_returns_the_log_and_the_agent_corrects_it(
    that_afternoon, completed, supervisor, agent
):
    boss, me = signed_in(supervisor), signed_in(agent)

    page = boss.get(url("visit-detail", completed)).content.decode()
    boss.post(url("log-return", completed), {"comment": "Add the reasons."})
    correcting = me.get(url("site-conversation", completed))
    me.post(
        url("site-conversation", completed),
        {**_conversation_form(), "default_reasons": "Illness and job loss."},
    )
    me.post(url("site-finish", completed), {"action": "resubmit", "idempotency_key": keyed()})
    boss.post(url("log-accept", completed), {"comment": ""})

    assert "Return for correction" in page
    assert "Returned for correction" in correcting.content.decode()
    completed.refresh_from_db()
    assert completed.state == VisitState.ACCEPTED
    versions = me.get(url("visit-detail", completed)).content.decode()
    assert url("log-version", completed, version=1) in versions
    assert url("log-version", completed, version=2) in versions
    assert "Illness and job loss." in me.get(url("log-version", completed, version=2)).content.decode()
    assert "Illness and job loss." not in me.get(url("log-version", completed, version=1)).content.decode()


def _conversation_form() -> dict[str, str]:
    data = conversation()
    return {
        "started": "10:10",
        "ended": "10:40",
        "people_present": data["people_present"],
        "evidence_shown": data["evidence_shown"],
        "talking_points": data["talking_points"],
        "default_reasons": data["default_reasons"],
        "willingness": data["willingness"],
        "capacity": data["capacity"],
        "debtor_state": data["debtor_state"],
        "statement_shown": "on",
    }


def test_an_agent_of_the_visit_sees_no_review_buttons(completed, agent, at_the_door):
    page = signed_in(agent).get(url("visit-detail", completed))

    assert page.context["onsite"]["view"].flags["can_review"] is False
    assert url("log-accept", completed) not in page.content.decode()


# --- queries, language ------------------------------------------------------------------------------


def test_wizard_pages_and_the_visit_page_use_a_bounded_number_of_queries(
    talked, agent, other_agent, supervisor, django_assert_max_num_queries, at_the_door
):
    me = signed_in(agent)
    for _ in range(6):
        services.evidence_add(
            visit=talked,
            actor=agent,
            idempotency_key=keyed(),
            upload=SimpleUploadedFile("d.jpg", jpeg(), content_type="image/jpeg"),
        )
    # 30 at most: session, user, roles and guardian's permission checks, the visible-visit lookup, the
    # on-site view (visit with its joins + one prefetch each for agents, check-ins, attestations,
    # evidence and log versions), the pack, and the layout's permission flags.
    for name in ("site-checks", "site-conversation", "site-outcome", "site-evidence", "site-finish"):
        with django_assert_max_num_queries(30):
            assert me.get(url(name, talked)).status_code == 200
    # The visit page: the planning page's reads (24) and the on-site section's (one view, as above).
    boss = signed_in(supervisor)
    with django_assert_max_num_queries(36):
        assert boss.get(url("visit-detail", talked)).status_code == 200


def test_the_wizard_speaks_chinese(identified, agent, at_the_door):
    client = signed_in(agent)
    client.cookies["django_language"] = "zh-hans"

    page = client.get(
        url("site-conversation", identified), headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert "沟通" in page  # "Conversation"
    assert "保存沟通记录" in page  # "Save the conversation"


# --- outsiders: every visits URL with an object id answers 404 ----------------------------------------


def visits_object_urls() -> list[tuple[str, URLPattern]]:
    (resolver,) = [
        r for r in get_resolver().url_patterns if isinstance(r, URLResolver) and r.namespace == "visits"
    ]
    return [
        (f"visits:{entry.name}", entry)
        for entry in resolver.url_patterns
        if isinstance(entry, URLPattern)
        and any(isinstance(c, IntConverter) for c in entry.pattern.converters.values())
        and "token" not in entry.pattern.converters
    ]


# What `pk` names in each URL (a visit unless listed).
PK_OF = {
    "visits:visit-plan": "case",
    "visits:contact-list": "case",
    "visits:visits-resume": "case",
    "visits:notice-detail": "notice",
    "visits:notice-answer": "notice",
}
OUTSIDERS = ["other_supervisor", "other_team_agent", "administrator"]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_every_visits_object_url_is_404_for_outsiders(talked, agent, all_roles, role, at_the_door):
    evidence = services.evidence_add(
        visit=talked,
        actor=agent,
        idempotency_key=keyed(),
        upload=SimpleUploadedFile("d.jpg", jpeg(), content_type="image/jpeg"),
    )
    world = {"visit": talked, "case": talked.case, "notice": talked.notices.first()}
    client = signed_in(all_roles[role])
    before, state = AuditEvent.objects.count(), talked.state
    checked = []
    for name, pattern in visits_object_urls():
        kwargs = {}
        for key in pattern.pattern.converters:
            if key in ("pk", "case_pk"):
                kwargs[key] = world[PK_OF.get(name, "case" if key == "case_pk" else "visit")].pk
            elif key == "evidence_pk":
                kwargs[key] = evidence.pk
            elif key == "version":
                kwargs[key] = 1
        target = reverse(name, kwargs=kwargs)
        got = client.get(target)
        posted = client.post(
            target, {"idempotency_key": keyed(), "reason": "x" * 12, "comment": "x", "action": "attest"}
        )
        assert got.status_code in (404, 405), (name, got.status_code)
        assert posted.status_code == 404, (name, posted.status_code)
        checked.append(name)

    assert {
        "visits:site-check-in",
        "visits:evidence-download",
        "visits:visit-report",
        "visits:log-accept",
    } <= set(checked)
    talked.refresh_from_db()
    assert talked.state == state
    assert AuditEvent.objects.count() == before  # nothing done, nothing viewed
