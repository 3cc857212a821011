"""An index of the words of each review's applicant name, for name searches of one- and
two-character words, which have no trigram (approvals.models.NameWords). PostgreSQL only."""

from django.db import migrations

INDEX = "review_applicant_name_words"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON approvals_review"
                              " USING gin (string_to_array(UPPER(applicant_name), ' '))")
        # Statistics of the indexed expressions (how common each name word is): without them the
        # planner guesses, and a rare two-character name in a decided tab took 33 ms, not 3.
        schema_editor.execute("ANALYZE approvals_review")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0009_review_applicant_name")]

    operations = [migrations.RunPython(create, drop)]
