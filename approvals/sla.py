"""The SLA clock of a review, in working days.

Started when the review is routed: due on the N-th working day, a reminder to the assignee at
75% of N, a yellow card once the due date has passed, a red card once twice N has passed.
While the department waits on the citizen the clock is paused; on resume every date moves by
the working days spent waiting. Escalations are claimed with a conditional UPDATE, so two
beat processes never escalate twice."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from catalogue.calendar import Calendar, cached_calendar
from departments.models import MembershipRole

from .models import NotificationKind, Review, ReviewStatus
from .notifications import department_staff_ids, notify

OPEN = [ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS]


def local_today() -> date:
    return timezone.localdate()


def clock_start(calendar: Calendar, start: date, sla_days: int) -> dict:
    return {
        "started_on": start,
        "due_date": calendar.add_working_days(start, sla_days),
        "remind_on": calendar.add_working_days(start, max(1, (sla_days * 3) // 4)),
        "red_on": calendar.add_working_days(start, 2 * sla_days),
    }


def clock_resume(calendar: Calendar, review: Review, today: date) -> dict:
    """New dates for a paused review resuming today."""
    if review.paused_on is None or review.due_date is None:
        return {"paused_on": None}
    waited = calendar.working_days_between(review.paused_on, today)
    return {
        "paused_on": None,
        "due_date": calendar.add_working_days(review.due_date, waited),
        "remind_on": calendar.add_working_days(review.remind_on, waited) if review.remind_on else None,
        "red_on": calendar.add_working_days(review.red_on, waited) if review.red_on else None,
    }


def _claim(filter_kwargs: dict, stamp_field: str, now) -> list[Review]:
    """Lock the matching open reviews not yet stamped (skipping rows another scanner holds),
    stamp them and return them."""
    with transaction.atomic():
        rows = list(
            Review.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=OPEN, paused_on__isnull=True, **{f"{stamp_field}__isnull": True}, **filter_kwargs)
            .select_related("application", "department")
            .order_by("pk")[:1000]
        )
        if rows:
            Review.objects.filter(pk__in=[r.pk for r in rows], **{f"{stamp_field}__isnull": True}).update(
                **{stamp_field: now}
            )
        return rows


def sla_scan(*, today: date | None = None) -> dict:
    """Send due reminders and escalations; returns how many of each."""
    today = today or local_today()
    now = timezone.now()
    counts = {}

    with transaction.atomic():
        reminded = _claim({"remind_on__lte": today, "due_date__gte": today}, "reminded_at", now)
        for review in reminded:
            recipients = [review.assignee_id] if review.assignee_id else department_staff_ids(review.department_id)
            notify(recipient_ids=recipients, kind=NotificationKind.REVIEW_REMINDER, application=review.application,
                   review=review, params={"due_date": review.due_date.isoformat()})
    counts["reminders"] = len(reminded)

    for field, lookup, kind in (
        ("yellow_at", "due_date__lt", NotificationKind.REVIEW_YELLOW),
        ("red_at", "red_on__lt", NotificationKind.REVIEW_RED),
    ):
        with transaction.atomic():
            escalated = _claim({lookup: today}, field, now)
            for review in escalated:
                supervisors = department_staff_ids(review.department_id, MembershipRole.SUPERVISOR)
                notify(recipient_ids=supervisors + ([review.assignee_id] if review.assignee_id else []), kind=kind,
                       application=review.application, review=review,
                       params={"due_date": review.due_date.isoformat()})
            _audit_escalations(escalated, kind)
        counts[field.removesuffix("_at")] = len(escalated)
    return counts


def _audit_escalations(reviews, kind):
    from audit.models import Action
    from audit.services import Event, audit_record

    card = "yellow" if kind == NotificationKind.REVIEW_YELLOW else "red"
    audit_record(*[
        Event(action=Action.REVIEW_ESCALATED, object_type="review", object_id=r.pk, application_id=r.application_id,
              subject_id=r.application.applicant_id, department_code=r.department.code, details={"card": card})
        for r in reviews
    ])


def sla_calendar() -> Calendar:
    return cached_calendar()
