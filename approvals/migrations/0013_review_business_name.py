"""Reviews carry their application's business name (Review.business_name), which the queue
searches with the applicant's name: on PostgreSQL through a pg_trgm index and an index of its
words, like the applicant's name (0009, 0010)."""

from django.db import migrations, models

TRIGRAMS = "review_business_name_trgm"
WORDS = "review_business_name_words"
KEY, MAX_LENGTH = "business_name", 200  # approvals.models.BUSINESS_NAME_KEY, BUSINESS_NAME_MAX_LENGTH


def copy_names(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One join, not a query per review.
        schema_editor.execute(
            "UPDATE approvals_review r SET business_name = LEFT(BTRIM(a.answers ->> %s), %s)"
            " FROM approvals_application a WHERE a.id = r.application_id AND jsonb_typeof(a.answers -> %s) = 'string'",
            [KEY, MAX_LENGTH, KEY],
        )
        return
    Application = apps.get_model("approvals", "Application")
    Review = apps.get_model("approvals", "Review")
    for pk, answers in Application.objects.filter(submitted_at__isnull=False).values_list("pk", "answers").iterator():
        value = (answers or {}).get(KEY)
        if isinstance(value, str) and value.strip():
            Review.objects.filter(application_id=pk).update(business_name=value.strip()[:MAX_LENGTH])


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAMS} ON approvals_review"
                              " USING gin (UPPER(business_name) gin_trgm_ops)")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {WORDS} ON approvals_review"
                              " USING gin (string_to_array(UPPER(business_name), ' '))")
        schema_editor.execute("ANALYZE approvals_review")  # the statistics of the indexed expressions


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAMS}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {WORDS}")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0012_review_unread_messages")]

    operations = [
        migrations.AddField(
            model_name="review",
            name="business_name",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="business name"),
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
