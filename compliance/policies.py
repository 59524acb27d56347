"""Who may read the audit trail."""

from typing import Any


def can_view_audit(user: Any) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.is_active
        and user.has_perm("compliance.view_auditevent")
    )


def can_view_complaints(user: Any) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.is_active
        and user.has_perm("compliance.view_complaint")
    )
