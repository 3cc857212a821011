from collections import defaultdict

from django.db import migrations, models
from django.utils import timezone


def paused_days_from_the_audit_log(apps, schema_editor):
    """Reviews resumed before this field existed: add up their correction rounds from the audit
    log (asked → answered), in working days of the catalogue calendar as the clock counted them."""
    from approvals.sla import sla_calendar

    AuditEvent = apps.get_model("audit", "AuditEvent")
    Review = apps.get_model("approvals", "Review")
    events = (AuditEvent.objects.filter(object_type="review",
                                        action__in=["review.correction_requested", "review.reopened"])
              .order_by("id").values_list("object_id", "action", "at", "details"))
    calendar, paused_since, totals = None, {}, defaultdict(int)
    zone = timezone.get_default_timezone()
    for review_id, action, at, details in events.iterator(chunk_size=5000):
        day = timezone.localtime(at, zone).date()
        if action == "review.correction_requested":
            paused_since[review_id] = day
        elif details.get("reason") == "fields changed":  # a fresh clock
            totals[review_id], paused_since[review_id] = 0, None
        elif paused_since.get(review_id):
            calendar = calendar or sla_calendar()
            totals[review_id] += calendar.working_days_between(paused_since.pop(review_id), day)
    for review_id, total in totals.items():
        if total:
            Review.objects.filter(pk=int(review_id)).update(paused_days=total)


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0007_review_carded_by_service"),
        ("audit", "0006_auditor_filters"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="paused_days",
            field=models.PositiveIntegerField(default=0, verbose_name="working days waited on the applicant"),
        ),
        migrations.RunPython(paused_days_from_the_audit_log, migrations.RunPython.noop, elidable=True),
    ]
