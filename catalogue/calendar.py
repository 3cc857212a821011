"""Working-day arithmetic over the catalogue's calendar (working weekdays + holidays).

A time limit of N working days that starts on day S ends on the N-th working day after S:
the start day itself never counts, whether or not it is a working day, so a review routed on
Friday (or on Saturday) with 3 days is due on Wednesday. ``working_days_between`` counts the
same way, so the two are inverses: ``working_days_between(s, add_working_days(s, n)) == n``."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from time import monotonic

from .models import Holiday, WorkCalendar

DEFAULT_WORKDAYS = (0, 1, 2, 3, 4)
WEEKDAYS = frozenset(range(7))
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    workdays: frozenset[int]  # 0 = Monday … 6 = Sunday
    holidays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself when days == 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        if not self.workdays & WEEKDAYS:
            # Without one real weekday the loop below would never end.
            raise ValueError("the calendar has no working weekdays")
        day = start
        while days:
            day += ONE_DAY
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; 0 when end <= start."""
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def _weekdays(values: Iterable) -> frozenset[int]:
    """The usable weekday numbers of a stored list; Monday to Friday when none is usable
    (an empty week would make every deadline unreachable)."""
    days = set()
    for value in values or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number in WEEKDAYS:
            days.add(number)
    return frozenset(days or DEFAULT_WORKDAYS)


def load_calendar() -> Calendar:
    row = WorkCalendar.objects.order_by("pk").first()
    return Calendar(
        workdays=_weekdays(row.workdays if row else ()),
        holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
    )


CACHE_SECONDS = 60.0
_cache: tuple[float, Calendar] | None = None


def cached_calendar() -> Calendar:
    """The calendar, re-read at most once a minute per process (holidays change rarely; the
    admin clears the cache of its own process on every change)."""
    global _cache
    now = monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, load_calendar())
    return _cache[1]


def clear_calendar_cache() -> None:
    global _cache
    _cache = None
