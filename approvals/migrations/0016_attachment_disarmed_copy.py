"""Attachments carry the copy people are given (Attachment.disarmed_file, written by
approvals.disarm) beside the upload kept for the record. Both columns are added empty, which
PostgreSQL does without rewriting the table; `manage.py disarm_attachments` makes the copies of
the files stored before, in batches (a download makes a missing one too)."""

import approvals.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0015_workspace_models_from_departments"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="disarmed_file",
            field=models.FileField(blank=True, max_length=200, upload_to=approvals.models.disarmed_upload_to,
                                   verbose_name="disarmed copy"),
        ),
        migrations.AddField(
            model_name="attachment",
            name="disarmed_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
