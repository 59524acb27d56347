"""Template flags for the navigation: which roles the signed-in user holds."""

from typing import Any

from .models import Role
from .policies import requires_two_factor
from .roles import roles_of


def roles(request: Any) -> dict[str, Any]:
    held = roles_of(getattr(request, "user", None))
    return {
        "user_roles": held,
        "is_supervisor": Role.SUPERVISOR in held,
        "is_field_agent": Role.FIELD_AGENT in held,
        "is_compliance_officer": Role.COMPLIANCE_OFFICER in held,
        "is_administrator": Role.ADMINISTRATOR in held,
        "uses_two_factor": requires_two_factor(getattr(request, "user", None)),
    }
