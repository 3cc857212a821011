"""Notifications: in-app rows written in the business transaction, and their emails sent
afterwards by Celery (each row is its own outbox entry: at most one successful send)."""

import logging
import smtplib
import socket
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import pgettext

from accounts.models import mailable
from core.i18n import translated
from core.nudges import nudge_ids_on_commit
from departments.models import Membership, MembershipRole
from permits.services import CORRECTABLE_LABELS

from .models import AppointmentBooking, EmailStatus, Notification, NotificationKind

log = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


def notify(
    *, recipient_ids: Iterable[int | None], kind: str, application=None, review=None, params: dict | None = None,
) -> list[Notification]:
    """Create one notification per distinct recipient (None, e.g. a review nobody holds, is
    skipped) and send their emails after commit."""
    return notifications_create([
        Notification(recipient_id=rid, kind=kind, application=application, review=review, params=params or {})
        for rid in dict.fromkeys(recipient_ids) if rid is not None
    ])


def notifications_create(rows: list[Notification]) -> list[Notification]:
    """Insert prepared notifications in one statement; their emails go out after commit."""
    rows = Notification.objects.bulk_create(rows) if rows else []
    if rows:
        nudge_ids_on_commit("approvals.tasks.notification_email_task", [n.pk for n in rows])
    return rows


def department_staff_ids(department_id: int, *, role: str = MembershipRole.OFFICER) -> list[int]:
    """The active members of a department with this role."""
    return departments_staff_ids([department_id], role=role).get(department_id, [])


def departments_staff_ids(department_ids, *, role: str = MembershipRole.OFFICER) -> dict[int, list[int]]:
    """The active members with this role of each department, in one query."""
    staff: dict[int, list[int]] = {}
    for department_id, user_id in (
        Membership.objects.people().filter(department_id__in=department_ids, role=role)
        .order_by("department_id", "user_id").values_list("department_id", "user_id")
    ):
        staff.setdefault(department_id, []).append(user_id)
    return staff


def outbox_claim(model, row_id: int) -> bool:
    """Take the right to send the email of this outbox row (a Notification, a ComplaintMail);
    False when it is sent or someone else sends it."""
    stale_before = timezone.now() - timedelta(seconds=settings.PORTAL_RECONCILE_AFTER_SECONDS)
    return bool(
        model.objects.filter(pk=row_id)
        .filter(Q(email_status=EmailStatus.PENDING) | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=stale_before))
        .update(email_status=EmailStatus.SENDING, email_claimed_at=timezone.now())
    )


def server_unavailable(exc: Exception) -> bool:
    """The mail server was not reached, did not answer, or asked to come back later (4xx): no
    fault of the message, so no attempt of it is counted."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (ConnectionError, TimeoutError, smtplib.SMTPServerDisconnected, socket.gaierror))


def outbox_send(row, *, language: str, build) -> str:
    """Send ``build(row)`` written in ``language`` and mark the claimed outbox row sent: "sent";
    "deferred" when the server is unavailable (the row waits for the reconciler, however long the
    outage); or "failed" (logged; tried again by the reconciler until MAX_EMAIL_ATTEMPTS)."""
    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            message = build(row)
        message.send()
    except Exception as exc:
        if server_unavailable(exc):
            log.warning("email of %s %s deferred: mail server unavailable (%s)", row._meta.model_name, row.pk, exc)
            type(row).objects.filter(pk=row.pk).update(email_status=EmailStatus.PENDING)
            return "deferred"
        log.exception("email of %s %s failed", row._meta.model_name, row.pk)
        with transaction.atomic():
            attempts = row.email_attempts + 1
            type(row).objects.filter(pk=row.pk).update(
                email_attempts=attempts,
                email_status=EmailStatus.FAILED if attempts >= MAX_EMAIL_ATTEMPTS else EmailStatus.PENDING,
            )
        return "failed"
    type(row).objects.filter(pk=row.pk).update(email_status=EmailStatus.SENT, email_sent_at=timezone.now())
    return "sent"


def outbox_send_batch(send, row_ids: list[int]) -> list[str]:
    """``send`` each row in turn, stopping at the first one deferred: while the server is down the
    rest would each wait for its own timeout, and stay pending for the reconciler all the same."""
    results = []
    for row_id in row_ids:
        results.append(send(row_id))
        if results[-1] == "deferred":
            break
    return results


def notification_send_email(*, notification_id: int) -> str:
    if not outbox_claim(Notification, notification_id):
        return "skipped"
    n = Notification.objects.select_related("recipient", "application", "review__department").get(pk=notification_id)
    if not mailable(n.recipient.email):  # a walk-in registered at a front desk without an address
        Notification.objects.filter(pk=n.pk).update(email_status=EmailStatus.NONE)
        return "no_address"
    return outbox_send(n, language=n.recipient.language, build=build_email)


def correction_labels(n: Notification) -> str:
    """The answers a correction request asks about, by their labels in the active language:
    "Seats, Floor plan". The keys are kept on the notification, so a mail sent after the answer
    still lists them."""
    if n.kind != NotificationKind.CORRECTION_REQUESTED or n.application is None:
        return ""
    keys = n.params.get("fields") or (n.review.correction_fields if n.review else [])
    specs = n.application.schema.fields_by_key
    return pgettext("list separator", ", ").join(translated(specs[k].get("label")) if k in specs else k for k in keys)


def corrected_details(n: Notification) -> str:
    """The details a proposed permit correction changes, by their labels in the active language
    ("Business name, Business site"); never their values, which its page shows to whom it may."""
    if n.kind != NotificationKind.PERMIT_CORRECTION_PROPOSED:
        return ""
    return pgettext("list separator", ", ").join(
        str(CORRECTABLE_LABELS[key]) for key in n.params.get("details", []) if key in CORRECTABLE_LABELS)


def build_email(n: Notification) -> EmailMultiAlternatives:
    booking = (AppointmentBooking.objects.select_related("slot__department", "slot__service").get(pk=n.params["booking"])
               if n.params.get("booking") else None)
    context = {
        "booking": booking, "n": n, "kind": n.kind, "title": NotificationKind(n.kind).label, "recipient": n.recipient,
        "application": n.application, "review": n.review, "params": n.params, "SITE_URL": settings.SITE_URL,
        "correction_fields": correction_labels(n), "corrected_details": corrected_details(n),
    }
    subject = render_to_string("approvals/email/subject.txt", context).strip()
    body = render_to_string("approvals/email/body.txt", context)
    html = render_to_string("approvals/email/body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[n.recipient.email])
    message.attach_alternative(html, "text/html")
    if booking is not None:  # an appointment's mail carries its invitation as it stands when sent
        from .appointment_ics import ICS_CONTENT_TYPE, booking_ics, ics_filename  # icalendar only where mailed

        message.attach(ics_filename(booking), booking_ics(booking), f"{ICS_CONTENT_TYPE}; charset=utf-8")
    return message
