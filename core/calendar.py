"""Working-day arithmetic over a calendar (working weekdays, holidays and make-up working days),
the one place it is done.

A time limit of N working days that starts on day S ends on the N-th working day after S:
the start day itself never counts, whether or not it is a working day, so a review routed on
Friday (or on Saturday) with 3 days is due on Wednesday. ``working_days_between`` counts the
same way, so the two are inverses: ``working_days_between(s, add_working_days(s, n)) == n``.

``WorkingDays`` is the arithmetic: a table of the working days of a range of dates, read by
binary search. A day is a working day when it is not a holiday and either falls on a working
weekday or is a make-up working day (调休: a weekend day worked in exchange for a holiday).
``Calendar`` answers for any date by building the table its question needs;
bulk work (millions of reviews, every day of a dashboard) builds one table for a long range and
asks it directly. The calendar's content (the catalogue's calendar and a department's overrides)
is read by catalogue.calendar."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = frozenset(range(7))
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    workdays: frozenset[int]  # 0 = Monday … 6 = Sunday
    holidays: frozenset[date]
    working_days: frozenset[date] = frozenset()  # make-up working days on non-working weekdays

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() in self.workdays or day in self.working_days

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself when days == 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        if not self.workdays & WEEKDAYS:
            # Without one real weekday no table would ever hold enough working days.
            raise ValueError("the calendar has no working weekdays")
        span = days + 7
        while True:
            table = WorkingDays(self, start, start + timedelta(days=span))
            if table.count_after(start) >= days:
                return table.add(start, days)
            span *= 2  # more holidays than the span allowed for

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; 0 when end <= start."""
        return WorkingDays(self, start, end).between(start, end) if end > start else 0


class WorkingDays:
    """The working days of ``calendar`` from ``first`` to ``last``, by table lookup; the
    answers are the calendar's for dates whose results fall inside the range."""

    def __init__(self, calendar: Calendar, first: date, last: date):
        self.first, self.last = first, last
        self.days = [d for d in (first + timedelta(i) for i in range((last - first).days + 1))
                     if calendar.is_working_day(d)]
        self.ordinals = [d.toordinal() for d in self.days]

    def _after(self, day: date) -> int:
        # Index of the first working day strictly after ``day``.
        return bisect_right(self.ordinals, day.toordinal())

    def count_after(self, day: date) -> int:
        """Working days of the table strictly after ``day``."""
        return len(self.days) - self._after(day)

    def add(self, start: date, days: int) -> date:
        return start if days == 0 else self.days[self._after(start) + days - 1]

    def back(self, end: date, days: int) -> date:
        """A working day ``days`` working days before ``end`` (``end`` when 0)."""
        if days == 0:
            return end
        return self.days[max(0, self._after(end) - 1 - days)]

    def between(self, start: date, end: date) -> int:
        return max(0, self._after(end) - self._after(start)) if end > start else 0
