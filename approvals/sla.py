"""The SLA clock of a review, in working days of its department's calendar (catalogue.calendar).

The clock starts when the review is routed (day 0, never counted). With a limit of N days:

    remind_on  working day max(1, floor(3N/4)): the reminder goes out on that day, to the
               assignee or else the department's officers, unless the review is already overdue;
    due_date   working day N, the last day to decide: the yellow card follows on the first
               day after it;
    red_on     working day 2N: the red card follows on the first day after it.

Cards go to the department's supervisors and the assignee. Each reminder and card is sent at
most once per review and recorded on it (reminded_at, yellow_at, red_at).

While the department waits on the citizen the clock is paused; on resume every date moves by
the working days waited, counted like the limit itself: (paused_on, day of resume]. A
supervisor's extension moves them by the working days it adds.

Deadlines are columns scanned by beat (``sla_scan``), never countdowns. Each reminder or card is
claimed by a conditional UPDATE (``… WHERE yellow_at IS NULL``) in its own transaction with its
notifications, so a second beat, or two at once, find nothing left to claim."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import Action
from audit.services import audit_record
from catalogue.calendar import Calendars, cached_calendars
from core.calendar import Calendar
from departments.models import MembershipRole

from .events import engine_event
from .models import REVIEW_OPEN, NotificationKind, Review
from .notifications import department_staff_ids, notify

# Reviews claimed per milestone and scan; the next beat takes the rest.
SCAN_BATCH = 1000


def local_today() -> date:
    # Deadlines are dates in the portal's time zone, whatever zone a request has activated.
    return timezone.localdate(timezone=timezone.get_default_timezone())


def local_date(moment: datetime) -> date:
    """The day ``moment`` falls on in the portal's time zone (as ``local_today``)."""
    return timezone.localdate(moment, timezone=timezone.get_default_timezone())


def sla_calendars() -> Calendars:
    """Every department's calendar, as committed (one revision read when nothing changed): bulk
    work asks ``.of(department_id)`` of one of these instead of a calendar per row."""
    return cached_calendars()


def sla_calendar(department_id: int | None = None) -> Calendar:
    """The calendar a department's clocks count (the catalogue's where it has none of its own)."""
    return sla_calendars().of(department_id)


# --- The dates ----------------------------------------------------------------------------------------


def reminder_day(sla_days: int) -> int:
    """75% of the limit rounded down, so the reminder comes before the due date whenever the
    limit is 2 days or more (3 days → day 2, 5 → day 3); at least day 1."""
    return max(1, sla_days * 3 // 4)


def clock_start(*, calendar: Calendar, start: date, sla_days: int) -> dict:
    return {
        "started_on": start,
        "remind_on": calendar.add_working_days(start, reminder_day(sla_days)),
        "due_date": calendar.add_working_days(start, sla_days),
        "red_on": calendar.add_working_days(start, 2 * sla_days),
    }


def clock_resume(*, calendar: Calendar, review: Review, today: date) -> dict:
    """New dates for a paused review resuming today."""
    if review.paused_on is None or review.due_date is None:
        return {"paused_on": None}  # the clock never started: routing starts it
    waited = calendar.working_days_between(review.paused_on, today)
    return {"paused_on": None, "paused_days": review.paused_days + waited,
            **_shifted(calendar=calendar, review=review, days=waited)}


def clock_now(*, calendar: Calendar, review: Review, today: date) -> dict:
    """The review's due date and working days waited on the applicant as the engine counts them
    today: a paused clock's due date moves by every working day it stands still (what
    ``clock_resume`` would write if the applicant answered today); a running clock's is its own."""
    current = {"due_date": review.due_date, "paused_days": review.paused_days}
    if review.paused_on is not None:
        current.update(clock_resume(calendar=calendar, review=review, today=today))
    return current


def clock_extend(*, calendar: Calendar, review: Review, due_date: date) -> dict:
    """New dates for a review whose due date a supervisor moves later: the reminder and the red
    card date keep their distance to it in working days."""
    added = calendar.working_days_between(review.due_date, due_date)
    return {**_shifted(calendar=calendar, review=review, days=added), "due_date": due_date}


def _shifted(*, calendar: Calendar, review: Review, days: int) -> dict:
    def shift(day: date | None) -> date | None:
        return calendar.add_working_days(day, days) if day else None

    return {"due_date": shift(review.due_date), "remind_on": shift(review.remind_on), "red_on": shift(review.red_on)}


# --- The scan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    kind: str  # NotificationKind
    stamp: str  # the column recording that it was sent
    reached: Callable[[date], Q]  # the reviews that reached it on a day
    card: str = ""  # escalations (cards) go to the supervisors and are audited


MILESTONES = {
    # An overdue review gets its yellow card instead of a late "due soon" reminder.
    "reminders": Milestone(NotificationKind.REVIEW_REMINDER, "reminded_at",
                           lambda today: Q(remind_on__lte=today, due_date__gte=today)),
    "yellow": Milestone(NotificationKind.REVIEW_YELLOW, "yellow_at", lambda today: Q(due_date__lt=today), card="yellow"),
    "red": Milestone(NotificationKind.REVIEW_RED, "red_at", lambda today: Q(red_on__lt=today), card="red"),
}


def sla_scan(*, today: date | None = None) -> dict[str, int]:
    """Send the reminders and cards due today; returns how many of each were sent."""
    today = today or local_today()
    now = timezone.now()
    return {
        name: sum(_fire(milestone=milestone, review_id=pk, today=today, now=now)
                  for pk in _due_ids(milestone=milestone, today=today))
        for name, milestone in MILESTONES.items()
    }


def _unsent(milestone: Milestone, today: date) -> Q:
    # A running clock (open, not paused) that reached the milestone and was not told yet.
    return Q(status__in=REVIEW_OPEN, paused_on__isnull=True, **{f"{milestone.stamp}__isnull": True}) & milestone.reached(today)


def _due_ids(*, milestone: Milestone, today: date) -> list[int]:
    return list(Review.objects.filter(_unsent(milestone, today)).order_by("pk").values_list("pk", flat=True)[:SCAN_BATCH])


def _fire(*, milestone: Milestone, review_id: int, today: date, now: datetime) -> bool:
    """Claim one review's milestone and tell its recipients; False when another beat claimed it
    or the review changed since it was listed."""
    with transaction.atomic():
        # The claim: a concurrent UPDATE of this row waits for our commit, then matches nothing.
        if not Review.objects.filter(_unsent(milestone, today), pk=review_id).update(**{milestone.stamp: now}):
            return False
        review = Review.objects.select_related("application", "department").get(pk=review_id)
        notify(recipient_ids=_recipients(milestone, review), kind=milestone.kind, application=review.application,
               review=review, params={"due_date": review.due_date.isoformat()})
        if milestone.card:
            audit_record(engine_event(Action.REVIEW_ESCALATED, review.application, obj=review,
                                      department_code=review.department.code, card=milestone.card))
    return True


def _recipients(milestone: Milestone, review: Review) -> list[int | None]:
    if milestone.card:
        return [*department_staff_ids(review.department_id, role=MembershipRole.SUPERVISOR), review.assignee_id]
    if review.assignee_id:
        return [review.assignee_id]
    return department_staff_ids(review.department_id)
