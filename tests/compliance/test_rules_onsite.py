"""The on-site checks as pure functions: credentials, identity before disclosure, entry, conduct."""

from __future__ import annotations

import dataclasses

import pytest
from django.utils import translation

from compliance.rules.onsite import ONSITE_CHECKS_BY_MOMENT, OnSiteFacts, check_onsite, distance_m

GOOD = OnSiteFacts(
    agent_ids=(1, 2),
    agent_names={1: "Agent Li", 2: "Agent Zhao"},
    work_ids_shown=(1, 2),
    authorization_shown=True,
    purpose_stated=True,
    relation="debtor",
    identification="id_card",
    id_match=True,
    entry="doorstep",
    checks_confirmed=True,
    attested=(1, 2),
)


def codes(moment: str, **changes) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in check_onsite(moment=moment, facts=dataclasses.replace(GOOD, **changes))]


def test_everything_shown_and_the_debtor_identified_passes_every_moment():
    for moment in ONSITE_CHECKS_BY_MOMENT:
        assert codes(moment) == []


def test_each_missing_credential_is_its_own_failure_naming_the_agent():
    failures = check_onsite(
        moment="conversation",
        facts=dataclasses.replace(GOOD, work_ids_shown=(1,), authorization_shown=False, purpose_stated=False),
    )

    assert [(f.code, f.field) for f in failures] == [
        ("CREDENTIALS_SHOWN", "work_ids_shown"),
        ("CREDENTIALS_SHOWN", "authorization_shown"),
        ("CREDENTIALS_SHOWN", "purpose_stated"),
    ]
    assert "Agent Zhao" in str(failures[0].message)


@pytest.mark.parametrize(
    "changes",
    [
        {"checks_confirmed": False},
        {"relation": "family"},
        {"relation": "nobody"},
        {"identification": "not_identified"},
        {"identification": ""},
        {"id_match": False},
    ],
)
def test_no_disclosure_unless_the_debtor_is_identified(changes):
    assert codes("conversation", **changes) == ["IDENTITY_BEFORE_DISCLOSURE"]


def test_credentials_are_checked_when_the_checks_are_confirmed_unless_nobody_was_met():
    assert codes("checks", authorization_shown=False) == ["CREDENTIALS_SHOWN"]
    assert codes("checks", relation="nobody", authorization_shown=False, work_ids_shown=()) == []


def test_known_from_prior_contact_identifies_without_a_document():
    assert codes("conversation", identification="known", id_match=None) == []


@pytest.mark.parametrize(
    ("entry", "consent", "refused"),
    [("inside", False, True), ("inside", True, False), ("doorstep", False, False)],
)
def test_inside_the_home_only_with_consent(entry, consent, refused):
    assert codes("checks", entry=entry, entry_consent=consent) == (["ENTRY_CONSENT"] if refused else [])


def test_every_agent_attests_before_completion():
    assert codes("complete", attested=(1,)) == ["CONDUCT_ATTESTED"]
    assert codes("complete", attested=()) == ["CONDUCT_ATTESTED", "CONDUCT_ATTESTED"]


def test_a_visit_without_the_debtor_completes_on_attestations_alone():
    assert codes("complete", relation="nobody", identification="", work_ids_shown=()) == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_failure_has_a_message_and_source_in_both_languages(language):
    bad = dataclasses.replace(
        GOOD, work_ids_shown=(), authorization_shown=False, entry="inside", attested=(), relation="other"
    )
    with translation.override(language):
        for moment in ONSITE_CHECKS_BY_MOMENT:
            for failure in check_onsite(moment=moment, facts=bad):
                assert str(failure.message).strip()
                assert str(failure.source).strip()
                assert not failure.overridable


def test_the_trace_holds_ids_and_answers_only():
    trace = GOOD.as_trace()

    assert trace["agents"] == [1, 2]
    assert "Agent Li" not in str(trace)


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((31.1885, 121.4365), (31.1885, 121.4365), 0),
        ((31.0, 121.0), (31.009, 121.0), 1001),
        ((0.0, 0.0), (0.0, 1.0), 111195),
    ],
)
def test_distance_on_the_sphere(a, b, metres):
    assert abs(distance_m(*a, *b) - metres) <= 1
