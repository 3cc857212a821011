"""The catalogue's working-day calendars (the arithmetic is core.calendar's).

The catalogue's calendar is its working weekdays, holidays and make-up working days (the
WorkCalendar, Holiday and WorkingWeekend rows); a department whose days differ has a
DepartmentCalendar on top of it: its own working week, extra closure days, extra working days.

Every change to those rows is made inside ``calendar_change()``, which raises the revision on
the WorkCalendar row and records the new content as a CalendarRevision in the same transaction.
Each process keeps the calendars it read with their revision and, before answering, reads the
current revision (one single-row read by primary key): a change committed anywhere is seen by the
next question any process asks."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from core.calendar import WEEKDAYS, Calendar
from core.nudges import nudge_ids_on_commit

from .models import CalendarRevision, DepartmentCalendar, Holiday, WorkCalendar, WorkingWeekend

DEFAULT_WORKDAYS = (0, 1, 2, 3, 4)
RECORD_TASK = "approvals.tasks.calendar_changes_record_task"


def _weekdays(values: Iterable) -> frozenset[int]:
    """The usable weekday numbers of a stored list (none: an empty set)."""
    days = set()
    for value in values or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number in WEEKDAYS:
            days.add(number)
    return frozenset(days)


def _dates(values: Iterable) -> frozenset[date]:
    days = set()
    for value in values or ():
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    return frozenset(days)


def department_calendar(base: Calendar, *, workdays: Iterable = (), holidays: Iterable = (),
                        working_days: Iterable = ()) -> Calendar:
    """A department's calendar: the catalogue's with its own working week (when it has one), its
    closure days added and its working days added (a department's working day wins over a
    catalogue holiday, its closure day over a catalogue make-up day)."""
    closed, open_ = _dates(holidays), _dates(working_days)
    return Calendar(
        workdays=_weekdays(workdays) or base.workdays,
        holidays=(base.holidays - open_) | closed,
        working_days=(base.working_days - closed) | open_,
    )


@dataclass(frozen=True)
class Calendars:
    """The catalogue's calendar and each department's where it has its own (by department id)."""

    revision: int
    base: Calendar
    departments: dict[int, Calendar] = field(default_factory=dict)

    def of(self, department_id: int | None) -> Calendar:
        return self.departments.get(department_id, self.base)


# --- Reading ------------------------------------------------------------------------------------------


def calendar_snapshot() -> dict:
    """The calendars' content as plain JSON data, in a stable order (so two can be compared)."""
    row = WorkCalendar.objects.order_by("pk").first()
    return {
        "workdays": sorted(_weekdays(row.workdays if row else ())) or list(DEFAULT_WORKDAYS),
        "holidays": [d.isoformat() for d in Holiday.objects.order_by("date").values_list("date", flat=True)],
        "working_days": [d.isoformat() for d in WorkingWeekend.objects.order_by("date").values_list("date", flat=True)],
        "departments": {
            str(c.department_id): {"workdays": sorted(_weekdays(c.workdays)),
                                   "holidays": sorted(d.isoformat() for d in _dates(c.holidays)),
                                   "working_days": sorted(d.isoformat() for d in _dates(c.working_days))}
            for c in DepartmentCalendar.objects.order_by("department_id")
        },
    }


def calendars_from(content: dict, *, revision: int = 0) -> Calendars:
    """The calendars of a snapshot (``calendar_snapshot``, or a CalendarRevision's content)."""
    base = Calendar(workdays=_weekdays(content.get("workdays")) or frozenset(DEFAULT_WORKDAYS),
                    holidays=_dates(content.get("holidays")), working_days=_dates(content.get("working_days")))
    return Calendars(revision=revision, base=base, departments={
        int(pk): department_calendar(base, **own) for pk, own in (content.get("departments") or {}).items()})


def current_revision() -> int:
    return WorkCalendar.objects.order_by("pk").values_list("revision", flat=True).first() or 0


def load_calendars() -> Calendars:
    # The revision first: content read after it is at least as new, so a stale label only
    # makes the next question read again.
    revision = current_revision()
    return calendars_from(calendar_snapshot(), revision=revision)


def load_calendar(department_id: int | None = None) -> Calendar:
    return load_calendars().of(department_id)


_cache: Calendars | None = None


def cached_calendars() -> Calendars:
    """The calendars, read again whenever the revision differs from the one held."""
    global _cache
    cached = _cache
    if cached is None or cached.revision != current_revision():
        cached = _cache = load_calendars()
    return cached


def cached_calendar(department_id: int | None = None) -> Calendar:
    return cached_calendars().of(department_id)


def clear_calendar_cache() -> None:
    global _cache
    _cache = None


# --- Changing -----------------------------------------------------------------------------------------


@contextmanager
def calendar_change() -> Iterator[None]:
    """Wrap every write to the calendar rows. In one transaction: the calendar row is locked (so
    changes are counted one after the other), the content before is recorded as a revision if
    none was, and when the content differs afterwards the revision goes up and the new content is
    recorded with it."""
    with transaction.atomic():
        row = WorkCalendar.objects.select_for_update().order_by("pk").first()
        before = calendar_snapshot()
        yield
        after = calendar_snapshot()
        if after == before:
            return
        revision = row.revision if row else 0
        row = WorkCalendar.objects.order_by("pk").first() or WorkCalendar.objects.create(workdays=after["workdays"])
        now = timezone.now()
        if not CalendarRevision.objects.filter(revision=revision).exists():
            CalendarRevision.objects.create(revision=revision, changed_at=now, content=before)
        WorkCalendar.objects.filter(pk=row.pk).update(revision=revision + 1)
        CalendarRevision.objects.create(revision=revision + 1, changed_at=now, content=after)
        # The engine lists the due dates the change would move (its beat does too, if this is lost).
        nudge_ids_on_commit(RECORD_TASK, [revision + 1])
