"""Role × action for the API's own policies: administrators manage keys, tokens and webhooks; tokens
are for the roles that work cases."""

from __future__ import annotations

import pytest

from accounts.services import system_user
from api import policies

pytestmark = pytest.mark.django_db

ACTIONS = (
    "can_create_api_key",
    "can_revoke_api_key",
    "can_manage_webhooks",
    "can_retry_deliveries",
    "may_hold_token",
)
MATRIX = {
    "administrator": (True, True, True, True, False),
    "supervisor": (False, False, False, False, True),
    "agent": (False, False, False, False, True),
    "compliance_officer": (False, False, False, False, True),
}


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("action", ACTIONS)
def test_role_action_matrix(all_roles, role, action):
    user = all_roles[role]

    assert getattr(policies, action)(user) is MATRIX[role][ACTIONS.index(action)]


def test_the_service_account_manages_keys_but_holds_no_token(db):
    user = system_user()

    assert policies.can_create_api_key(user)
    assert policies.can_manage_webhooks(user)
    assert not policies.may_hold_token(user)


def test_an_inactive_administrator_manages_nothing(administrator):
    administrator.is_active = False

    assert not any(getattr(policies, action)(administrator) for action in ACTIONS)


def test_a_token_is_revoked_by_its_user_or_an_administrator(agent, other_agent, administrator):
    from api import services

    token = services.user_token_issue(user=agent, actor=agent).credential

    assert policies.can_revoke_token(agent, token)
    assert policies.can_revoke_token(administrator, token)
    assert not policies.can_revoke_token(other_agent, token)
