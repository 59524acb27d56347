"""The compliance officer's reports: exceptions (refusals, overrides with reason and approver, resumed
visits, rows a stage app registers; filters; CSV export, audited), agents per month, the access log
("who saw what"), and the decisions list by pack and version. Compliance officers only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from compliance import audit, exceptions, registry
from compliance.models import Complaint, RuleDecision, RulePack
from compliance.registry import ExceptionRow, ExceptionSource
from tests.factories import (
    CaseFactory,
    CreditorFactory,
    MandateFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
    make_verifiable,
)

pytestmark = pytest.mark.django_db


def decision(*, case, actor, outcome="refused", codes=("MIN_AGENTS",), override_of=None, reason="", at=None):  # type: ignore[no-untyped-def]
    return RuleDecision.objects.create(
        at=at or timezone.now(),
        action="visit.plan",
        object_type="visits.visit",
        object_id="1",
        case_id=case.pk,
        pack=RulePack.objects.get(code="cn-default", version=1),
        inputs={},
        failures=[{"code": c, "level": "refuse", "overridable": True} for c in codes],
        outcome=outcome,
        actor=actor,
        override_of=override_of,
        override_reason=reason,
    )


@pytest.fixture
def world(case, agent, supervisor, other_supervisor, other_team_agent, compliance_officer):  # type: ignore[no-untyped-def]
    """A refused action and a refused plan by the agent, overridden by the supervisor, and a
    resumption of visits; plus a refusal on another team's case of another creditor."""
    other_creditor = CreditorFactory(code="other", name="Other Bank")
    other_case = CaseFactory(
        creditor=other_creditor,
        mandate=MandateFactory(creditor=other_creditor),
        team=other_supervisor.team,
        supervisor=other_supervisor,
        agents=[other_team_agent],
    )
    audit.record(
        actor=agent,
        action="case.verify.refused",
        obj=case,
        case_id=case.pk,
        data={"codes": ["MANDATE_VALID"]},
    )
    refused = decision(case=case, actor=agent, codes=("VULNERABLE",))
    override = decision(
        case=case,
        actor=supervisor,
        outcome="overridden",
        codes=("VULNERABLE",),
        override_of=refused,
        reason="Vulnerability review closed by phone.",
    )
    audit.record(
        actor=supervisor,
        action="case.visits_resumed",
        obj=case,
        case_id=case.pk,
        data={"overrides": "VISIT_REFUSED", "reason_digest": "ab" * 32},
    )
    audit.record(
        actor=other_team_agent,
        action="debtor.address_verified.refused",
        obj=other_case,
        case_id=other_case.pk,
        data={"codes": ["PERMISSION_DENIED"]},
    )
    return {
        "case": case,
        "other_case": other_case,
        "refused": refused,
        "override": override,
        "other_creditor": other_creditor,
    }


def kinds(rows) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(r.source, r.what) for r in rows]


def test_the_report_lists_every_kind_newest_first(world, agent, supervisor):
    rows = list(exceptions.rows(exceptions.ReportFilter()))

    assert kinds(rows) == [
        ("refused_actions", "debtor.address_verified"),
        ("visits_resumed", "case.visits_resumed"),
        ("overrides", "visit.plan"),
        ("rule_refusals", "visit.plan"),
        ("refused_actions", "case.verify"),
    ]
    override = rows[2]
    assert (override.actor_id, override.approver_id) == (agent.pk, supervisor.pk)
    assert override.detail == "Vulnerability review closed by phone."
    assert override.link == reverse("compliance:decision-detail", args=[world["override"].pk])
    assert rows[1].approver_id == supervisor.pk
    assert rows[1].codes == ("VISIT_REFUSED",)


def test_filters_by_code_actor_team_creditor_and_dates(world, agent, supervisor, team, creditor):
    def of(**kwargs):  # type: ignore[no-untyped-def]
        return kinds(exceptions.rows(exceptions.ReportFilter(**kwargs)))

    assert of(code="VULNERABLE") == [("overrides", "visit.plan"), ("rule_refusals", "visit.plan")]
    assert of(code="MANDATE_VALID") == [("refused_actions", "case.verify")]
    assert of(code="VISIT_REFUSED") == [("visits_resumed", "case.visits_resumed")]
    assert of(actor_id=agent.pk) == [
        ("overrides", "visit.plan"),
        ("rule_refusals", "visit.plan"),
        ("refused_actions", "case.verify"),
    ]
    assert len(of(team_id=team.pk)) == 4
    assert of(creditor_id=world["other_creditor"].pk) == [("refused_actions", "debtor.address_verified")]
    assert of(date_to=dt.date(2026, 11, 22)) == []
    assert len(of(date_from=dt.date(2026, 11, 23), date_to=dt.date(2026, 11, 23))) == 5


def test_a_stage_app_adds_its_own_rows(world, monkeypatch):
    seen = []

    def late_logs(q):  # type: ignore[no-untyped-def]
        seen.append(q)
        yield ExceptionRow(
            at=timezone.now() + dt.timedelta(minutes=1),
            source="late_logs",
            kind="Late visit log",
            what="visit.log",
            codes=("LATE_LOG",),
        )

    monkeypatch.setitem(
        registry._exception_sources, "late_logs", ExceptionSource("late_logs", "Late visit logs", late_logs)
    )

    rows = list(exceptions.rows(exceptions.ReportFilter(code="LATE_LOG")))

    assert rows[0].source == "late_logs"
    assert seen[0].code == "LATE_LOG"


def test_the_page_defaults_to_the_last_30_days(client, world, compliance_officer, agent):
    with time_machine.travel(dt.datetime(2026, 10, 1, tzinfo=dt.UTC), tick=False):
        audit.record(
            actor=agent, action="case.old.refused", object_type="t", object_id="1", data={"codes": ["X"]}
        )
    client.force_login(compliance_officer)

    now = client.get(reverse("compliance:exceptions"))
    since_september = client.get(reverse("compliance:exceptions"), {"date_from": "2026-09-01"})

    assert len(now.context["rows"]) == 5
    assert "Vulnerability review closed by phone." in now.content.decode()
    assert len(since_september.context["rows"]) == 6


def test_the_page_query_count_does_not_grow_with_rows(
    client, world, compliance_officer, django_assert_max_num_queries
):
    client.force_login(compliance_officer)
    # session, user, user and group permissions, teams and creditors (filter choices), one query per
    # source (4 built in, 5 of the on-site stage: visits/onsite_workspace.py, 1 of late recordings:
    # visits/exceptions.py), the people named, the case labels, the user's roles (navigation), the
    # session renewal (savepoint, update, release)
    with django_assert_max_num_queries(22):
        assert client.get(reverse("compliance:exceptions")).status_code == 200
    for _ in range(5):
        audit.record(
            actor=None,
            action="case.verify.refused",
            obj=world["case"],
            case_id=world["case"].pk,
            data={"codes": ["X"]},
        )
    with django_assert_max_num_queries(22):
        assert client.get(reverse("compliance:exceptions")).status_code == 200


def test_the_csv_export_holds_every_row_and_is_audited(client, world, compliance_officer, agent):
    audit.record(actor=agent, action="=cmd.refused", object_type="t", object_id="1", data={"codes": ["X"]})
    client.force_login(compliance_officer)
    head = audit_head()

    response = client.get(reverse("compliance:exceptions-csv"), {"date_from": "2026-11-01"})

    content = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == list(exceptions.CSV_HEADER)
    assert len(rows) == 7
    assert rows[1][3] == "'=cmd"  # formula injection neutralised
    assert f"{agent.display_name} (user:{agent.pk})" in rows[1][5]
    assert audit_actions_since(head) == ["exceptions.exported"]
    event = audit_events_since(head)[0]
    assert event.data["rows"] == 6
    import hashlib

    assert event.data["sha256"] == hashlib.sha256(content).hexdigest()


# --- agents -----------------------------------------------------------------------------------------


def test_agents_per_month_count_refusals_overrides_and_complaints(client, world, agent, compliance_officer):
    now = timezone.now()
    Complaint.objects.create(
        channel="phone", created_at=now, received_at=now, agent_id=agent.pk, kind="dispute"
    )
    Complaint.objects.create(
        channel="phone", created_at=now, received_at=now - dt.timedelta(days=40), agent_id=agent.pk
    )
    client.force_login(compliance_officer)

    response = client.get(reverse("compliance:agents"), {"month": "2026-11"})

    table = response.context["table"]
    keys = [k for k, _label in table.columns]
    row = next(r for r in table.rows if r.agent == agent)
    values = dict(zip(keys, row.values, strict=True))
    assert (values["refused_actions"], values["rule_refusals"], values["overridden"]) == (1, 1, 1)
    assert (values["complaints"], values["disputes"]) == (0, 1)
    assert keys[0] == "visits_total"  # the visits app's columns come first
    october = client.get(reverse("compliance:agents"), {"month": "2026-10"}).context["table"]
    values = dict(zip(keys, next(r for r in october.rows if r.agent == agent).values, strict=True))
    assert values["complaints"] == 1


def test_agents_filter_by_team(client, world, agent, other_team_agent, team, compliance_officer):
    client.force_login(compliance_officer)

    table = client.get(reverse("compliance:agents"), {"team": team.pk}).context["table"]

    assert agent in [r.agent for r in table.rows]
    assert other_team_agent not in [r.agent for r in table.rows]


def test_agents_query_count(client, world, compliance_officer, django_assert_max_num_queries):
    client.force_login(compliance_officer)
    # session, user, user and group permissions, teams (filter), the agents with their teams, one
    # aggregate per source (visits 1, refusals 3, complaints 2), the user's roles, the session renewal
    with django_assert_max_num_queries(16):
        assert client.get(reverse("compliance:agents")).status_code == 200


# --- the access log ---------------------------------------------------------------------------------------


def test_the_access_log_lists_who_saw_what(client, case, agent, supervisor, compliance_officer):
    make_verifiable(case, agent)
    case_services.pii_reveal(case=case, actor=supervisor, field="phones")
    document = case.documents.get()
    signed = client
    signed.force_login(agent)
    assert signed.get(reverse("cases:case-document-download", args=[case.pk, document.pk])).status_code == 200
    client.force_login(compliance_officer)

    rows = client.get(reverse("compliance:access-log")).context["rows"]
    by_user = client.get(reverse("compliance:access-log"), {"actor": supervisor.username}).context["rows"]
    by_case = client.get(reverse("compliance:access-log"), {"case": case.pk}).context["rows"]
    other_day = client.get(reverse("compliance:access-log"), {"date_to": "2026-11-22"}).context["rows"]

    assert [(e.action, person) for e, person, _label in rows] == [
        ("case.document_viewed", agent),
        ("pii.viewed", supervisor),
    ]
    assert [e.action for e, _p, _l in by_user] == ["pii.viewed"]
    assert len(by_case) == 2
    assert other_day == []


def test_the_access_log_query_count(client, case, agent, compliance_officer, django_assert_max_num_queries):
    for _ in range(5):
        case_services.pii_reveal(case=case, actor=agent, field="id_number")
    client.force_login(compliance_officer)
    # session, user, user and group permissions, the page of events, their actors, the user's roles,
    # the session renewal (savepoint, update, release)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("compliance:access-log")).status_code == 200


# --- decisions by pack and version --------------------------------------------------------------------------


def test_decisions_list_by_pack_version_and_outcome(client, world, compliance_officer):
    client.force_login(compliance_officer)

    everything = client.get(reverse("compliance:decision-list")).context["decisions"]
    overridden = client.get(reverse("compliance:decision-list"), {"outcome": "overridden"}).context[
        "decisions"
    ]
    version_two = client.get(
        reverse("compliance:decision-list"), {"pack": "cn-default", "version": 2}
    ).context["decisions"]

    assert [d.pk for d in everything] == [world["override"].pk, world["refused"].pk]
    assert [d.pk for d in overridden] == [world["override"].pk]
    assert version_two == []


def test_the_pack_page_links_to_its_decisions(client, compliance_officer):
    client.force_login(compliance_officer)

    body = client.get(reverse("compliance:rulepack-detail", args=["cn-default", 1])).content.decode()

    assert reverse("compliance:decision-list") + "?pack=cn-default&amp;version=1" in body


def test_decisions_list_pages_back_by_id(client, case, agent, compliance_officer):
    made = [decision(case=case, actor=agent) for _ in range(55)]
    client.force_login(compliance_officer)

    first = client.get(reverse("compliance:decision-list"))
    second = client.get(reverse("compliance:decision-list"), {"before": first.context["older"]})

    assert len(first.context["decisions"]) == 50
    assert [d.pk for d in second.context["decisions"]] == [d.pk for d in reversed(made[:5])]
    assert second.context["older"] is None


def test_decisions_list_query_count(client, world, compliance_officer, django_assert_max_num_queries):
    client.force_login(compliance_officer)
    # session, user, user and group permissions, pack codes (filter), the decisions with pack and actor,
    # the user's roles, the session renewal (savepoint, update, release)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("compliance:decision-list")).status_code == 200


# --- nobody else --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
@pytest.mark.parametrize("name", ["exceptions", "exceptions-csv", "agents", "access-log", "decision-list"])
def test_other_roles_get_404(client, request, role, name):
    client.force_login(request.getfixturevalue(role))
    head = audit_head()

    assert client.get(reverse(f"compliance:{name}")).status_code == 404
    assert audit_head() == head
