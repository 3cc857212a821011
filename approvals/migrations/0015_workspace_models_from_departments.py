"""Internal notes, shares and the application's object permissions, created by the departments
app (its 0002 and 0003), join the approval engine's state under their table names: no row moves.

A database that applied the departments app's first migrations has the tables already. One that
starts from the departments app's squashed migration (which no longer creates them, so that the
departments app does not depend on this one) gets them here."""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED = ("ApplicationGroupObjectPermission", "ApplicationShare", "ApplicationUserObjectPermission", "InternalNote")


def create_missing_tables(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for name in MOVED:
        model = apps.get_model("approvals", name)
        if model._meta.db_table not in existing:
            schema_editor.create_model(model)


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0014_application_reference_tail_index'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('departments', '0001_squashed_0005_departments_without_workspace'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='ApplicationGroupObjectPermission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='approvals.application')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.group')),
                        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                    ],
                    options={
                        'db_table': 'departments_applicationgroupobjectpermission',
                        'abstract': False,
                        'unique_together': {('group', 'permission', 'content_object')},
                    },
                ),
                migrations.CreateModel(
                    name='ApplicationShare',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.TextField(max_length=2000, verbose_name='reason')),
                        ('expires_at', models.DateTimeField(verbose_name='expires')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='shared')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                        ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='access ended')),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shares', to='approvals.application')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='shares', to='departments.department', verbose_name='shared with')),
                        ('from_department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='departments.department', verbose_name='asking department')),
                        ('granted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='granted by')),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='revoked by')),
                    ],
                    options={
                        'verbose_name': 'application share',
                        'verbose_name_plural': 'application shares',
                        'db_table': 'departments_applicationshare',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(condition=models.Q(('revoked_at__isnull', True)), fields=['department', 'expires_at'], name='share_department_active'), models.Index(condition=models.Q(('ended_at__isnull', True)), fields=['expires_at'], name='share_unended')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('department', models.F('from_department')), _negated=True), name='share_other_department'), models.CheckConstraint(condition=models.Q(('expires_at__gt', models.F('created_at'))), name='share_expires_after_created'), models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='share_reason_not_empty')],
                    },
                ),
                migrations.CreateModel(
                    name='ApplicationUserObjectPermission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='approvals.application')),
                        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'departments_applicationuserobjectpermission',
                        'abstract': False,
                        'unique_together': {('user', 'permission', 'content_object')},
                    },
                ),
                migrations.CreateModel(
                    name='InternalNote',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(max_length=4000, verbose_name='note')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='written')),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='internal_notes', to='approvals.review')),
                    ],
                    options={
                        'verbose_name': 'internal note',
                        'verbose_name_plural': 'internal notes',
                        'db_table': 'departments_internalnote',
                        'ordering': ['created_at', 'pk'],
                        'indexes': [models.Index(fields=['review', 'created_at'], name='internal_note_review')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='internal_note_body_not_empty'), models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('body'), 4000), name='internal_note_body_max_length')],
                    },
                ),
        ]),
        # Reversed, the tables stay: they may hold rows from before the move.
        migrations.RunPython(create_missing_tables, migrations.RunPython.noop),
    ]
