"""The database protects the audit log by itself (issue 21 point 4), on PostgreSQL: a TRUNCATE trigger,
a role for the application that may only INSERT and SELECT the audit table, and the deploy check that
warns when the application connects as the owner or a superuser. Each test runs in a transaction that is
rolled back, roles included."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from compliance import audit
from compliance.checks import audit_table_role_check
from compliance.db import TABLE

# ruff: noqa: S608 (the table name is a constant, not input)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles and TRUNCATE triggers"),
]
APP_ROLE = "fl_test_app_role"


def refused(statement: str) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    return str(caught.value)


@pytest.fixture
def app_role(db):  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    call_command("db_grant_app_role", role=APP_ROLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP_ROLE}")
    yield APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_truncate_is_refused_even_to_the_owner():
    audit.record(actor=None, action="test.recorded", data={})
    assert "TRUNCATE refused" in refused(f"TRUNCATE {TABLE}")
    assert "TRUNCATE refused" in refused(f"TRUNCATE {TABLE} CASCADE")


def test_the_application_role_may_only_insert_and_select_the_log(app_role):
    audit.record(actor=None, action="test.recorded", data={})  # INSERT (and the chain's SELECT) allowed
    for statement in (
        f"UPDATE {TABLE} SET action = 'x'",
        f"DELETE FROM {TABLE}",
        f"TRUNCATE {TABLE}",
        f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
    ):
        assert "denied" in refused(statement) or "must be owner" in refused(statement), statement
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_creditor SET name = name")  # other tables stay writable


def test_the_deploy_check_warns_about_a_superuser_or_the_owner(settings):
    settings.AUDIT_ROLE_CHECK = True
    (warning,) = audit_table_role_check()
    assert warning.id == "fieldledger.W100"
    assert "superuser" in warning.msg
    settings.AUDIT_ROLE_CHECK = False
    assert audit_table_role_check() == []


def test_the_deploy_check_is_quiet_for_the_application_role(settings, app_role):
    settings.AUDIT_ROLE_CHECK = True
    assert audit_table_role_check() == []


def test_flush_cannot_empty_the_log_unless_the_settings_allow_it(settings):
    audit.record(actor=None, action="test.recorded", data={})
    settings.AUDIT_FLUSH_ALLOWED = False
    with pytest.raises(CommandError, match="couldn't be flushed") as caught, transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert "TRUNCATE refused" in str(caught.value.__cause__)


@pytest.mark.django_db(transaction=True)
def test_the_test_settings_flush_empties_the_log():
    audit.record(actor=None, action="test.recorded", data={})
    call_command("flush", interactive=False, verbosity=0)  # as TransactionTestCase does after each test
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        assert cursor.fetchone() == (0,)
