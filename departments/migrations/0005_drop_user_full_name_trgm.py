"""The queue searches the names its reviews carry (approvals 0009, 0010), so the trigram index on
people's names (0004) serves nothing: the admin site's search ORs it with unindexed fields and
reads the table anyway. Dropped, so that writes to accounts no longer maintain it."""

from django.db import migrations

INDEX = "accounts_user_full_name_trgm"


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user USING gin (UPPER(full_name) gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0004_applicant_name_search_trgm"),
        ("approvals", "0010_review_applicant_name_words"),
    ]

    operations = [migrations.RunPython(drop, create)]
