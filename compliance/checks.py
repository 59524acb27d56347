"""Deploy check (`manage.py check --deploy`, production settings): the application must not connect to
PostgreSQL as a superuser or as the owner of the audit table — either can TRUNCATE it or disable its
triggers (docs/deployment.md: migrations as the owner role, the application as a role that may only
INSERT and SELECT the audit table)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections

from .db import TABLE


@checks.register(checks.Tags.security, deploy=True)
def audit_table_role_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "AUDIT_ROLE_CHECK", False):
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.rolsuper, pg_get_userbyid(c.relowner) = current_user,"
                " has_table_privilege(current_user, c.oid, 'TRUNCATE'),"
                " has_table_privilege(current_user, c.oid, 'UPDATE'),"
                " has_table_privilege(current_user, c.oid, 'DELETE'), current_user"
                " FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.relname = %s",
                [TABLE],
            )
            row = cursor.fetchone()
    except DatabaseError as error:
        return [checks.Warning(f"Could not check the database role: {error}", id="fieldledger.W101")]
    if row is None:
        return []  # not migrated yet
    superuser, owner, truncate, update, delete, role = row
    problems = []
    if superuser:
        problems.append(f"the role {role} is a superuser")
    if owner:
        problems.append(f"the role {role} owns {TABLE}")
    rights = [name for name, held in (("TRUNCATE", truncate), ("UPDATE", update), ("DELETE", delete)) if held]
    if rights and not (superuser or owner):
        problems.append(f"the role {role} holds {', '.join(rights)} on {TABLE}")
    if not problems:
        return []
    return [
        checks.Warning(
            "The application connects to the database with a role that can bypass the audit log's "
            f"protection: {'; '.join(problems)}.",
            hint="Run migrations as the owner role (MIGRATION_DATABASE_URL) and the application as a role "
            "with only SELECT and INSERT on the audit table: docs/deployment.md, `manage.py db_grant_app_role`.",
            id="fieldledger.W100",
        )
    ]
