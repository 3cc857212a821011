"""Two steps of need to know.

A right an opinion share gives is its own row of guardian's table, naming the share and the
membership it came through, so that ending the share or leaving the department removes exactly
it. Rows given before are put on record: one per active share of the application that the
person's membership of the shared department explains; a row nothing explains any more (a
member who left, a share ended) is a leftover and is deleted.

The queues' copy of the applicant's name (Review.applicant_name) is kept only on the reviews of
departments whose requirement lists the name; a version published before requirements listed
identity lists nothing, so its reviews keep no name.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def grants_on_record(apps, schema_editor):
    Grant = apps.get_model("approvals", "ApplicationUserObjectPermission")
    Share = apps.get_model("approvals", "ApplicationShare")
    Membership = apps.get_model("departments", "Membership")
    legacy = Grant.objects.filter(share__isnull=True, permission__codename="view_application",
                                  permission__content_type__app_label="approvals").order_by("pk")
    for grant in list(legacy):
        explained = [
            (share_id, membership_id)
            for share_id, department_id in Share.objects.filter(
                application_id=grant.content_object_id, revoked_at__isnull=True, ended_at__isnull=True,
            ).order_by("pk").values_list("pk", "department_id")
            for membership_id in Membership.objects.filter(user_id=grant.user_id, department_id=department_id)
            .values_list("pk", flat=True)
        ]
        if not explained:
            grant.delete()
            continue
        (share_id, membership_id), *others = explained
        Grant.objects.filter(pk=grant.pk).update(share_id=share_id, membership_id=membership_id)
        Grant.objects.bulk_create([
            Grant(user_id=grant.user_id, permission_id=grant.permission_id, content_object_id=grant.content_object_id,
                  share_id=share, membership_id=membership) for share, membership in others
        ])


def names_by_need_to_know(apps, schema_editor):
    ServiceVersion = apps.get_model("catalogue", "ServiceVersion")
    Review = apps.get_model("approvals", "Review")
    Department = apps.get_model("departments", "Department")
    departments = dict(Department.objects.values_list("code", "pk"))
    for version_id, schema in ServiceVersion.objects.order_by("pk").values_list("pk", "schema"):
        hidden = [departments[r["department"]] for r in schema.get("reviews", [])
                  if "name" not in r.get("identity", []) and r["department"] in departments]
        if hidden:
            Review.objects.filter(application__service_version_id=version_id, department_id__in=hidden).exclude(
                applicant_name="").update(applicant_name="")


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0016_attachment_disarmed_copy'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('catalogue', '0003_requirement_identity'),
        ('departments', '0001_squashed_0005_departments_without_workspace'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterUniqueTogether(
            name='applicationuserobjectpermission',
            unique_together=set(),
        ),
        migrations.AddField(
            model_name='applicationuserobjectpermission',
            name='membership',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='departments.membership'),
        ),
        migrations.AddField(
            model_name='applicationuserobjectpermission',
            name='share',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='grants', to='approvals.applicationshare'),
        ),
        migrations.RunPython(grants_on_record, migrations.RunPython.noop),
        migrations.RunPython(names_by_need_to_know, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='applicationuserobjectpermission',
            constraint=models.UniqueConstraint(condition=models.Q(('share__isnull', True)), fields=('user', 'permission', 'content_object'), name='appuserperm_unique_unshared'),
        ),
        migrations.AddConstraint(
            model_name='applicationuserobjectpermission',
            constraint=models.UniqueConstraint(fields=('share', 'membership', 'permission'), name='appuserperm_unique_share_member'),
        ),
        migrations.AddConstraint(
            model_name='applicationuserobjectpermission',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('membership__isnull', True), ('share__isnull', True)), models.Q(('membership__isnull', False), ('share__isnull', False)), _connector='OR'), name='appuserperm_share_with_membership'),
        ),
    ]
