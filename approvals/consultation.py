"""Consultation: one message thread per application and reviewing department.

The applicant writes to any department reviewing a submitted application; that department's
officers and supervisors answer from its review page. A department never sees another
department's thread. Every message is one transaction with its notification (the email
outbox row) and its audit event."""

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import TokenActor, audit_record
from core.errors import InvalidTransition, ValidationFailed
from departments.access import member_role
from departments.models import MembershipRole

from .events import engine_event
from .models import MESSAGE_MAX_LENGTH, Application, Message, MessageSide, NotificationKind, Review
from .notifications import department_staff_ids, notify
from .workflow import _own, shown_up_to


def clean_body(body) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed({"body": [_("Write your message.")]})
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationFailed({"body": [
            _("Keep your message to %(max)s characters or fewer (it has %(count)s).")
            % {"max": MESSAGE_MAX_LENGTH, "count": len(body)},
        ]})
    return body


def _department_recipients(review: Review) -> list[int]:
    """Whoever holds the review; if nobody does, the department's officers (its supervisors
    when it has no officers)."""
    if review.assignee_id:
        return [review.assignee_id]
    return department_staff_ids(review.department_id) or department_staff_ids(
        review.department_id, role=MembershipRole.SUPERVISOR,
    )


@transaction.atomic
def message_send_by_citizen(
    *, application_id: int, department_id: int, actor, body: str, ip: str | None = None,
) -> Message:
    """The applicant writes to one department reviewing the application. Another citizen's
    application, or a department not reviewing it, does not exist for this actor."""
    application = Application.objects.get(pk=application_id)
    _own(application, actor)
    if application.submitted_at is None:
        raise InvalidTransition(_("You can write to the departments once the application is submitted."))
    review = Review.objects.select_related("department").get(application=application, department_id=department_id)
    body = clean_body(body)
    now = timezone.now()
    message = Message.objects.create(
        application=application, department_id=department_id, author=actor, side=MessageSide.CITIZEN, body=body,
        created_at=now, read_by_citizen_at=now,
    )
    Review.objects.filter(pk=review.pk).update(unread_messages=F("unread_messages") + 1)
    notify(recipient_ids=_department_recipients(review), kind=NotificationKind.MESSAGE_FROM_CITIZEN,
           application=application, review=review)
    audit_record(engine_event(Action.MESSAGE_SENT, application, actor=actor, obj=message, ip=ip,
                        department_code=review.department.code))
    return message


@transaction.atomic
def message_send_by_department(*, review_id: int, actor, body: str, ip: str | None = None,
                               via: TokenActor | None = None) -> Message:
    """An officer or supervisor of the review's department (or its system, ``via`` its API token)
    writes to the applicant. A review of another department does not exist for this actor."""
    review = Review.objects.select_related("department", "application").get(pk=review_id)
    if member_role(actor, review.department_id) is None:
        raise Review.DoesNotExist
    body = clean_body(body)
    application = review.application
    now = timezone.now()
    message = Message.objects.create(
        application=application, department_id=review.department_id, author=actor, side=MessageSide.DEPARTMENT,
        body=body, created_at=now, read_by_department_at=now,
    )
    notify(recipient_ids=[application.applicant_id], kind=NotificationKind.MESSAGE_FROM_DEPARTMENT,
           application=application, review=review)
    audit_record(engine_event(Action.MESSAGE_SENT, application, actor=actor, via=via, obj=message, ip=ip,
                        department_code=review.department.code))
    return message


def thread_mark_read_by_citizen(*, application_id: int, actor, up_to: int | None = None) -> int:
    """The applicant has seen every department's messages on this application (up to ``up_to``)."""
    return Message.objects.filter(
        application_id=application_id, application__applicant_id=getattr(actor, "pk", None),
        side=MessageSide.DEPARTMENT, read_by_citizen_at__isnull=True, **shown_up_to(up_to),
    ).update(read_by_citizen_at=timezone.now())


@transaction.atomic
def thread_mark_read_by_department(*, review_id: int, actor, up_to: int | None = None) -> int:
    """The department of the review has seen the applicant's messages of its thread (up to
    ``up_to``). The review's count goes down by the messages marked, after marking them: a
    message sent meanwhile is either among them or counted on top (its sender's increment waits
    for, or is waited on by, this update of the review's row), never lost."""
    review = Review.objects.only("application_id", "department_id").get(pk=review_id)
    if member_role(actor, review.department_id) is None:
        raise Review.DoesNotExist
    marked = Message.objects.filter(
        application_id=review.application_id, department_id=review.department_id,
        side=MessageSide.CITIZEN, read_by_department_at__isnull=True, **shown_up_to(up_to),
    ).update(read_by_department_at=timezone.now())
    # Writes the review's row only when it counts something (most views of a review find nothing new).
    Review.objects.filter(pk=review_id, unread_messages__gt=0).update(
        unread_messages=Greatest(F("unread_messages") - marked, 0))
    return marked
