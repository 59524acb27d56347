"""Role fixtures: one team with a supervisor and two agents, another team, a compliance officer, an admin."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
import time_machine
from django.conf import settings

from accounts.models import Role
from tests.factories import CaseFactory, CreditorFactory, MandateFactory, TeamFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _no_stray_database_sessions(request):  # type: ignore[no-untyped-def]
    """On PostgreSQL, end the test database's other sessions before pytest-django drops it.

    A live-server request thread still parked on a browser's keep-alive socket when the server stops,
    or a Celery test worker's thread, can leave a connection open; DROP DATABASE then fails with
    "being accessed by other users" and leaves the database behind. Set up first, this is torn down
    after the live server and the workers, just before the database is dropped.
    """
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        yield
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    yield
    from django.db import connection

    with blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    return TeamFactory(code="north", name="North")


@pytest.fixture
def other_team(db):  # type: ignore[no-untyped-def]
    return TeamFactory(code="south", name="South")


@pytest.fixture
def supervisor(team):  # type: ignore[no-untyped-def]
    return UserFactory(username="sup", full_name="Supervisor Wang", team=team, roles=[Role.SUPERVISOR])


@pytest.fixture
def agent(team):  # type: ignore[no-untyped-def]
    return UserFactory(username="agent1", full_name="Agent Li", team=team, roles=[Role.FIELD_AGENT])


@pytest.fixture
def other_agent(team):  # type: ignore[no-untyped-def]
    """Same team, not assigned to the case."""
    return UserFactory(username="agent2", full_name="Agent Zhao", team=team, roles=[Role.FIELD_AGENT])


@pytest.fixture
def other_supervisor(other_team):  # type: ignore[no-untyped-def]
    return UserFactory(username="sup2", full_name="Supervisor Chen", team=other_team, roles=[Role.SUPERVISOR])


@pytest.fixture
def other_team_agent(other_team):  # type: ignore[no-untyped-def]
    return UserFactory(username="agent3", full_name="Agent Sun", team=other_team, roles=[Role.FIELD_AGENT])


@pytest.fixture
def compliance_officer(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="co", full_name="Officer Liu", roles=[Role.COMPLIANCE_OFFICER])


@pytest.fixture
def second_officer(db):  # type: ignore[no-untyped-def]
    """Another compliance officer: the second pair of eyes on a rule-pack change."""
    return UserFactory(username="co2", full_name="Officer Zhang", roles=[Role.COMPLIANCE_OFFICER])


@pytest.fixture
def administrator(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="admin1", full_name="Admin Zhou", roles=[Role.ADMINISTRATOR])


@pytest.fixture
def creditor(db):  # type: ignore[no-untyped-def]
    return CreditorFactory(code="hzbank", name="Hangzhou Consumer Finance")


@pytest.fixture
def mandate(creditor):  # type: ignore[no-untyped-def]
    return MandateFactory(creditor=creditor)


@pytest.fixture
def case(creditor, mandate, team, supervisor, agent):  # type: ignore[no-untyped-def]
    """A new case of `team`, supervised by `supervisor`, assigned to `agent` only."""
    return CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent])


@pytest.fixture
def all_roles(
    supervisor, agent, other_agent, other_supervisor, other_team_agent, compliance_officer, administrator
):  # type: ignore[no-untyped-def]
    return {
        "supervisor": supervisor,
        "agent": agent,
        "other_agent": other_agent,
        "other_supervisor": other_supervisor,
        "other_team_agent": other_team_agent,
        "compliance_officer": compliance_officer,
        "administrator": administrator,
    }


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _english_by_default():  # type: ignore[no-untyped-def]
    """LocaleMiddleware leaves the last request's language active in the test thread; a test that
    requests a page in Chinese must not change the language of the next test's messages."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


# Every test runs on the same calendar: 2026-11-23 12:00 UTC (20:00 in Shanghai), the clock ticking
# from there. Fixtures plan visits on fixed dates; without this, tests would start failing once the
# real date passes them (or depending on the hour of day a CI run happens at).
FROZEN_START = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_calendar():  # type: ignore[no-untyped-def]
    with time_machine.travel(FROZEN_START, tick=True):
        yield


@pytest.fixture
def shipped_rule_packs(db):  # type: ignore[no-untyped-def]
    """The rule packs the data migrations ship, back after another transactional test's flush emptied
    them (pytest-django's flush keeps no migration data; serialized rollback clashes with the role groups
    that post_migrate recreates). Later migrations that ship packs should be added here."""
    import importlib

    from django.apps import apps

    for name in ("0004_shipped_rule_packs", "0010_shipped_packs_limitation_gentler"):
        importlib.import_module(f"compliance.migrations.{name}").create(apps, None)
