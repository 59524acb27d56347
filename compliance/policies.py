"""Who may use the compliance workspace: the audit trail and its exports, complaints and disputes, alerts,
the reports (exceptions, agents, access log), retention and legal holds, rule packs and decisions.

Each answer is a role permission (accounts/roles.py gives them to compliance officers; supervisors and
field agents hold only `add_complaint` and `export_dossier`, which the cases policies combine with the
case's object permissions). A user without the right gets 404 from every page of the workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps

from .models import RuleDecision


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


def can_export_audit(user: Any) -> bool:
    return _active(user) and user.has_perm("compliance.export_auditevent")


def can_view_workspace(user: Any) -> bool:
    """The dashboard and the reports (exceptions, agents, access log, decisions): compliance officers."""
    return can_view_audit(user)


def can_resolve_complaints(user: Any) -> bool:
    """Acknowledge and resolve complaints and disputes (releasing a case's hold): compliance officers."""
    return _active(user) and user.has_perm("compliance.resolve_complaint")


def can_record_complaints(user: Any) -> bool:
    """The role may record complaints at all (which cases: cases.policies.can_record_complaint)."""
    return _active(user) and user.has_perm("compliance.add_complaint")


def can_acknowledge_alerts(user: Any) -> bool:
    return _active(user) and user.has_perm("compliance.acknowledge_alert")


def can_view_retention(user: Any) -> bool:
    return _active(user) and user.has_perm("compliance.view_legalhold")


def can_manage_legal_holds(user: Any) -> bool:
    return _active(user) and user.has_perm("compliance.manage_legalhold")


def can_export_dossier_role(user: Any) -> bool:
    """The role may export dossiers (which cases: cases.policies.can_export_dossier)."""
    return _active(user) and user.has_perm("compliance.export_dossier")


# --- rule packs and decisions ------------------------------------------------------------------


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def can_view_packs(user: Any) -> bool:
    return _active(user) and user.has_perm("compliance.view_rulepack")


def can_manage_packs(user: Any) -> bool:
    """Compliance officers: stricter copies and new versions."""
    return _active(user) and user.has_perm("compliance.manage_rulepack")


def can_bind_creditor(user: Any) -> bool:
    """Administrators (who manage creditors) and compliance officers."""
    return _active(user) and (
        user.has_perm("cases.change_creditor") or user.has_perm("compliance.manage_rulepack")
    )


def can_view_all_decisions(user: Any) -> bool:
    return _active(user) and user.has_perm("compliance.view_ruledecision")


# --- decisions as users may see them --------------------------------------------------------------


def decision_visible_to(
    user: Any, decision: RuleDecision, *, can_view_case: Callable[[Any, Any], bool]
) -> bool:
    """Compliance officers see every decision; others only a decision on a case they can see.

    `can_view_case` is the cases app's policy, passed in by the caller (compliance imports no stage app).
    """
    if can_view_all_decisions(user):
        return True
    if not _active(user) or decision.case_id is None:
        return False
    Case = apps.get_model("cases", "Case")
    case = Case.objects.filter(pk=decision.case_id).first()
    return case is not None and can_view_case(user, case)


def can_approve_pack_change(user: Any, change: Any) -> bool:
    """Four eyes: a compliance officer other than the one who asked for the change."""
    return can_manage_packs(user) and change.requested_by_id != user.pk
