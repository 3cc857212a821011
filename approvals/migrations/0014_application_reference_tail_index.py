"""The queue finds an application by the end of its reference ("000009", "2026-000009") through
an index on the reversed reference: reversed, the end is a prefix, which a pattern-ops B-tree
serves (departments.selectors._tail_application_ids). PostgreSQL only; SQLite reads the
references."""

from django.db import migrations

INDEX = "application_reference_reversed"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON approvals_application"
                              " (REVERSE(reference) text_pattern_ops)")
        schema_editor.execute("ANALYZE approvals_application")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0013_review_business_name")]

    operations = [migrations.RunPython(create, drop)]
