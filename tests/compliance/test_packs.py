"""Rule-pack services: stricter copies, new versions (old rows never change), creditor bindings."""

from __future__ import annotations

import datetime as dt

import pytest

from common.errors import DomainError, PermissionRefused
from compliance.models import RulePack
from compliance.packs import (
    creditor_bind_pack,
    pack_create_stricter_copy,
    pack_families,
    pack_new_version,
    parameters_of,
)
from tests.factories import CreditorFactory, audit_actions_since, audit_events_since, audit_head
from visits.selectors import current_pack

pytestmark = pytest.mark.django_db

# The shipped packs: cn-default, us and uk, each in version 1 (migration 0004) and version 2 (0010:
# limitation interruptions and GENTLER_FIRST).
SHIPPED_ROWS = 6


@pytest.fixture
def cn():  # type: ignore[no-untyped-def]
    return RulePack.objects.get(code="cn-default", version=1)


STRICTER = {
    "contact_window_start": dt.time(8, 30),
    "contact_window_end": dt.time(21),  # the house option of COMPLIANCE.md
    "min_agents": 3,
    "notice_lead_hours": 48,
    "visit_cap": 1,
    "visit_cap_window_days": 30,  # same or lower cap over a longer window: stricter
    "phone_unanswered_per_day": 3,
    "retention_years": 5,  # retention is a minimum: longer is allowed
    "limitation_years": 2,  # the LIMITATION warning comes earlier
    "overridable": ["VISIT_FREQUENCY"],  # fewer overrides
}


def test_a_stricter_copy_is_version_one_of_a_new_code(cn, compliance_officer):
    head = audit_head()

    copy = pack_create_stricter_copy(
        base=cn, code="hzbank-strict", name="Hangzhou, stricter", changes=STRICTER, actor=compliance_officer
    )

    copy.refresh_from_db()
    assert (copy.code, copy.version, copy.name) == ("hzbank-strict", 1, "Hangzhou, stricter")
    assert copy.based_on == cn
    assert copy.jurisdiction == "CN"
    assert copy.created_by == compliance_officer
    for name, value in STRICTER.items():
        assert getattr(copy, name) == value, name
    assert copy.notice_required is True  # unchanged values come from the base
    assert copy.phone_connected_per_day == cn.phone_connected_per_day
    assert copy.sources["based_on"] == "cn-default v1"
    assert "stricter than cn-default v1" in copy.sources["min_agents"]
    assert copy.sources["limitation"] != ""

    assert audit_actions_since(head) == ["rulepack.created"]
    (event,) = audit_events_since(head)
    assert (event.object_type, event.object_id) == ("compliance.rulepack", str(copy.pk))
    assert event.data["based_on"] == ["cn-default", 1]
    assert event.data["changed"] == sorted(STRICTER)
    assert event.data["parameters"]["contact_window_end"] == "21:00"
    assert event.data["parameters"]["min_agents"] == 3
    assert event.data["parameters"]["overridable"] == ["VISIT_FREQUENCY"]


def test_an_identical_copy_is_allowed(cn, compliance_officer):
    head = audit_head()
    copy = pack_create_stricter_copy(base=cn, code="same", name="Same", changes={}, actor=compliance_officer)
    assert parameters_of(copy) == parameters_of(cn)
    assert audit_events_since(head)[0].data["changed"] == []


@pytest.mark.parametrize(
    ("name", "value", "label", "rule"),
    [
        ("contact_window_start", dt.time(7, 59), "contact window starts", "CONTACT_WINDOW"),
        ("contact_window_end", dt.time(22, 1), "contact window ends", "CONTACT_WINDOW"),
        ("min_agents", 1, "minimum agents", "MIN_AGENTS"),
        ("notice_required", False, "prior notice required", "NOTICE_LEAD_TIME"),
        ("notice_lead_hours", 23, "notice lead time", "NOTICE_LEAD_TIME"),
        ("visit_cap", 3, "visits allowed", "VISIT_FREQUENCY"),
        ("visit_cap_window_days", 6, "rolling window", "VISIT_FREQUENCY"),
        ("phone_unanswered_per_day", 7, "unanswered calls", "PHONE_ATTEMPTS"),
        ("phone_connected_per_day", 4, "connected conversations", "PHONE_ATTEMPTS"),
        ("phone_calls_per_7_days", 43, "calls per 7 days", "PHONE_ATTEMPTS"),
        ("retention_years", 1, "retention", "RETENTION"),
        ("limitation_years", 4, "limitation period", "LIMITATION"),
        ("overridable", None, "checks a supervisor", "OVERRIDE"),  # the base's codes + CONTACT_WINDOW
    ],
)
def test_each_less_strict_change_is_refused_naming_field_and_rule(
    cn, compliance_officer, name, value, label, rule
):
    if name == "overridable":
        value = [*cn.overridable, "CONTACT_WINDOW"]  # one more override than the base allows
    head = audit_head()

    with pytest.raises(DomainError) as error:
        pack_create_stricter_copy(
            base=cn, code="loose", name="Loose", changes={name: value}, actor=compliance_officer
        )

    (failure,) = error.value.failures
    assert failure.code == "PACK_LESS_STRICT"
    assert failure.field == name
    assert label in str(failure.message)
    assert rule in str(failure.message)
    assert str(failure.source)
    assert not RulePack.objects.filter(code="loose").exists()
    assert audit_actions_since(head) == []


def test_every_less_strict_field_is_named_at_once(cn, compliance_officer):
    changes = {"min_agents": 1, "visit_cap": 5, "contact_window_end": dt.time(23), "retention_years": 3}
    with pytest.raises(DomainError) as error:
        pack_create_stricter_copy(
            base=cn, code="loose", name="Loose", changes=changes, actor=compliance_officer
        )
    assert sorted(f.field for f in error.value.failures) == ["contact_window_end", "min_agents", "visit_cap"]


@pytest.mark.parametrize(
    ("code", "changes", "expected", "field"),
    [
        ("us", {}, "PACK_CODE_TAKEN", "code"),
        ("Not a slug!", {}, "PACK_INVALID", "code"),
        (
            "tight",
            {"contact_window_start": dt.time(21, 30), "contact_window_end": dt.time(21)},
            "PACK_INVALID",
            "contact_window_start",
        ),
        ("tight", {"jurisdiction": "US"}, "PACK_UNKNOWN_FIELD", "jurisdiction"),
        ("tight", {"overridable": ["NO_SUCH_RULE"]}, "PACK_UNKNOWN_FIELD", "overridable"),
    ],
)
def test_copy_refusals(cn, compliance_officer, code, changes, expected, field):
    head = audit_head()
    with pytest.raises(DomainError) as error:
        pack_create_stricter_copy(base=cn, code=code, name="X", changes=changes, actor=compliance_officer)
    assert [(f.code, f.field) for f in error.value.failures] == [(expected, field)]
    assert audit_actions_since(head) == []


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_only_compliance_officers_create_or_version_packs(request, cn, role):
    user = request.getfixturevalue(role)
    head = audit_head()
    with pytest.raises(PermissionRefused):
        pack_create_stricter_copy(base=cn, code="mine", name="Mine", changes={}, actor=user)
    with pytest.raises(PermissionRefused):
        pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=user)
    assert RulePack.objects.count() == SHIPPED_ROWS
    assert audit_actions_since(head) == []


# --- new versions --------------------------------------------------------------------------------


def test_a_new_version_is_a_new_row_and_the_old_one_stays(cn, compliance_officer):
    before = parameters_of(cn)
    head = audit_head()

    v2 = pack_new_version(
        pack_code="cn-default", changes={"contact_window_end": dt.time(21)}, actor=compliance_officer
    )
    v3 = pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=compliance_officer)

    assert (v2.version, v3.version) == (3, 4)
    assert v3.contact_window_end == dt.time(21)  # built on the newest version
    assert v3.created_by == compliance_officer
    cn.refresh_from_db()
    assert parameters_of(cn) == before
    assert current_pack("cn-default") == v3
    assert "changed in v3" in v2.sources["contact_window"]
    assert audit_actions_since(head) == ["rulepack.versioned", "rulepack.versioned"]
    event = audit_events_since(head)[1]
    assert event.data["previous"] == 3
    assert event.data["version"] == 4
    assert event.data["changed"] == ["min_agents"]
    assert event.object_id == str(v3.pk)


def test_a_version_of_a_copy_stays_at_least_as_strict_as_its_base(cn, compliance_officer):
    copy = pack_create_stricter_copy(
        base=cn, code="strict", name="Strict", changes={"min_agents": 3}, actor=compliance_officer
    )
    v2 = pack_new_version(pack_code="strict", changes={"min_agents": 4}, actor=compliance_officer)
    assert v2.based_on == cn
    with pytest.raises(DomainError) as error:
        pack_new_version(pack_code="strict", changes={"min_agents": 1}, actor=compliance_officer)
    assert [(f.code, f.field) for f in error.value.failures] == [("PACK_LESS_STRICT", "min_agents")]
    assert copy.based_on == cn


def test_a_shipped_pack_may_be_versioned_by_a_compliance_officer(compliance_officer):
    # The shipped packs encode the sources; when a source changes the officer records it as a version.
    v2 = pack_new_version(pack_code="us", changes={"phone_calls_per_7_days": 6}, actor=compliance_officer)
    assert v2.phone_calls_per_7_days == 6  # tighter: in force at once


@pytest.mark.parametrize(
    ("code", "changes", "expected"),
    [
        ("cn-default", {}, "PACK_NO_CHANGE"),
        ("cn-default", {"min_agents": 2}, "PACK_NO_CHANGE"),  # the same value is no change
        ("nope", {"min_agents": 3}, "PACK_UNKNOWN"),
        ("cn-default", {"version": 7}, "PACK_UNKNOWN_FIELD"),
    ],
)
def test_version_refusals(compliance_officer, code, changes, expected):
    head = audit_head()
    with pytest.raises(DomainError) as error:
        pack_new_version(pack_code=code, changes=changes, actor=compliance_officer)
    assert error.value.codes == [expected]
    assert audit_actions_since(head) == []
    assert RulePack.objects.count() == SHIPPED_ROWS


def test_families_group_versions_and_creditors(cn, compliance_officer, creditor):
    pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=compliance_officer)
    families = {f.code: f for f in pack_families()}
    assert [p.version for p in families["cn-default"].versions] == [3, 2, 1]
    assert families["cn-default"].current.version == 3
    assert creditor in families["cn-default"].creditors
    assert families["us"].creditors == []


# --- binding a creditor ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["compliance_officer", "administrator"])
def test_bind_a_creditor(request, creditor, role):
    # A pack of the same jurisdiction, at least as strict as the one in force: it takes effect at once.
    pack_create_stricter_copy(
        base=RulePack.objects.filter(code="cn-default").order_by("-version").first(),
        code="cn-strict",
        name="Stricter",
        changes={"min_agents": 3},
        actor=request.getfixturevalue("second_officer"),
    )
    actor = request.getfixturevalue(role)
    head = audit_head()

    creditor_bind_pack(creditor=creditor, pack_code="cn-strict", actor=actor)

    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-strict"
    assert creditor.history.first().history_user == actor
    assert audit_actions_since(head) == ["creditor.rule_pack_bound"]
    (event,) = audit_events_since(head)
    assert (event.object_type, event.object_id) == ("cases.creditor", str(creditor.pk))
    assert event.data == {
        "creditor": creditor.code,
        "from": "cn-default",
        "to": "cn-strict",
        "current_version": 1,
    }


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_others_may_not_bind(request, creditor, role):
    actor = request.getfixturevalue(role)
    head = audit_head()
    with pytest.raises(PermissionRefused):
        creditor_bind_pack(creditor=creditor, pack_code="uk", actor=actor)
    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-default"
    assert audit_actions_since(head) == []


@pytest.mark.parametrize(
    ("pack_code", "expected"), [("nope", "PACK_UNKNOWN"), ("cn-default", "PACK_ALREADY_BOUND")]
)
def test_bind_refusals(compliance_officer, pack_code, expected):
    creditor = CreditorFactory()
    head = audit_head()
    with pytest.raises(DomainError) as error:
        creditor_bind_pack(creditor=creditor, pack_code=pack_code, actor=compliance_officer)
    assert error.value.codes == [expected]
    assert audit_actions_since(head) == []
