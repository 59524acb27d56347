"""Roles as groups with the model permissions each needs and nothing more.

Supervisors and field agents get no global `cases.view_case`: which cases they see is held per case in
django-guardian's tables. Compliance officers see everything read-only. Administrators manage users,
teams, creditors and mandates (in the admin) and see no cases.
"""

from django.db import migrations

ROLE_PERMISSIONS = {
    "supervisor": [
        "cases.work_case", "cases.verify_case", "cases.assign_case", "cases.import_cases", "cases.view_full_pii",
        "cases.add_placementimport", "cases.view_placementimport",
    ],
    "field_agent": ["cases.work_case", "cases.verify_case", "cases.view_full_pii"],
    "compliance_officer": [
        "cases.view_case", "cases.view_full_pii", "cases.view_creditor", "cases.view_mandate", "cases.view_debtor",
        "cases.view_debtorphone", "cases.view_debtoraddress", "cases.view_casedocument",
        "cases.view_caseassessment", "cases.view_caseassignment", "cases.view_placementimport",
        "compliance.view_auditevent", "compliance.export_auditevent",
    ],
    "administrator": [
        "accounts.add_user", "accounts.change_user", "accounts.view_user",
        "accounts.add_team", "accounts.change_team", "accounts.view_team", "auth.view_group",
        "cases.add_creditor", "cases.change_creditor", "cases.view_creditor",
        "cases.add_mandate", "cases.change_mandate", "cases.view_mandate",
    ],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        objs = []
        for perm in perms:
            app_label, codename = perm.split(".")
            objs.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(objs)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0001_initial"),
        ("compliance", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
