"""Writes on users and teams; each one records an audit event in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import SOURCE_ROLES, DomainError, Failure, PermissionRefused
from common.pii import digest
from compliance import audit

from . import policies
from .models import Role, Team, User


def system_user() -> User:
    """The service account that commands and Celery tasks act as; it has no usable password."""
    user, created = User.objects.get_or_create(
        username=settings.SYSTEM_USERNAME,
        defaults={"full_name": "FieldLedger system", "is_service_account": True, "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def team_create(*, code: str, name: str, actor: Any) -> Team:
    group, _ = Group.objects.get_or_create(name=f"team:{code}:supervisors")
    team = Team(code=code, name=name, supervisors_group=group)
    team.full_clean()
    team._history_user = actor
    team.save()
    audit.record(actor=actor, action="team.created", obj=team, data={"code": code})
    return team


def _sync_team_access(user: User) -> None:
    """Supervisors belong to their team's supervisors group (the team scope of cases.visibility)."""
    team_groups = Group.objects.filter(team__isnull=False)
    keep = set()
    if user.team_id and user.groups.filter(name=Role.SUPERVISOR).exists():
        keep.add(user.team.supervisors_group_id)
    for group in team_groups.filter(user=user).exclude(pk__in=keep):
        user.groups.remove(group)
    for group_id in keep:
        user.groups.add(group_id)
    for cached in (
        "_fieldledger_roles",
        "_fieldledger_groups",
        "_fieldledger_scopes",
        "_fieldledger_case_access",
    ):
        user.__dict__.pop(cached, None)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    roles: Iterable[str],
    actor: Any,
    full_name: str = "",
    email: str = "",
    employee_no: str | None = None,
    phone: str = "",
    team: Team | None = None,
    work_id_number: str = "",
    work_id_expires_on: dt.date | None = None,
    training_completed_on: dt.date | None = None,
    training_valid_until: dt.date | None = None,
    is_staff: bool = False,
) -> User:
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        employee_no=employee_no,
        phone=phone,
        team=team,
        work_id_number=work_id_number,
        work_id_expires_on=work_id_expires_on,
        training_completed_on=training_completed_on,
        training_valid_until=training_valid_until,
        is_staff=is_staff,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user._history_user = actor
    user.save()
    user_set_roles(user=user, roles=roles, actor=actor, _audit=False)
    audit.record(
        actor=actor,
        action="user.created",
        obj=user,
        data={"roles": sorted(roles), "team": team.code if team else None},
    )
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[str], actor: Any, _audit: bool = True) -> User:
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    role_groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    for name, group in role_groups.items():
        if name in wanted:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    if Role.ADMINISTRATOR in wanted and not user.is_staff:
        user.is_staff = True
        user._history_user = actor
        user.save(update_fields=["is_staff"])
    _sync_team_access(user)
    if _audit:
        audit.record(actor=actor, action="user.roles_changed", obj=user, data={"roles": sorted(wanted)})
    return user


@transaction.atomic
def user_after_admin_save(*, user: User, actor: Any, created: bool) -> None:
    """Called by the admin after a user and its groups were saved: keep team access in step, audit it."""
    _sync_team_access(user)
    roles = sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    audit.record(
        actor=actor,
        action="user.created" if created else "user.changed",
        obj=user,
        data={"roles": roles, "team": user.team.code if user.team_id else None, "active": user.is_active},
    )


def login_recorded(*, user: User, ip: str | None) -> None:
    audit.record(
        actor=user, action="auth.login", obj=user, data={"ip_digest": digest(ip, kind="ip") if ip else None}
    )


def logout_recorded(*, user: User, ip: str | None) -> None:
    audit.record(
        actor=user, action="auth.logout", obj=user, data={"ip_digest": digest(ip, kind="ip") if ip else None}
    )


def login_failed_recorded(*, username: str, ip: str | None) -> None:
    """A failed sign-in: the username is stored as a digest only (it may be personal data)."""
    audit.record(
        actor=None,
        action="auth.login_failed",
        object_type="accounts.user",
        object_id="",
        data={
            "username_digest": digest(username.strip().lower(), kind="username"),
            "ip_digest": digest(ip, kind="ip") if ip else None,
        },
    )


def login_locked_out_recorded(*, username: str, ip: str | None) -> None:
    """A username + address pair reached LOGIN_FAILURE_LIMIT failures and is locked (django-axes)."""
    audit.record(
        actor=None,
        action="auth.locked_out",
        object_type="accounts.user",
        object_id="",
        data={
            "username_digest": digest(username.strip().lower(), kind="username"),
            "ip_digest": digest(ip, kind="ip") if ip else None,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )


def login_lockout_reset(*, actor: Any, username: str | None = None, ip: str | None = None) -> int:
    """Lift the sign-in lockouts of a username, an address, or the pair (administrators; `unlock_login`).
    Returns how many lockout records were removed; recorded with digests only."""
    from axes.utils import reset  # axes' handler, loaded once the apps are ready

    username = (username or "").strip() or None
    ip = (ip or "").strip() or None
    try:
        with transaction.atomic():
            if not policies.can_unlock_logins(actor):
                raise PermissionRefused.because(_("Only administrators lift sign-in lockouts."))
            if username is None and ip is None:
                raise DomainError(
                    [
                        Failure(
                            "FIELD_REQUIRED",
                            _("Name the username, the address, or both."),
                            SOURCE_ROLES,
                            "username",
                        )
                    ]
                )
            removed = reset(username=username, ip=ip)
            target = User.objects.filter(username=username).first() if username else None
            audit.record(
                actor=actor,
                action="auth.lockout_reset",
                object_type="accounts.user",
                object_id=str(target.pk) if target else "",
                data={
                    "username_digest": digest(username.lower(), kind="username") if username else None,
                    "ip_digest": digest(ip, kind="ip") if ip else None,
                    "removed": removed,
                },
            )
            return removed
    except DomainError as error:
        audit.record(
            actor=actor,
            action="auth.lockout_reset.refused",
            object_type="accounts.user",
            object_id="",
            data={"codes": error.codes},
        )
        raise
