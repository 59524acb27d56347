"""The OpenAPI schema and its docs page, and schemathesis against the WSGI app.

schemathesis generates requests from the schema for every operation (a modest example budget, so
the suite stays fast), sends them authenticated (a creditor key to creditor endpoints, a supervisor's
token to the others) and checks every answer: no server error, a status code and a body the schema
documents, the documented content type and headers, schema-violating input refused.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import reverse
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import key_for, user_client
from tests.factories import TODAY, CaseFactory, make_verifiable

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_in_yaml_and_json(client):
    yaml_response = client.get("/api/v1/schema/")
    json_response = client.get("/api/v1/schema/?format=json")

    assert yaml_response.status_code == json_response.status_code == 200
    assert yaml_response.content.startswith(b"openapi: 3.")
    schema = json_response.json()
    assert set(schema["components"]["securitySchemes"]) == {"creditorApiKey", "userToken"}
    placements = schema["paths"]["/api/v1/creditor/placements/"]["post"]
    assert placements["security"] == [{"creditorApiKey": []}]
    assert set(placements["responses"]) >= {"201", "401", "409", "422", "429"}
    approve = schema["paths"]["/api/v1/visits/{id}/approve/"]["post"]
    assert approve["security"] == [{"userToken": []}]
    assert set(approve["responses"]) >= {"200", "401", "403", "404", "409", "422", "429"}


def test_the_docs_page_loads_nothing_from_the_internet(client):
    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script=")

    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "<script>" not in html  # the initializer is a separate file (a strict CSP later)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


# --- schemathesis -------------------------------------------------------------------------------


@pytest.fixture
def test_transaction_kept():  # type: ignore[no-untyped-def]
    """A WSGI request ends with `close_old_connections`, which on PostgreSQL would close the test's
    connection (and its transaction); Django's own test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(creditor, mandate, team, supervisor, agent, other_agent, settings, test_transaction_kept):  # type: ignore[no-untyped-def]
    """Some cases, one verified with a planned visit, a creditor key and a supervisor's token."""
    settings.API_RATE_CREDITOR_KEY = settings.API_RATE_USER_TOKEN = settings.API_RATE_TOKEN_REQUESTS = (
        "100000/minute"
    )
    creditor.default_supervisor = supervisor
    creditor.save()
    cases = [
        CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent])
        for _ in range(3)
    ]
    make_verifiable(cases[0], agent)
    from cases import services as case_services

    case_services.case_verify(case=cases[0], actor=agent, today=TODAY)
    _key, secret = key_for(creditor)
    _CREDENTIALS["creditor"] = f"Api-Key {secret}"
    _CREDENTIALS["user"] = user_client(supervisor)._credentials["HTTP_AUTHORIZATION"]
    yield _CREDENTIALS
    _CREDENTIALS.clear()


# Loaded at collection from the app itself (generating the schema touches no database). Not through
# `schemathesis.pytest.from_fixture`: its lazy loader relies on a pytest internal that pytest 9 removed.
# Logging out is left out: it would revoke the token the other operations use (tests/api/test_auth.py).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application()).exclude(
    path="/api/v1/auth/logout/"
)


_CREDENTIALS: dict[str, str] = {}


@schema.auth(refresh_interval=None)  # the credentials are made anew for each test (api_world)
class Credentials:
    """A creditor key for creditor endpoints, a supervisor's token for the others. Declared as the
    schema's auth, so that schemathesis knows every request carries one (and tests 401 itself)."""

    def get(self, case, context):  # type: ignore[no-untyped-def]
        return _CREDENTIALS.get("creditor" if case.path.startswith("/api/v1/creditor/") else "user", "")

    def set(self, case, data, context):  # type: ignore[no-untyped-def]
        case.headers = {**(case.headers or {}), "Authorization": data}


@schema.parametrize()
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_its_schema_says_and_never_500(case, api_world):
    # A schema-valid body may still be refused with 422 for what only the server knows (a placement
    # row's check digit, an unknown user id): documented, so positive_data_acceptance does not apply.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


def test_the_schema_documents_every_api_url(client):
    from tests.api.test_matrix import api_object_urls

    paths = json.loads(client.get("/api/v1/schema/?format=json").content)["paths"]
    documented = {p.replace("{id}", "1") for p in paths}
    for name in api_object_urls():
        assert reverse(name, args=[1]) in documented, name
