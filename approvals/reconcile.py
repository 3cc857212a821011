"""The reconciler: re-sends every nudge that should have been processed by now.

Nudges are lost when the broker is down at commit time, or when a worker dies mid-task
after the broker forgot the message. The database says what is still to do, so this scan
is all it takes to catch up; everything it sends is idempotent."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.nudges import publish
from permits.models import Permit

from .models import ComplaintMail, EmailStatus, Notification, Review, ReviewStatus

BATCH = 500
EMAIL_BATCH = 50


def reconcile(*, older_than_seconds: int | None = None) -> dict:
    age = settings.PORTAL_RECONCILE_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    before = timezone.now() - timedelta(seconds=age)

    applications = list(
        Review.objects.filter(status=ReviewStatus.PENDING, routed_at__isnull=True, pending_since__lte=before)
        .values_list("application_id", flat=True).distinct()[:BATCH]
    )
    if applications:
        publish("approvals.tasks.route_application_task", applications)  # routing takes them all in one transaction

    permits = list(
        Permit.objects.filter(rendered_at__isnull=True, issued_at__lte=before)
        .filter(Q(render_claimed_at__isnull=True) | Q(render_claimed_at__lte=before))
        .values_list("pk", flat=True)[:BATCH]
    )
    for permit_id in permits:
        publish("permits.tasks.permit_render_task", permit_id)

    notifications = _unsent_mails(Notification, before, "approvals.tasks.notification_email_task")
    complaint_mails = _unsent_mails(ComplaintMail, before, "approvals.tasks.complaint_mail_task")

    return {"applications": len(applications), "permits": len(permits), "notifications": len(notifications),
            "complaint_mails": len(complaint_mails)}


def _unsent_mails(model, before, task: str) -> list[int]:
    """Publish the outbox rows (notifications, complaints' mails) whose email stayed unsent."""
    ids = list(
        model.objects.filter(
            Q(email_status=EmailStatus.PENDING, created_at__lte=before)
            | Q(email_status=EmailStatus.SENDING, email_claimed_at__lte=before)
        ).values_list("pk", flat=True).order_by("pk")[: BATCH * 4]
    )
    for start in range(0, len(ids), EMAIL_BATCH):
        publish(task, ids[start:start + EMAIL_BATCH])
    return ids
