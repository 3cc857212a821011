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


# The 2026 State Council schedule around the Spring Festival: 15-23 Feb off, Sat 14 and Sat 28
# Feb worked in exchange.
SPRING = Calendar(
    workdays=frozenset(range(5)),
    holidays=frozenset(date(2026, 2, 15) + timedelta(days=i) for i in range(9)),
    working_days=frozenset({date(2026, 2, 14), date(2026, 2, 28)}),
)


def test_a_make_up_weekend_day_is_a_working_day():
    assert SPRING.is_working_day(date(2026, 2, 14))  # a Saturday worked
    assert not SPRING.is_working_day(date(2026, 2, 21))  # a Saturday of the holiday
    assert not SPRING.is_working_day(date(2026, 3, 7))  # an ordinary Saturday
    assert SPRING.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert SPRING.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert SPRING.add_working_days(date(2026, 2, 24), 4) == date(2026, 2, 28)
    assert SPRING.add_working_days(date(2026, 2, 24), 5) == date(2026, 3, 2)
    assert SPRING.working_days_between(date(2026, 2, 12), date(2026, 3, 2)) == 8  # 13, 14, 24-28 Feb, 2 Mar


def test_a_holiday_wins_over_a_make_up_day_listed_for_the_same_date():
    both = Calendar(workdays=frozenset(range(5)), holidays=frozenset({date(2026, 2, 14)}),
                    working_days=frozenset({date(2026, 2, 14)}))
    assert not both.is_working_day(date(2026, 2, 14))


def test_the_arithmetic_is_its_own_inverse_across_make_up_days():
    first = date(2026, 1, 20)
    table = WorkingDays(SPRING, first, date(2026, 6, 1))
    for offset in range(50):
        start = first + timedelta(days=offset)
        for days in range(25):
            end = SPRING.add_working_days(start, days)
            assert SPRING.working_days_between(start, end) == days == table.between(start, end)
            assert table.add(start, days) == end
            assert days == 0 or SPRING.is_working_day(end)
            if days and SPRING.is_working_day(start):
                assert table.back(end, days) == start
    # Counted day by day, the table holds exactly the calendar's working days.
    assert table.days == [d for d in (first + timedelta(i) for i in range((date(2026, 6, 1) - first).days + 1))
                          if d.weekday() < 5 and d not in SPRING.holidays or d in SPRING.working_days]
    assert date(2026, 2, 14) in table.days and date(2026, 2, 28) in table.days


def test_make_up_days_alone_do_not_make_a_calendar_usable():
    with pytest.raises(ValueError):
        Calendar(workdays=frozenset(), holidays=frozenset(),
                 working_days=frozenset({date(2026, 2, 14)})).add_working_days(date(2026, 1, 1), 1)
