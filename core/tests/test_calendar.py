"""The one working-day arithmetic: the engine's Calendar and the bulk tables count the same way."""

from datetime import date, timedelta

import pytest

from core.calendar import Calendar, WorkingDays

# Monday to Friday, with Thursday 1 and Friday 2 October 2026 off.
CALENDAR = Calendar(workdays=frozenset(range(5)), holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}))


def test_the_start_day_never_counts_and_holidays_are_skipped():
    assert CALENDAR.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 7)
    assert CALENDAR.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 5)  # from a Saturday
    assert CALENDAR.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert CALENDAR.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 3
    assert CALENDAR.working_days_between(date(2026, 10, 7), date(2026, 9, 30)) == 0


def test_a_table_over_a_range_answers_as_the_calendar_does():
    first = date(2026, 9, 1)
    table = WorkingDays(CALENDAR, first, date(2027, 3, 1))
    for offset in range(60):
        start = first + timedelta(days=offset)
        for days in range(15):
            end = CALENDAR.add_working_days(start, days)
            assert table.add(start, days) == end
            assert CALENDAR.working_days_between(start, end) == days == table.between(start, end)
            if days and CALENDAR.is_working_day(start):
                assert table.back(end, days) == start


def test_a_calendar_without_working_weekdays_or_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        Calendar(workdays=frozenset(), holidays=frozenset()).add_working_days(date(2026, 1, 1), 1)
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date(2026, 1, 1), -1)


def test_many_holidays_in_a_row_are_walked_over():
    holidays = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(200))
    calendar = Calendar(workdays=frozenset(range(5)), holidays=holidays)
    assert calendar.add_working_days(date(2026, 1, 1), 1) == date(2026, 7, 20)
