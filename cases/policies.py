"""Who may see and do what on cases. Every view, selector and service asks here.

Who sees a case, and who holds `view_case`/`change_case` on it, is `cases.visibility` (indexed scopes:
the team's supervisors, the assigned agents, compliance officers, explicit shares); the names below
(`cases_visible_to`, `can_view`, ...) are its public face. What an actor may *do* is the role's global
permission (e.g. `cases.verify_case`) AND `change_case` on that case. Compliance officers hold the global
`cases.view_case` (read-only, everything). Administrators manage users and creditors and see no cases.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.roles import is_service
from common.errors import PermissionRefused

from . import visibility
from .models import Case


def _global(user: Any, perm: str) -> bool:
    # ModelBackend only (no object): role permissions.
    return bool(user.is_active) and user.has_perm(perm)


def _object_perm(user: Any, codename: str, case: Case) -> bool:
    return visibility.holds(user, codename, case)


def remember_object_perms(user: Any, case: Case, codenames: set[str], *, assigned: bool = False) -> None:
    """The explicit object permissions `user` holds on `case` (their own and their groups') and whether
    they are assigned, read by a selector together with the page's other rows: later checks on this case
    in this request need no query."""
    visibility.remember(user, case, explicit=codenames, assigned=assigned)


def sees_all_cases(user: Any) -> bool:
    return visibility.sees_everything(user)


def cases_visible_to(user: Any) -> QuerySet[Case]:
    return visibility.visible_to(user)


def can_view(user: Any, case: Case) -> bool:
    return visibility.can_view(user, case)


def is_closed(case: Case) -> bool:
    """A closed case is read-only until a supervisor reopens it (agreements/services/closure.py)."""
    return case.stage == "closed"


def can_work_on(user: Any, case: Case) -> bool:
    """May record facts on the case: documents, addresses, identity check, assessment."""
    if is_service(user):
        return True
    return (
        not is_closed(case) and _global(user, "cases.work_case") and _object_perm(user, "change_case", case)
    )


def can_verify(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return (
        not is_closed(case) and _global(user, "cases.verify_case") and _object_perm(user, "change_case", case)
    )


def can_assign(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return (
        not is_closed(case) and _global(user, "cases.assign_case") and _object_perm(user, "change_case", case)
    )


def can_share(user: Any, case: Case) -> bool:
    """Share a case explicitly (cases.services.case_share): whoever may assign agents on it."""
    return can_assign(user, case)


def can_assign_somewhere(user: Any) -> bool:
    """The role may assign agents (on the cases of its team): worth reading the assignable agents."""
    return is_service(user) or _global(user, "cases.assign_case")


def can_bulk_assign(user: Any) -> bool:
    """May open the bulk assign and supervisor actions (each case is checked again by `can_assign`)."""
    return can_assign_somewhere(user)


def can_save_filters(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and not is_service(user)


def can_view_full_pii(user: Any, case: Case) -> bool:
    return _global(user, "cases.view_full_pii") and can_view(user, case)


def can_import(user: Any) -> bool:
    return is_service(user) or _global(user, "cases.import_cases")


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        from django.utils.translation import gettext_lazy as _

        raise PermissionRefused.because(message or _("Your role does not allow this action on this case."))


# --- complaints, disputes and dossiers (the compliance workspace's case-side checks) ---------------


def is_team_supervisor(user: Any, case: Case) -> bool:
    """A supervisor of the case's team (the supervisors group holds `change_case` on its cases)."""
    return _global(user, "cases.assign_case") and _object_perm(user, "change_case", case)


def can_record_complaint(user: Any, case: Case) -> bool:
    """Record a complaint or a dispute on the case: its supervisors and agents, compliance officers."""
    if is_service(user):
        return True
    return _global(user, "compliance.add_complaint") and can_view(user, case)


def can_record_complaint_unlinked(user: Any) -> bool:
    return is_service(user) or _global(user, "compliance.add_complaint")


def can_resolve_complaint(user: Any, case: Case | None) -> bool:
    """Resolve (and so release a dispute's hold): compliance officers only."""
    allowed = _global(user, "compliance.resolve_complaint")
    return allowed and (case is None or can_view(user, case))


DOSSIER_PROFILES_OFFICER = ("regulator", "creditor", "debtor")
DOSSIER_PROFILES_SUPERVISOR = ("creditor", "debtor")


def dossier_profiles(user: Any, case: Case) -> tuple[str, ...]:
    """Which dossier profiles the user may export for the case: compliance officers all three (the
    regulator's holds everyone's personal data), the case's team supervisors the creditor's and the
    debtor's (a subject-access request)."""
    if not getattr(user, "is_authenticated", False) or not _global(user, "compliance.export_dossier"):
        return ()
    if sees_all_cases(user):
        return DOSSIER_PROFILES_OFFICER
    if is_team_supervisor(user, case):
        return DOSSIER_PROFILES_SUPERVISOR
    return ()


def can_export_dossier(user: Any, case: Case, profile: str | None = None) -> bool:
    profiles = dossier_profiles(user, case)
    return bool(profiles) and (profile is None or profile in profiles)


# --- debtor facts and consents (cases/services/facts.py) --------------------------------------------


def can_record_debtor_fact(user: Any, case: Case) -> bool:
    """Record a debtor fact or consent (or a consent's withdrawal) on an open case: whoever may record a
    complaint on it (its supervisors and agents, compliance officers): a cease-contact letter or a
    lawyer's call may reach any of them."""
    return not is_closed(case) and can_record_complaint(user, case)


def can_lift_debtor_fact(user: Any, case: Case) -> bool:
    """Lift a fact after review: a supervisor of the case's team or a compliance officer."""
    if is_service(user):
        return True
    return not is_closed(case) and (is_team_supervisor(user, case) or can_resolve_complaint(user, case))
