"""Each review carries its application's service (which never changes), copied from the
application for the existing rows, so queue filters and counts by service need no join."""

import django.db.models.deletion
from django.db import migrations, models

COPY_SERVICE = (
    "UPDATE approvals_review SET service_id = "
    "(SELECT a.service_id FROM approvals_application a WHERE a.id = approvals_review.application_id)"
)


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0005_permit_revoked_notification"),
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="service",
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="catalogue.service"),
        ),
        migrations.RunSQL(COPY_SERVICE, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="review",
            name="service",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="catalogue.service"),
        ),
    ]
