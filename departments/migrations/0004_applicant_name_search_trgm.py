"""The queue's search by applicant name (``full_name ILIKE '%…%'``, which Django writes as
``UPPER(full_name) LIKE UPPER(…)``) through a pg_trgm GIN index. PostgreSQL only: on SQLite
the search scans, which is fine at the sizes SQLite serves."""

from django.db import migrations

INDEX = "accounts_user_full_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user USING gin (UPPER(full_name) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_language"),
        ("departments", "0003_share_access_ended"),
    ]

    operations = [migrations.RunPython(create, drop)]
