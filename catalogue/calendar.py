"""Working-day arithmetic over the catalogue's calendar (working weekdays + holidays).

A time limit of N working days that starts on day S ends on the N-th working day after S:
the day of routing itself never counts, so a review routed late on Friday with 3 days is
due on Wednesday."""

from dataclasses import dataclass
from datetime import date, timedelta

from .models import Holiday, WorkCalendar

DEFAULT_WORKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Calendar:
    workdays: frozenset[int]
    holidays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself when days == 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        if not self.workdays:
            raise ValueError("the calendar has no working weekdays")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; 0 when end <= start."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def load_calendar() -> Calendar:
    row = WorkCalendar.objects.order_by("pk").first()
    workdays = frozenset(row.workdays) if row and row.workdays else frozenset(DEFAULT_WORKDAYS)
    return Calendar(workdays=workdays, holidays=frozenset(Holiday.objects.values_list("date", flat=True)))


_cache: tuple[float, Calendar] | None = None
CACHE_SECONDS = 60.0


def cached_calendar() -> Calendar:
    """The calendar, re-read at most once a minute per process (holidays change rarely)."""
    import time

    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, load_calendar())
    return _cache[1]


def clear_calendar_cache() -> None:
    global _cache
    _cache = None
