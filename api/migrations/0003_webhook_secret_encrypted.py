"""Webhook signing secrets encrypted at rest: each secret kept in the clear is sealed with the first
key of API_WEBHOOK_SECRET_KEYS, then the clear column is dropped. Going back opens them again."""

from django.db import migrations, models


def seal_secrets(apps, schema_editor):
    from api.webhook_secrets import secret_seal

    subscriptions = apps.get_model("api", "WebhookSubscription")
    for sub in subscriptions.objects.only("pk", "secret").iterator():
        subscriptions.objects.filter(pk=sub.pk).update(secret_sealed=secret_seal(sub.secret))


def open_secrets(apps, schema_editor):
    from api.webhook_secrets import secret_open

    subscriptions = apps.get_model("api", "WebhookSubscription")
    for sub in subscriptions.objects.only("pk", "secret_sealed").iterator():
        subscriptions.objects.filter(pk=sub.pk).update(secret=secret_open(sub.secret_sealed))


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0002_filing_consent"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="secret_sealed",
            field=models.TextField(default="", verbose_name="signing secret, encrypted"),
            preserve_default=False,
        ),
        # Blank, so that going back can add the clear column again to the rows there are.
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret",
            field=models.CharField(blank=True, max_length=100, verbose_name="signing secret"),
        ),
        migrations.RunPython(seal_secrets, open_secrets),
        migrations.RemoveField(
            model_name="webhooksubscription",
            name="secret",
        ),
    ]
