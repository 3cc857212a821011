"""Make-up working days and departments' own calendars in catalogue files, the dump and the
admin: checked with clear errors, written back as loaded, and each change raising the revision."""

import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from catalogue.calendar import cached_calendars, current_revision
from catalogue.dumper import catalogue_dump
from catalogue.models import CalendarRevision, DepartmentCalendar, Holiday, WorkingWeekend
from departments.models import Department

from .conftest import state

pytestmark = pytest.mark.django_db

CALENDAR = """\
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays: [2026-10-01, 2026-10-02, 2026-10-05]
  working_weekends: [2026-10-10, 2026-09-20]
departments:
  - code: fire
    name: {en: Fire and Rescue, zh-hans: 消防救援}
    calendar:
      workdays: [mon, tue, wed, thu, fri, sat]
      holidays: [2026-11-20]
      working_days: [2026-10-05]
"""


def test_make_up_days_and_a_departments_calendar_are_loaded(base, write, load):
    before = current_revision()
    output = load(write("calendar.yaml", CALENDAR))

    assert ("Calendar: working weekdays unchanged, 1 holidays added, 0 removed, "
            "2 make-up working days added, 0 removed") in output
    assert "Department calendars: 1 changed" in output
    assert list(WorkingWeekend.objects.values_list("date", flat=True)) == [date(2026, 9, 20), date(2026, 10, 10)]
    fire = Department.objects.get(code="fire")
    own = DepartmentCalendar.objects.get()
    assert (own.department, own.workdays, own.holidays, own.working_days) == (
        fire, [0, 1, 2, 3, 4, 5], ["2026-11-20"], ["2026-10-05"])
    assert current_revision() == before + 1
    calendars = cached_calendars()
    assert calendars.base.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # Saturday worked
    assert calendars.base.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 6)
    assert calendars.of(fire.pk).add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 3)  # its Saturday
    assert calendars.of(fire.pk).add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 5)  # open on the 5th
    assert calendars.of(fire.pk).add_working_days(date(2026, 11, 19), 1) == date(2026, 11, 21)

    # Loading it again changes nothing, the revision neither.
    load(write("calendar.yaml", CALENDAR))
    assert current_revision() == before + 1


def test_a_department_listed_without_a_calendar_goes_back_to_the_catalogues(base, write, load):
    load(write("calendar.yaml", CALENDAR))
    revision = current_revision()
    load(write("plain.yaml", "departments:\n  - code: fire\n    name: {en: Fire and Rescue, zh-hans: 消防救援}\n"))
    assert not DepartmentCalendar.objects.exists()
    assert current_revision() == revision + 1
    assert CalendarRevision.objects.get(revision=revision + 1).content["departments"] == {}


def test_they_are_dumped_and_load_dump_load_is_a_fixed_point(base, write, load, tmp_path):
    load(write("calendar.yaml", CALENDAR))
    dumped = catalogue_dump()
    assert ("  working_weekends:\n"
            "    - 2026-09-20\n"
            "    - 2026-10-10\n") in dumped
    assert ("  - code: fire\n"
            "    name: {en: Fire and Rescue, zh-hans: 消防救援}\n"
            "    calendar:\n"
            "      workdays: [mon, tue, wed, thu, fri, sat]\n"
            "      holidays: [2026-11-20]\n"
            "      working_days: [2026-10-05]\n") in dumped
    first = tmp_path / "first.yaml"
    call_command("dump_catalogue", "--output", str(first), stderr=io.StringIO())
    before, revision = state(), current_revision()

    output = load(first)

    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before
    assert current_revision() == revision


@pytest.mark.parametrize(("text", "expected"), [
    ("calendar:\n  workdays: [mon, tue, wed, thu, fri]\n  working_weekends: [2026-10-08, 2026-10-10, 2026-10-10]\n",
     ["calendar.working_weekends[2]: 2026-10-10 is listed twice",
      "calendar.working_weekends[0]: 2026-10-08 is a Thursday, already a working day of the week: only a rest day "
      "can be made a working day"]),
    ("calendar:\n  workdays: [mon, tue, wed, thu, fri]\n  holidays: [2026-10-10]\n  working_weekends: [2026-10-10]\n",
     ["calendar.working_weekends[0]: 2026-10-10 is listed both as a holiday and as a working day"]),
    ("calendar:\n  workdays: [mon, tue, wed, thu, fri]\n  working_weekends: [2026-02-30, tomorrow]\n",
     ["calendar.working_weekends[0]: must be a date written YYYY-MM-DD, not '2026-02-30'",
      "calendar.working_weekends[1]: must be a date written YYYY-MM-DD, not 'tomorrow'"]),
    ("calendar:\n  workdays: [mon, tue, wed, thu, fri, sat]\n  working_weekends: [2026-10-10]\n",
     ["calendar.working_weekends[0]: 2026-10-10 is a Saturday, already a working day of the week: only a rest day "
      "can be made a working day"]),
    ("departments:\n  - code: fire\n    name: {en: Fire, zh-hans: 消防}\n    calendar:\n"
     "      holidays: [2026-11-20]\n      working_days: [2026-11-20, 2026-11-21, 2026-11-21]\n      shifts: 3\n",
     ["departments[0].calendar.shifts: unknown key (expected one of workdays, holidays, working_days)",
      "departments[0].calendar.working_days[2]: 2026-11-21 is listed twice",
      "departments[0].calendar.working_days[0]: 2026-11-20 is listed both as a holiday and as a working day"]),
    ("departments:\n  - code: fire\n    name: {en: Fire, zh-hans: 消防}\n    calendar:\n"
     "      workdays: [mon, funday]\n      working_days: [2026-11-23]\n",
     ["departments[0].calendar.workdays[1]: unknown weekday 'funday' (expected one of mon, tue, wed, thu, fri, sat, sun)"]),
    ("departments:\n  - code: fire\n    name: {en: Fire, zh-hans: 消防}\n    calendar: {}\n",
     ["departments[0].calendar: must list a working week, holidays or working days"]),
], ids=range(7))
def test_bad_calendars_are_reported_with_file_path_and_reason_and_change_nothing(base, write, load_errors, text,
                                                                                 expected):
    before, revision = state(), current_revision()
    bad = write("bad.yaml", text)

    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert state() == before
    assert current_revision() == revision


# --- The admin -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(email="admin@example.gov", password="correct-horse-battery")
    client.force_login(user)
    return client


def test_adding_a_make_up_day_in_the_admin_raises_the_revision(base, admin_client):
    revision = current_revision()
    response = admin_client.post(reverse("admin:catalogue_workingweekend_add"), {"date": "2026-10-10"})
    assert response.status_code == 302
    assert current_revision() == revision + 1
    assert cached_calendars().base.is_working_day(date(2026, 10, 10))

    holiday = Holiday.objects.get(date=date(2026, 10, 1))
    response = admin_client.post(reverse("admin:catalogue_holiday_delete", args=[holiday.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert current_revision() == revision + 2
    assert cached_calendars().base.is_working_day(date(2026, 10, 1))


@pytest.mark.parametrize(("day", "message"), [
    ("2026-10-08", "2026-10-08 is a Thursday, already a working day of the week"),
    ("2026-10-01", "2026-10-01 is listed both as a holiday and as a working day"),
    ("2026-10-31", None),
])
def test_the_admin_checks_a_make_up_day_as_files_are_checked(base, admin_client, day, message):
    revision = current_revision()
    response = admin_client.post(reverse("admin:catalogue_workingweekend_add"), {"date": day})
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WorkingWeekend.objects.exists() and current_revision() == revision


def test_a_holiday_on_a_make_up_day_is_refused(base, admin_client):
    WorkingWeekend.objects.create(date=date(2026, 10, 10))
    response = admin_client.post(reverse("admin:catalogue_holiday_add"), {"date": "2026-10-10"})
    assert response.status_code == 200
    assert "2026-10-10 is listed both as a holiday and as a working day" in response.content.decode()


def test_a_departments_calendar_in_the_admin(base, admin_client):
    fire = Department.objects.get(code="fire")
    revision = current_revision()
    response = admin_client.post(reverse("admin:catalogue_departmentcalendar_add"), {
        "department": fire.pk, "workdays": ["0", "1", "2", "3", "4", "5"], "holidays": "2026-11-20\n",
        "working_days": "2026-10-05\n2026-10-05"})
    assert response.status_code == 200
    assert "2026-10-05 is listed twice" in response.content.decode()
    assert current_revision() == revision

    response = admin_client.post(reverse("admin:catalogue_departmentcalendar_add"), {
        "department": fire.pk, "workdays": ["5", "0", "1", "2", "3", "4"], "holidays": "2026-11-20\n",
        "working_days": " 2026-10-05 \n"})
    assert response.status_code == 302
    own = DepartmentCalendar.objects.get()
    assert (own.workdays, own.holidays, own.working_days) == ([0, 1, 2, 3, 4, 5], ["2026-11-20"], ["2026-10-05"])
    assert current_revision() == revision + 1
    assert cached_calendars().of(fire.pk).add_working_days(date(2026, 11, 19), 1) == date(2026, 11, 21)
    assert admin_client.get(reverse("admin:catalogue_departmentcalendar_change", args=[own.pk])).status_code == 200
