"""Which roles a user holds (cached on the user object for the request)."""

from __future__ import annotations

from typing import Any

from .models import Role


def group_rows(user: Any) -> list[tuple[int, str, int | None]]:
    """The user's groups as (id, name, the team whose supervisors group it is), read once per request:
    the roles below and the visibility scopes (cases.visibility) share this one query."""
    cached = getattr(user, "_fieldledger_groups", None)
    if cached is None:
        cached = list(user.groups.values_list("pk", "name", "team__pk"))
        user._fieldledger_groups = cached
    return cached


def roles_of(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_fieldledger_roles", None)
    if cached is None:
        cached = frozenset(name for _pk, name, _team in group_rows(user) if name in Role.values)
        user._fieldledger_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_service(user: Any) -> bool:
    """The service account commands and tasks act as (never signs in; cannot be used from the web)."""
    return bool(getattr(user, "is_service_account", False))


# The role groups and the model permissions each holds: the truth in code. Migration 0002 created the
# first version; `sync_role_permissions` (post_migrate, also after a test flush) keeps the groups equal
# to this table, so a new permission reaches its roles with the next `migrate`.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "supervisor": (
        "agreements.draft_agreement",
        "agreements.approve_agreement",
        "agreements.record_payment",
        "agreements.close_case",
        "cases.work_case",
        "cases.verify_case",
        "cases.assign_case",
        "cases.import_cases",
        "cases.view_full_pii",
        "cases.add_placementimport",
        "cases.view_placementimport",
        "visits.plan_visit",
        "visits.approve_visit",
        "compliance.view_rulepack",
        "compliance.add_complaint",
        "compliance.export_dossier",
    ),
    "field_agent": (
        "agreements.draft_agreement",
        "cases.work_case",
        "cases.verify_case",
        "cases.view_full_pii",
        "visits.plan_visit",
        "compliance.add_complaint",
    ),
    "compliance_officer": (
        "agreements.view_agreement",
        "agreements.view_instalment",
        "agreements.view_payment",
        "agreements.view_promisecheck",
        "agreements.view_followup",
        "agreements.view_escalation",
        "agreements.view_closure",
        "agreements.view_signature",
        "cases.view_case",
        "cases.view_full_pii",
        "cases.view_creditor",
        "cases.view_mandate",
        "cases.view_debtor",
        "cases.view_debtorphone",
        "cases.view_debtoraddress",
        "cases.view_casedocument",
        "cases.view_caseassessment",
        "cases.view_caseassignment",
        "cases.view_placementimport",
        "compliance.view_auditevent",
        "compliance.export_auditevent",
        "compliance.view_rulepack",
        "compliance.manage_rulepack",
        "compliance.view_ruledecision",
        "compliance.view_complaint",
        "compliance.add_complaint",
        "compliance.resolve_complaint",
        "compliance.view_alert",
        "compliance.acknowledge_alert",
        "compliance.view_auditexport",
        "compliance.view_legalhold",
        "compliance.manage_legalhold",
        "compliance.view_anonymization",
        "compliance.export_dossier",
        "visits.view_visit",
        "visits.view_notice",
        "visits.view_contactattempt",
        "visits.view_visitcheckin",
        "visits.view_visitlog",
        "visits.view_evidence",
        "visits.view_conductattestation",
    ),
    "administrator": (
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.add_team",
        "accounts.change_team",
        "accounts.view_team",
        "auth.view_group",
        "cases.add_creditor",
        "cases.change_creditor",
        "cases.view_creditor",
        "cases.add_mandate",
        "cases.change_mandate",
        "cases.view_mandate",
        "compliance.view_rulepack",
        # Integration API (api/admin.py): creditor keys, user tokens, webhooks and their delivery log.
        "api.add_apikey",
        "api.change_apikey",
        "api.view_apikey",
        "api.change_usertoken",
        "api.view_usertoken",
        "api.add_webhookendpoint",
        "api.change_webhookendpoint",
        "api.view_webhookendpoint",
        "api.change_webhookdelivery",
        "api.view_webhookdelivery",
        "api.view_webhookattempt",
        "api.view_stagechange",
        # Sign-in lockouts (django-axes), lifted with the audited "Unlock" action.
        "axes.view_accessattempt",
    ),
}


def sync_role_permissions(**kwargs: Any) -> None:
    """post_migrate: make each role group hold exactly ROLE_PERMISSIONS (creating missing groups)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    using = kwargs.get("using", "default")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        query = Q()
        for perm in perms:
            app_label, codename = perm.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.using(using).filter(query))
