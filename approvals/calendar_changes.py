"""Calendar changes and the due dates already set: never moved silently.

A change of the working-day calendars (a holiday added or removed, a make-up working day, a
department's own calendar) raises the calendars' revision and records their new content
(catalogue.calendar.calendar_change). New clocks count with it at once; the dates of clocks
already running stay as they were set. ``calendar_changes_record`` (beat) compares each new
revision with the one before and lists, per revision, every open review (not decided; its clock
running or paused) whose due date the department's new calendar would move: its current dates
and the recomputed ones, the same number of working days from the day its clock started as in
the calendar its dates were set with (extensions and days waited on the applicant included,
since they are in the dates). A later change supersedes what an earlier one listed and is not
decided yet.

A supervisor of the review's department applies the recomputed dates or keeps the current ones
(``calendar_change_decide``), each decision audited. A review whose dates changed since the
change was recorded (extended, resumed, decided, another change applied) is stale: nothing is
written and the supervisor is told."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from catalogue.calendar import calendars_from, current_revision
from catalogue.models import CalendarRevision
from core.calendar import Calendar, WorkingDays
from core.errors import Conflict, NotAllowed
from departments.access import supervisor_memberships

from .events import calendar_event, engine_event
from .locks import lock_calendar_change_reviews, lock_calendar_revisions, lock_reviews
from .models import REVIEW_UNDECIDED, CalendarChange, CalendarChangeReview, CalendarChangeState, Review

# Room after the latest date of a review for the new calendar's table (holidays in a row).
TABLE_MARGIN = timedelta(days=800)


class ChangeNotFound(Conflict):
    default_message = _("That calendar change is not in your list: it may have been decided already.")


class StaleChange(Conflict):
    default_message = _("The review's dates changed since the calendar change was recorded: nothing was changed.")


# --- Recording ----------------------------------------------------------------------------------------


def calendar_changes_record() -> int:
    """Record every calendar revision not recorded yet, oldest first; returns how many reviews
    were listed. Safe to run twice, or twice at once: each revision is recorded under a lock on
    its CalendarRevision row, once (CalendarChange.revision is unique)."""
    latest = current_revision()
    done = CalendarChange.objects.order_by("-revision").values_list("revision", flat=True).first()
    if done is not None and done >= latest:
        return 0  # the usual case: one read of each cursor
    revisions = list(CalendarRevision.objects.filter(revision__gte=done or 0, revision__lte=latest)
                     .order_by("revision").values_list("revision", flat=True))
    listed = 0
    for before, after in zip(revisions, revisions[1:], strict=False):
        listed += _record(before, after)
    return listed


@transaction.atomic
def _record(before: int, after: int) -> int:
    rows = lock_calendar_revisions([before, after])
    if CalendarChange.objects.filter(revision=after).exists():
        return 0
    change = CalendarChange.objects.create(revision=after, changed_at=rows[after].changed_at)
    items = _moved(after, change=change)
    CalendarChangeReview.objects.bulk_create(items, batch_size=1000)
    codes = sorted({item.department.code for item in items})
    audit_record(calendar_event(Action.CALENDAR_CHANGED, change, revision=after, from_revision=before,
                                reviews=len(items), departments=codes))
    return len(items)


class _Revisions:
    """The calendars of each revision, read when first needed, and which was in force when."""

    def __init__(self, upto: int):
        self.times = list(CalendarRevision.objects.filter(revision__lte=upto).order_by("revision")
                          .values_list("revision", "changed_at"))
        self.calendars: dict[int, object] = {}
        self.tables: dict[tuple[int, int], WorkingDays] = {}

    def in_force(self, moment) -> int:
        """The revision in force at ``moment`` (the oldest known for a moment before it)."""
        revision = self.times[0][0]
        for number, changed_at in self.times:
            if changed_at > moment:
                break
            revision = number
        return revision

    def of(self, revision: int, department_id: int) -> Calendar:
        if revision not in self.calendars:
            self.calendars[revision] = calendars_from(CalendarRevision.objects.get(revision=revision).content)
        return self.calendars[revision].of(department_id)

    def table(self, revision: int, department_id: int, first: date, last: date) -> WorkingDays:
        """One table per revision and department, not per review."""
        key = (revision, department_id)
        if key not in self.tables:
            self.tables[key] = WorkingDays(self.of(revision, department_id), first, last)
        return self.tables[key]


def _moved(after: int, *, change: CalendarChange) -> list[CalendarChangeReview]:
    """The open reviews whose due date the calendars of revision ``after`` move: each counted
    against the calendar its dates were set with (in force when it was routed, or that of the
    change last applied to it). Their items still to decide from earlier changes are superseded."""
    reviews = list(Review.objects.filter(status__in=REVIEW_UNDECIDED, started_on__isnull=False, due_date__isnull=False)
                   .select_related("department").only("pk", "department__code", "department_id", "started_on",
                                                      "due_date", "remind_on", "red_on", "routed_at").order_by("pk"))
    if not reviews:
        return []
    # Every review is counted again below: what earlier changes listed and is not decided yet
    # gives way to what this one lists (a decided review's is moot).
    CalendarChangeReview.objects.filter(state=CalendarChangeState.PENDING).update(state=CalendarChangeState.SUPERSEDED)
    applied = dict(CalendarChangeReview.objects.filter(state=CalendarChangeState.APPLIED,
                                                       review__status__in=REVIEW_UNDECIDED)
                   .values_list("review_id").annotate(revision=Max("change__revision")))
    revisions = _Revisions(after)
    first = min(r.started_on for r in reviews)
    last = max(max(d for d in (r.due_date, r.remind_on, r.red_on) if d) for r in reviews) + TABLE_MARGIN
    items = []
    for review in reviews:
        department_id = review.department_id
        basis = applied.get(review.pk) or revisions.in_force(review.routed_at)
        if basis == after or revisions.of(basis, department_id) == revisions.of(after, department_id):
            continue
        old = revisions.table(basis, department_id, first, last)
        new = revisions.table(after, department_id, first, last)
        dates = {name: _recount(old, new, revisions.of(after, department_id), review.started_on,
                                getattr(review, name)) for name in ("due_date", "remind_on", "red_on")}
        if dates["due_date"] != review.due_date:
            items.append(CalendarChangeReview(
                change=change, review=review, department=review.department, due_date=review.due_date,
                new_due_date=dates["due_date"], new_remind_on=dates["remind_on"], new_red_on=dates["red_on"]))
    return items


def _recount(old: WorkingDays, new: WorkingDays, calendar: Calendar, start: date, day: date | None) -> date | None:
    """The day as many working days after ``start`` in the new calendar as ``day`` is in the old."""
    if day is None:
        return None
    days = old.between(start, day)
    if new.count_after(start) >= days:
        return new.add(start, days)
    return calendar.add_working_days(start, days)


# --- Deciding -----------------------------------------------------------------------------------------


def supervised_department_ids(user) -> list[int]:
    return sorted(supervisor_memberships(user).values_list("department_id", flat=True))


@transaction.atomic
def calendar_change_decide(*, item_ids: list[int], actor, apply: bool, ip: str | None = None) -> int:
    """Apply the recomputed dates of these listed reviews (``apply``) or keep their current
    ones. All or nothing: an item not listed for a department the actor supervises, or already
    decided, raises ChangeNotFound; a review whose dates changed since, StaleChange. Returns how
    many were decided."""
    departments = supervised_department_ids(actor)
    if not departments:
        raise NotAllowed(_("Only a supervisor of the department can decide on its due dates."))
    ids = sorted({int(pk) for pk in item_ids})
    if not ids:
        raise ChangeNotFound(_("Choose at least one review."))
    items = lock_calendar_change_reviews(ids, department_ids=departments)
    if len(items) != len(ids):
        raise ChangeNotFound
    reviews = {r.pk: r for r in lock_reviews([i.review_id for i in items], department_ids=departments)}
    for item in items:
        review = reviews.get(item.review_id)
        if review is None or review.status not in REVIEW_UNDECIDED or review.due_date != item.due_date:
            raise StaleChange(_("The dates of %(reference)s changed since the calendar change was recorded: "
                                "nothing was changed. Reload the page to see the list as it is now.") % {
                "reference": review.application.reference if review else item.review_id})
    now = timezone.now()
    events = []
    for item in items:
        review = reviews[item.review_id]
        if apply:
            dates = {"due_date": item.new_due_date, "remind_on": item.new_remind_on or review.remind_on,
                     "red_on": item.new_red_on or review.red_on}
            Review.objects.filter(pk=review.pk).update(version=review.version + 1, updated_at=now, **dates)
        events.append(engine_event(
            Action.REVIEW_DUE_RECOMPUTED if apply else Action.REVIEW_DUE_KEPT, review.application, obj=review,
            actor=actor, ip=ip, department_code=review.department.code, revision=item.change.revision,
            **{"from": item.due_date.isoformat(), "to": item.new_due_date.isoformat()}))
        item.state = CalendarChangeState.APPLIED if apply else CalendarChangeState.KEPT
        item.decided_at, item.decided_by = now, actor
    CalendarChangeReview.objects.bulk_update(items, ["state", "decided_at", "decided_by"])
    audit_record(*events)
    return len(items)

