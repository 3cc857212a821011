"""Reviews carry their applicant's name (Review.applicant_name), so a queue's name search reads
the reviews it walks in due order and nothing else; on PostgreSQL a pg_trgm GIN index serves a
rare name without walking the tab (the index on people's names it replaces is dropped by
departments 0005)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

INDEX = "review_applicant_name_trgm"


def copy_names(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One join instead of a subquery per review: minutes, not hours, at millions of reviews.
        schema_editor.execute(
            "UPDATE approvals_review r SET applicant_name = u.full_name FROM approvals_application a"
            " JOIN accounts_user u ON u.id = a.applicant_id WHERE a.id = r.application_id"
        )
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON approvals_review"
                              " USING gin (UPPER(applicant_name) gin_trgm_ops)")
        return
    Application = apps.get_model("approvals", "Application")
    Review = apps.get_model("approvals", "Review")
    Review.objects.update(applicant_name=Subquery(
        Application.objects.filter(pk=OuterRef("application_id")).values("applicant__full_name")[:1]))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_language"),
        ("approvals", "0008_review_paused_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="applicant_name",
            field=models.CharField(blank=True, default="", max_length=150, verbose_name="applicant"),
        ),
        migrations.RunPython(copy_names, drop_index),
    ]
