"""Reviews count the applicant's messages their department has not opened yet
(Review.unread_messages), so that a queue row shows them from the review's own row."""

from django.db import migrations, models
from django.db.models import Count


def count_unread(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One grouped join, not a query per review.
        schema_editor.execute(
            "UPDATE approvals_review r SET unread_messages = m.n FROM ("
            " SELECT application_id, department_id, COUNT(*) AS n FROM approvals_message"
            " WHERE side = 'citizen' AND read_by_department_at IS NULL GROUP BY application_id, department_id"
            ") m WHERE r.application_id = m.application_id AND r.department_id = m.department_id"
        )
        return
    Message = apps.get_model("approvals", "Message")
    Review = apps.get_model("approvals", "Review")
    unread = (Message.objects.filter(side="citizen", read_by_department_at__isnull=True)
              .values("application_id", "department_id").order_by().annotate(n=Count("pk")))
    for row in unread:
        Review.objects.filter(application_id=row["application_id"], department_id=row["department_id"]).update(
            unread_messages=row["n"])


class Migration(migrations.Migration):
    dependencies = [("approvals", "0011_review_carded_held")]

    operations = [
        migrations.AddField(
            model_name="review",
            name="unread_messages",
            field=models.PositiveIntegerField(default=0, verbose_name="unread messages from the applicant"),
        ),
        migrations.RunPython(count_unread, migrations.RunPython.noop),
    ]
