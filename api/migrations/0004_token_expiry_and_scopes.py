from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

# Tokens issued before scopes existed could do all their kind could: they keep it.
KIND_SCOPES = {
    "department": ["read", "decide", "webhooks"],
    "citizen": ["read", "file"],
    "front_desk": ["read", "file", "register"],
}


def expiry_and_scopes(apps, schema_editor):
    """Each existing token ends a lifetime after it was made, as a new one does; but never
    sooner than the first expiry warning's notice from now. A token older than a lifetime would
    otherwise stop at this deploy with no warning, breaking its system mid-work; giving it a
    whole new lifetime instead would keep long-forgotten (possibly leaked) tokens alive for
    another year. With the notice, its owner is mailed and has that long to issue a new one."""
    if schema_editor.connection.vendor == "postgresql":
        # Rows updated twice in this transaction queue their deferred foreign-key checks, and
        # PostgreSQL then refuses the index built after this step: check them as they come.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ApiToken = apps.get_model("api", "ApiToken")
    lifetime = timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    floor = timezone.now() + timedelta(days=max(settings.API_TOKEN_EXPIRY_WARNING_DAYS, default=0) + 1)
    ApiToken.objects.update(expires_at=F("created_at") + lifetime)
    ApiToken.objects.filter(expires_at__lt=floor).update(expires_at=floor)
    for kind, scopes in KIND_SCOPES.items():
        ApiToken.objects.filter(kind=kind).update(scopes=scopes)


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0003_webhook_secret_encrypted"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="created_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="issued by"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expiry_warned_days",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(default=list, verbose_name="scopes"),
        ),
        # Every row gets its end in expiry_and_scopes (the one-off default is replaced there).
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(default=timezone.now, verbose_name="expires"),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="apitoken",
            index=models.Index(condition=Q(revoked_at__isnull=True), fields=["expires_at"], name="api_token_expiry"),
        ),
        migrations.RunPython(expiry_and_scopes, migrations.RunPython.noop, elidable=True),
    ]
