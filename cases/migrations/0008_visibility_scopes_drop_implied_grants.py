"""Visibility by scopes (issue 19): drop the object permissions the scopes now imply, keep the rest.

Older code granted `view_case` and `change_case` to a case's team supervisors group (placement, the
factories' `grant_case_access`) and to each assigned agent (`case_assign_agents`, round-robin). The team
and assignment scopes of `cases.visibility` imply exactly these, so they are deleted: a grant is deleted
only if it is one of those two codenames AND (a group grant of the case's own team supervisors group, or
a user grant whose user holds an assignment row on the case). Every other grant (a share with another
user or team, any other codename) is kept untouched. Reversing writes the implied grants back, for every
team case and every assignment, which is what the older code kept in step.
"""

from django.db import migrations
from django.db.models import Exists, F, OuterRef

IMPLIED = ("view_case", "change_case")
BATCH = 5000


def _perms(apps):
    Permission = apps.get_model("auth", "Permission")
    return list(Permission.objects.filter(content_type__app_label="cases", codename__in=IMPLIED))


def drop_implied(apps, schema_editor):
    CaseAssignment = apps.get_model("cases", "CaseAssignment")
    UserPerm = apps.get_model("cases", "CaseUserObjectPermission")
    GroupPerm = apps.get_model("cases", "CaseGroupObjectPermission")
    perm_ids = [p.pk for p in _perms(apps)]
    UserPerm.objects.filter(permission_id__in=perm_ids).filter(
        Exists(
            CaseAssignment.objects.filter(
                case_id=OuterRef("content_object_id"), agent_id=OuterRef("user_id")
            )
        )
    ).delete()
    GroupPerm.objects.filter(
        permission_id__in=perm_ids, group_id=F("content_object__team__supervisors_group_id")
    ).delete()


def restore_implied(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseAssignment = apps.get_model("cases", "CaseAssignment")
    UserPerm = apps.get_model("cases", "CaseUserObjectPermission")
    GroupPerm = apps.get_model("cases", "CaseGroupObjectPermission")
    perms = _perms(apps)
    team_cases = Case.objects.filter(team__isnull=False).values_list("pk", "team__supervisors_group_id")
    batch = []
    for case_id, group_id in team_cases.iterator(chunk_size=BATCH):
        batch.extend(GroupPerm(group_id=group_id, permission=p, content_object_id=case_id) for p in perms)
        if len(batch) >= BATCH:
            GroupPerm.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    GroupPerm.objects.bulk_create(batch, ignore_conflicts=True)
    batch = []
    for case_id, agent_id in CaseAssignment.objects.values_list("case_id", "agent_id").iterator(
        chunk_size=BATCH
    ):
        batch.extend(UserPerm(user_id=agent_id, permission=p, content_object_id=case_id) for p in perms)
        if len(batch) >= BATCH:
            UserPerm.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    UserPerm.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_savedfilter_case_list_indexes"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(drop_implied, restore_implied)]
