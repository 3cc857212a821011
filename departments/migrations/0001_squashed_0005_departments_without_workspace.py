"""The departments app's migrations 0001 to 0005 in one, without what no longer belongs here:
departments, memberships and standard reasons. Internal notes, shares and the application's
object permissions, which 0002 and 0003 created, belong to the approval engine now (approvals
0015 takes them into its state, and creates their tables on a new database), so this app depends
on no app above it. A database that applied 0001 to 0005 counts this one as applied; every
database must have reached 0005 (main before the move) before it migrates past it."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ("departments", "0001_initial"),
        ("departments", "0002_review_workspace"),
        ("departments", "0003_share_access_ended"),
        ("departments", "0004_applicant_name_search_trgm"),
        ("departments", "0005_drop_user_full_name_trgm"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Department',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9_-]+$', 'Use lowercase letters, digits, - and _ only.')], verbose_name='code')),
                ('name', models.JSONField(verbose_name='name')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
            ],
            options={
                'verbose_name': 'department',
                'verbose_name_plural': 'departments',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('officer', 'Officer'), ('supervisor', 'Supervisor')], default='officer', max_length=16, verbose_name='role')),
                ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='departments.department')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'membership',
                'verbose_name_plural': 'memberships',
                'constraints': [models.UniqueConstraint(fields=('user', 'department'), name='membership_unique_user_department')],
            },
        ),
        migrations.CreateModel(
            name='StandardReason',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.JSONField(verbose_name='text')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='standard_reasons', to='departments.department')),
            ],
            options={
                'verbose_name': 'standard rejection reason',
                'verbose_name_plural': 'standard rejection reasons',
                'ordering': ['department', 'position', 'pk'],
            },
        ),
    ]
