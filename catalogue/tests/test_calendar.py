"""Working-day arithmetic: the N-th working day after a start day, and the working days
between two days, over the catalogue's working week and holidays."""

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection

from catalogue.calendar import (
    cached_calendar,
    cached_calendars,
    calendar_change,
    clear_calendar_cache,
    current_revision,
    load_calendar,
)
from catalogue.models import CalendarRevision, DepartmentCalendar, Holiday, WorkCalendar, WorkingWeekend
from core.calendar import Calendar
from departments.models import Department

MON_FRI = frozenset({0, 1, 2, 3, 4})
NATIONAL_DAY = frozenset({date(2026, 10, 1), date(2026, 10, 2)})  # a Thursday and a Friday


@pytest.fixture
def week():
    """Monday to Friday with the 2026-10-01/02 holidays."""
    return Calendar(workdays=MON_FRI, holidays=NATIONAL_DAY)


@pytest.mark.parametrize(("start", "days", "expected"), [
    # Across a weekend: routed on Friday, the first working day is Monday.
    (date(2026, 11, 20), 1, date(2026, 11, 23)),
    (date(2026, 11, 20), 2, date(2026, 11, 24)),
    (date(2026, 11, 20), 5, date(2026, 11, 27)),
    (date(2026, 11, 20), 10, date(2026, 12, 4)),
    # Across the holiday: Thursday and Friday off, then the weekend.
    (date(2026, 9, 30), 1, date(2026, 10, 5)),
    (date(2026, 9, 30), 2, date(2026, 10, 6)),
    (date(2026, 9, 29), 2, date(2026, 10, 5)),
    (date(2026, 9, 28), 5, date(2026, 10, 7)),
    # Starting on a weekend or a holiday: counting starts on the next working day.
    (date(2026, 11, 21), 1, date(2026, 11, 23)),
    (date(2026, 11, 22), 1, date(2026, 11, 23)),
    (date(2026, 11, 22), 3, date(2026, 11, 25)),
    (date(2026, 10, 1), 1, date(2026, 10, 5)),
    (date(2026, 10, 3), 1, date(2026, 10, 5)),
    # Zero days is the start itself, working day or not.
    (date(2026, 11, 20), 0, date(2026, 11, 20)),
    (date(2026, 10, 3), 0, date(2026, 10, 3)),
])
def test_add_working_days(week, start, days, expected):
    assert week.add_working_days(start, days) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 11, 20), date(2026, 11, 27), 5),  # Friday to Friday
    (date(2026, 11, 20), date(2026, 11, 22), 0),  # Friday to Sunday: only the weekend
    (date(2026, 11, 21), date(2026, 11, 23), 1),  # Saturday to Monday: Monday counts
    (date(2026, 11, 23), date(2026, 11, 24), 1),
    (date(2026, 9, 30), date(2026, 10, 4), 0),  # holiday and weekend only
    (date(2026, 9, 30), date(2026, 10, 5), 1),
    (date(2026, 9, 24), date(2026, 10, 8), 8),  # two weeks minus the two holidays
    (date(2026, 11, 24), date(2026, 12, 8), 10),
    (date(2026, 11, 20), date(2026, 11, 20), 0),  # the same day
    (date(2026, 11, 27), date(2026, 11, 20), 0),  # end before start
])
def test_working_days_between(week, start, end, expected):
    assert week.working_days_between(start, end) == expected


@pytest.mark.parametrize("start", [
    date(2026, 9, 28), date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 3), date(2026, 11, 20), date(2026, 11, 22),
])
def test_between_counts_back_what_add_counted(week, start):
    for days in range(0, 25):
        assert week.working_days_between(start, week.add_working_days(start, days)) == days


def test_is_working_day(week):
    assert week.is_working_day(date(2026, 9, 30))
    assert not week.is_working_day(date(2026, 10, 1))  # holiday on a Thursday
    assert not week.is_working_day(date(2026, 10, 3))  # Saturday
    assert week.is_working_day(date(2026, 10, 5))


def test_six_day_week():
    six = Calendar(workdays=frozenset(range(6)), holidays=NATIONAL_DAY)
    assert six.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 21)  # Saturday works
    assert six.add_working_days(date(2026, 11, 20), 2) == date(2026, 11, 23)  # Sunday does not
    assert six.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 3)  # the holidays still do not
    assert six.working_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 6


def test_sunday_to_thursday_week():
    week = Calendar(workdays=frozenset({6, 0, 1, 2, 3}), holidays=frozenset())
    assert week.add_working_days(date(2026, 11, 19), 1) == date(2026, 11, 22)  # Thursday → Sunday
    assert week.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 22)  # from the Friday off
    assert week.working_days_between(date(2026, 11, 19), date(2026, 11, 26)) == 5


def test_negative_days_and_an_empty_week_are_refused(week):
    with pytest.raises(ValueError):
        week.add_working_days(date(2026, 11, 20), -1)
    with pytest.raises(ValueError):
        Calendar(workdays=frozenset(), holidays=frozenset()).add_working_days(date(2026, 11, 20), 1)
    with pytest.raises(ValueError):
        Calendar(workdays=frozenset({"1", 7}), holidays=frozenset()).add_working_days(date(2026, 11, 20), 1)


@pytest.mark.django_db
def test_load_calendar_defaults_to_monday_to_friday_without_holidays():
    assert load_calendar() == Calendar(workdays=MON_FRI, holidays=frozenset())


@pytest.mark.django_db
def test_load_calendar_reads_the_working_week_and_holidays():
    WorkCalendar.objects.create(workdays=[5, 0, 1, 2, 3, 4])
    Holiday.objects.bulk_create([Holiday(date=day) for day in sorted(NATIONAL_DAY)])
    calendar = load_calendar()
    assert calendar == Calendar(workdays=frozenset(range(6)), holidays=NATIONAL_DAY)
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 3)


@pytest.mark.django_db
def test_load_calendar_ignores_unusable_weekdays():
    WorkCalendar.objects.create(workdays=[])
    assert load_calendar().workdays == MON_FRI
    WorkCalendar.objects.update(workdays=[1, "2", 9, "x"])
    assert load_calendar().workdays == frozenset({1, 2})


@pytest.mark.django_db
def test_rows_written_outside_a_calendar_change_are_not_seen_until_the_cache_is_cleared():
    Holiday.objects.create(date=date(2026, 10, 1))
    first = cached_calendar()
    assert first.holidays == {date(2026, 10, 1)}

    Holiday.objects.create(date=date(2026, 10, 2))  # no revision: the cache cannot know
    assert cached_calendar() is first

    clear_calendar_cache()
    assert cached_calendar().holidays == NATIONAL_DAY


@pytest.mark.django_db
def test_a_calendar_change_raises_the_revision_and_records_the_content():
    first = cached_calendars()
    assert first.revision == 0
    with calendar_change():
        Holiday.objects.create(date=date(2026, 10, 1))
        WorkingWeekend.objects.create(date=date(2026, 10, 10))
    assert WorkCalendar.objects.get().revision == 1
    assert list(CalendarRevision.objects.values_list("revision", "content")) == [
        (0, {"workdays": [0, 1, 2, 3, 4], "holidays": [], "working_days": [], "departments": {}}),
        (1, {"workdays": [0, 1, 2, 3, 4], "holidays": ["2026-10-01"], "working_days": ["2026-10-10"],
             "departments": {}}),
    ]
    # The next question sees it, without clearing anything.
    calendar = cached_calendar()
    assert calendar.holidays == {date(2026, 10, 1)} and calendar.working_days == {date(2026, 10, 10)}
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a Saturday worked
    assert cached_calendars().revision == 1 and cached_calendars() is cached_calendars()

    with calendar_change():  # nothing changed: no new revision
        Holiday.objects.filter(date=date(2026, 10, 1)).update(date=date(2026, 10, 1))
    assert WorkCalendar.objects.get().revision == 1 and CalendarRevision.objects.count() == 2


@pytest.mark.django_db
def test_a_change_rolled_back_leaves_the_revision_and_the_calendar_as_they_were():
    before = cached_calendars()
    with pytest.raises(RuntimeError), calendar_change():
        Holiday.objects.create(date=date(2026, 10, 1))
        raise RuntimeError("refused")
    assert current_revision() == 0
    assert cached_calendars().base == before.base
    assert not Holiday.objects.exists()


@pytest.mark.django_db
def test_a_departments_calendar_is_the_catalogues_with_its_overrides():
    registration = Department.objects.create(code="registration", name={"en": "Registration"})
    tax = Department.objects.create(code="tax", name={"en": "Tax"})
    with calendar_change():
        Holiday.objects.bulk_create([Holiday(date=day) for day in sorted(NATIONAL_DAY)])
        WorkingWeekend.objects.create(date=date(2026, 10, 10))
        DepartmentCalendar.objects.create(department=registration, workdays=[0, 1, 2, 3, 4, 5],
                                          holidays=["2026-11-20"], working_days=["2026-10-02"])
    calendars = cached_calendars()
    assert calendars.of(tax.pk) is calendars.base
    assert calendars.of(None) is calendars.base
    own = calendars.of(registration.pk)
    assert own == Calendar(workdays=frozenset(range(6)), holidays=frozenset({date(2026, 10, 1), date(2026, 11, 20)}),
                           working_days=frozenset({date(2026, 10, 2), date(2026, 10, 10)}))
    assert own.add_working_days(date(2026, 11, 19), 1) == date(2026, 11, 21)  # Friday closed, Saturday works
    assert calendars.base.add_working_days(date(2026, 11, 19), 1) == date(2026, 11, 20)
    assert own.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 2)  # open on the national holiday
    assert calendars.base.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 5)
    assert load_calendar(registration.pk) == own


WATCHER = """
import sys
import django
django.setup()
from catalogue.calendar import cached_calendar, calendar_change
from catalogue.models import Holiday
from datetime import date

def holidays():
    return " ".join(sorted(d.isoformat() for d in cached_calendar().holidays)) or "-"

print(holidays(), flush=True)  # its calendar, held from now on
sys.stdin.readline()  # the other process committed a change
print(holidays(), flush=True)
with calendar_change():
    Holiday.objects.create(date=date(2026, 10, 2))
print("committed", flush=True)
"""


@pytest.mark.postgres  # two processes share the database
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_in_one_process_is_seen_by_the_next_question_of_another():
    database = connection.settings_dict
    url = (f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
           f"{database['PORT'] or 5432}/{database['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    assert cached_calendar().holidays == frozenset()  # this process holds its calendar too
    other = subprocess.Popen([sys.executable, "-c", WATCHER], env=env, cwd=settings.BASE_DIR, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert other.stdout.readline().strip() == "-"
        with calendar_change():  # committed here (no test transaction around it)
            Holiday.objects.create(date=date(2026, 10, 1))
        other.stdin.write("go\n")
        other.stdin.flush()
        # The other process's next question sees it, without waiting for anything.
        assert other.stdout.readline().strip() == "2026-10-01"
        assert other.stdout.readline().strip() == "committed"
        assert other.wait(timeout=60) == 0, other.stderr.read()
    finally:
        if other.poll() is None:
            other.kill()
    # And this process's next question sees the other's change.
    assert cached_calendar().holidays == NATIONAL_DAY
    assert cached_calendars().revision == 2


def test_long_spans_stay_exact(week):
    # One year of Mondays to Fridays, minus the two holidays.
    start = date(2026, 1, 1)
    end = start + timedelta(days=365)
    assert week.working_days_between(start, end) == 261 - 2


@pytest.mark.django_db
def test_a_change_nudges_the_engine_to_list_the_due_dates_it_would_move(monkeypatch):
    sent = []
    monkeypatch.setattr("catalogue.calendar.nudge_ids_on_commit", lambda task, ids: sent.append((task, ids)))
    with calendar_change():
        Holiday.objects.create(date=date(2026, 10, 1))
    with calendar_change():  # nothing changed: no nudge
        pass
    assert sent == [("approvals.tasks.calendar_changes_record_task", [1])]
