from django.db import migrations, models


def forget_correction_decisions(apps, schema_editor):
    """Facts kept before this release counted an open correction request as a decision. Under the
    new rules a fact has a decision day only when approved or rejected; the summaries those facts
    fed are recomputed by ``manage.py rebuild_stats`` after this migration (see the README)."""
    ReviewFact = apps.get_model("dashboards", "ReviewFact")
    ReviewFact.objects.filter(decision_day__isnull=False).exclude(status__in=["approved", "rejected"]).update(
        decision_day=None, working_days=None, sla_met=False)


class Migration(migrations.Migration):

    dependencies = [
        ("dashboards", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewfact",
            name="correction_days",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(forget_correction_decisions, migrations.RunPython.noop, elidable=True),
    ]
