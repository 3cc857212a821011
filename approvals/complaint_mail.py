"""Mails to a member of the public who complained without an account: the link to confirm their
address, then each step with the link to follow the complaint. Each ComplaintMail row is sent at
most once (claimed like a notification's email), in the language the complaint was written in."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from .complaint_links import confirm_url, follow_url
from .models import ComplaintMail, NotificationKind
from .notifications import outbox_claim, outbox_send

CONFIRM = "complaint_confirm"


def complaint_mail_message(mail: ComplaintMail) -> EmailMessage:
    complaint = mail.complaint
    context = {
        "kind": mail.kind, "complaint": complaint, "name": complaint.contact_name,
        "params": {"reference": complaint.reference, "due_date": complaint.due_date},
        "title": NotificationKind(mail.kind).label if mail.kind != CONFIRM else "",
        "confirm_url": confirm_url(complaint.pk) if mail.kind == CONFIRM else "",
        "follow_url": follow_url(complaint.pk) if mail.kind != CONFIRM else "",
        "valid_hours": settings.COMPLAINT_CONFIRM_HOURS,
    }
    subject = " ".join(render_to_string("approvals/email/complaint_public_subject.txt", context).split())
    body = render_to_string("approvals/email/complaint_public_body.txt", context)
    return EmailMessage(subject=subject, body=body, to=[complaint.contact_email])


def complaint_mail_send(*, mail_id: int) -> str:
    if not outbox_claim(ComplaintMail, mail_id):
        return "skipped"
    mail = ComplaintMail.objects.select_related("complaint__handler", "complaint__handling_department").get(pk=mail_id)
    return outbox_send(mail, language=mail.complaint.language, build=complaint_mail_message)
