"""Shares made before opinions had a deadline have no ``opinion_due``. Each one still waiting
for its opinion (not revoked, not ended, not expired, not answered) gets the date a new share
gets, by the engine's one rule (approvals.opinion_deadlines.opinion_due_date: OPINION_SLA_DAYS
working days after the share, never after it ends). Answered and ended shares keep none: no page
shows a due date for them.

Nobody is told retroactively: a date already past when this runs is marked as told overdue
(``opinion_overdue_at``) without a notice, since the department asked never knew of it; the
pages still mark it overdue. A date today or later is reminded of by the next SLA scan, as any
other. The shares still waiting are few (a share lasts at most 30 days), so this is quick."""

from django.db import migrations


def backfill(apps, schema_editor):
    from approvals.opinion_deadlines import opinion_due_backfill

    opinion_due_backfill(apps.get_model("approvals", "ApplicationShare"))


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0020_opinion_attachments"),
        ("catalogue", "0003_requirement_identity"),  # the working-day calendar the rule counts on
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
