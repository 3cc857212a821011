"""The SLA clock of a review, with frozen time and exact dates.

The restaurant service routes three stage-1 reviews; routed on Friday 2026-11-20 (no holidays
in November, Monday to Friday) their clocks are:

    department    limit  reminder    due date    red card date
    tax           2      Mon 11-23   Tue 11-24   Thu 11-26
    registration  3      Tue 11-24   Wed 11-25   Mon 11-30
    health        5      Wed 11-25   Fri 11-27   Fri 12-04

The reminder goes out on its date; the yellow and red cards on the first day after their date.
"""

import threading
from datetime import date, datetime, timedelta
from importlib import import_module
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from approvals import sla, workflow
from approvals.models import ApplicationStatus, Notification, NotificationKind, Review, ReviewStatus
from approvals.notifications import notify
from approvals.sla import clock_resume, clock_start, local_date, local_today, sla_scan
from audit.models import Action, AuditEvent
from catalogue.calendar import calendar_change
from catalogue.models import DepartmentCalendar, Holiday, WorkingWeekend
from core.calendar import Calendar
from core.errors import NotAllowed, ValidationFailed
from departments.models import Department

# The autouse fixture by name: the star import in approvals/tests/conftest.py skips underscored names.
from tests.engine_fixtures import submitted_application
from tests.factories import UserFactory, officer

pytestmark = pytest.mark.django_db

TZ = ZoneInfo(settings.TIME_ZONE)
FRIDAY = date(2026, 11, 20)
SLA_KINDS = (NotificationKind.REVIEW_REMINDER, NotificationKind.REVIEW_YELLOW, NotificationKind.REVIEW_RED)
NOTHING = {"reminders": 0, "yellow": 0, "red": 0}
MON_FRI = Calendar(workdays=frozenset(range(5)), holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}))


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def counts(reminders=0, yellow=0, red=0) -> dict:
    return {"reminders": reminders, "yellow": yellow, "red": red}


@pytest.fixture
def travel(time_machine):
    """travel(day, hour=12, minute=0): stop the clock at that local time."""

    def _travel(day: date, hour: int = 12, minute: int = 0) -> None:
        time_machine.move_to(at(day, hour, minute), tick=False)

    return _travel


@pytest.fixture
def scan_on(travel):
    """scan_on(day, hour=12, minute=0): the beat's scan at that local time."""

    def _scan_on(day: date, hour: int = 12, minute: int = 0) -> dict:
        travel(day, hour, minute)
        return sla_scan()

    return _scan_on


@pytest.fixture
def routed(submit, officers, travel):
    """An application submitted and routed on Friday 2026-11-20 at 10:00."""
    travel(FRIDAY, 10)
    application = submit()
    assert workflow.application_route(application_ids=[application.pk]) == 3
    return application


@pytest.fixture
def health_only(routed, officers):
    """Tax and registration approved at once: only the health review (5 days) stays open."""
    for code in ("tax", "registration"):
        review = routed.reviews.get(department__code=code)
        workflow.review_decide(review_id=review.pk, actor=officers[code], decision="approve")
    return routed.reviews.get(department__code="health")


def review_of(application, code: str) -> Review:
    return application.reviews.select_related("department").get(department__code=code)


def clock(review: Review) -> tuple:
    review.refresh_from_db()
    return review.started_on, review.remind_on, review.due_date, review.red_on, review.paused_on


def sla_notifications() -> list[tuple[str, str, str]]:
    """(kind, department, recipient) of every reminder and card, sorted."""
    return sorted(
        (n.kind, n.review.department.code, n.recipient.email)
        for n in Notification.objects.filter(kind__in=SLA_KINDS).select_related("review__department", "recipient")
    )


# --- Starting the clock ------------------------------------------------------------------------------


def test_route_on_friday_sets_exact_dates(routed):
    assert clock(review_of(routed, "tax")) == (FRIDAY, date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26), None)
    assert clock(review_of(routed, "registration")) == (
        FRIDAY, date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 30), None)
    assert clock(review_of(routed, "health")) == (FRIDAY, date(2026, 11, 25), date(2026, 11, 27), date(2026, 12, 4), None)
    # Stage 2 waits: no clock until it is routed.
    assert clock(review_of(routed, "fire")) == (None, None, None, None, None)


def test_route_before_a_holiday_skips_it(submit, officers, travel):
    Holiday.objects.bulk_create([Holiday(date=date(2026, 10, 1)), Holiday(date=date(2026, 10, 2))])
    travel(date(2026, 9, 30), 16)  # Wednesday; Thursday and Friday are holidays
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    start = date(2026, 9, 30)
    assert clock(review_of(application, "tax")) == (start, date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 8), None)
    assert clock(review_of(application, "registration")) == (
        start, date(2026, 10, 6), date(2026, 10, 7), date(2026, 10, 12), None)
    assert clock(review_of(application, "health")) == (start, date(2026, 10, 7), date(2026, 10, 9), date(2026, 10, 16), None)


def test_route_on_a_saturday_counts_from_monday(submit, officers, travel):
    travel(date(2026, 11, 21), 9)
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    assert clock(review_of(application, "tax")) == (
        date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26), None)


@pytest.mark.parametrize(("sla_days", "reminder_day"), [
    # 75% of the limit rounded down, at least the first day: the reminder comes before the due
    # date whenever the limit is 2 days or more, and never after three quarters of it.
    (1, 1), (2, 1), (3, 2), (4, 3), (5, 3), (6, 4), (7, 5), (8, 6), (10, 7), (20, 15),
])
def test_reminder_day_is_three_quarters_rounded_down(sla_days, reminder_day):
    start = date(2026, 9, 28)  # a Monday, two weeks before and after the holidays
    dates = clock_start(calendar=MON_FRI, start=start, sla_days=sla_days)
    assert MON_FRI.working_days_between(start, dates["remind_on"]) == reminder_day
    assert MON_FRI.working_days_between(start, dates["due_date"]) == sla_days
    assert MON_FRI.working_days_between(start, dates["red_on"]) == 2 * sla_days
    assert dates["started_on"] == start


def test_sla_of_three_days_from_friday_reminds_on_tuesday():
    dates = clock_start(calendar=MON_FRI, start=FRIDAY, sla_days=3)
    assert dates == {"started_on": FRIDAY, "remind_on": date(2026, 11, 24), "due_date": date(2026, 11, 25),
                     "red_on": date(2026, 11, 30)}


def test_today_is_the_portals_date_whatever_zone_is_active(travel):
    travel(FRIDAY, 1)  # Friday 01:00 in the portal's zone is still Thursday in New York
    with timezone.override(ZoneInfo("America/New_York")):
        assert timezone.localdate() == date(2026, 11, 19)
        assert local_today() == FRIDAY


def test_a_moments_day_is_the_portals_whatever_zone_is_active():
    moment = datetime(2026, 11, 19, 17, 30, tzinfo=ZoneInfo("UTC"))  # Friday 01:30 in Shanghai
    with timezone.override(ZoneInfo("America/New_York")):
        assert timezone.localdate(moment) == date(2026, 11, 19)
        assert local_date(moment) == date(2026, 11, 20)


# --- The scan: reminder, yellow card, red card -------------------------------------------------------


def test_scan_timeline_fires_each_milestone_once_on_its_day(routed, scan_on):
    expected = {
        date(2026, 11, 23): counts(reminders=1),  # tax
        date(2026, 11, 24): counts(reminders=1),  # registration
        date(2026, 11, 25): counts(reminders=1, yellow=1),  # health reminded; tax overdue
        date(2026, 11, 26): counts(yellow=1),  # registration overdue
        date(2026, 11, 27): counts(red=1),  # tax: twice its 2 days have passed
        date(2026, 11, 28): counts(yellow=1),  # health overdue (a Saturday)
        date(2026, 12, 1): counts(red=1),  # registration
        date(2026, 12, 5): counts(red=1),  # health
    }
    day = FRIDAY
    while day <= date(2026, 12, 10):
        assert scan_on(day) == expected.get(day, NOTHING), day
        assert scan_on(day, 18) == NOTHING, day  # the next beat the same day finds nothing to do
        day += timedelta(days=1)

    # Nobody claimed a review: reminders go to the officers, cards to the supervisors.
    assert sla_notifications() == sorted([
        (NotificationKind.REVIEW_REMINDER, "tax", "officer.tax@example.gov"),
        (NotificationKind.REVIEW_REMINDER, "registration", "officer.registration@example.gov"),
        (NotificationKind.REVIEW_REMINDER, "health", "officer.health@example.gov"),
        (NotificationKind.REVIEW_YELLOW, "tax", "supervisor.tax@example.gov"),
        (NotificationKind.REVIEW_YELLOW, "registration", "supervisor.registration@example.gov"),
        (NotificationKind.REVIEW_YELLOW, "health", "supervisor.health@example.gov"),
        (NotificationKind.REVIEW_RED, "tax", "supervisor.tax@example.gov"),
        (NotificationKind.REVIEW_RED, "registration", "supervisor.registration@example.gov"),
        (NotificationKind.REVIEW_RED, "health", "supervisor.health@example.gov"),
    ])
    tax = review_of(routed, "tax")
    assert (tax.reminded_at, tax.yellow_at, tax.red_at) == (
        at(date(2026, 11, 23)), at(date(2026, 11, 25)), at(date(2026, 11, 27)))


def test_reminder_goes_to_the_assignee(health_only, officers, scan_on):
    workflow.review_claim(review_id=health_only.pk, actor=officers["health"])
    assert scan_on(date(2026, 11, 24), 23, 59) == NOTHING
    assert scan_on(date(2026, 11, 25), 0, 1) == counts(reminders=1)
    note = Notification.objects.get(kind=NotificationKind.REVIEW_REMINDER)
    assert (note.recipient, note.review_id, note.application_id, note.params) == (
        officers["health"], health_only.pk, health_only.application_id, {"due_date": "2026-11-27"})
    health_only.refresh_from_db()
    assert health_only.reminded_at == at(date(2026, 11, 25), 0, 1)
    assert scan_on(date(2026, 11, 26)) == NOTHING
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_REMINDER).count() == 1


def test_unassigned_reminder_goes_to_the_departments_active_officers(health_only, scan_on):
    department = health_only.department
    officer(department, email="second.health@example.gov")
    left = officer(department, email="left.health@example.gov")
    left.is_active = False
    left.save(update_fields=["is_active"])
    officer(review_of(health_only.application, "tax").department, email="other.tax@example.gov")

    assert scan_on(date(2026, 11, 25)) == counts(reminders=1)
    assert sla_notifications() == [
        (NotificationKind.REVIEW_REMINDER, "health", "officer.health@example.gov"),
        (NotificationKind.REVIEW_REMINDER, "health", "second.health@example.gov"),
    ]


def test_yellow_card_the_day_after_the_due_date_to_supervisors_once(health_only, officers, scan_on):
    workflow.review_claim(review_id=health_only.pk, actor=officers["health"])
    second = officer(health_only.department, role="supervisor", email="chief.health@example.gov")
    assert scan_on(date(2026, 11, 25)) == counts(reminders=1)

    assert scan_on(date(2026, 11, 27), 23, 59) == NOTHING  # the due date itself is still on time
    assert scan_on(date(2026, 11, 28), 0, 1) == counts(yellow=1)
    yellow = Notification.objects.filter(kind=NotificationKind.REVIEW_YELLOW)
    # The department's supervisors, and the officer holding the review.
    assert sorted(n.recipient.email for n in yellow) == sorted([
        "supervisor.health@example.gov", second.email, "officer.health@example.gov"])
    assert {n.params["due_date"] for n in yellow} == {"2026-11-27"}
    health_only.refresh_from_db()
    assert health_only.yellow_at == at(date(2026, 11, 28), 0, 1)
    assert health_only.red_at is None
    event = AuditEvent.objects.get(action=Action.REVIEW_ESCALATED)
    assert (event.object_id, event.department_code, event.details) == (str(health_only.pk), "health", {"card": "yellow"})

    for day in (date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 4)):
        assert scan_on(day, 23, 59) == NOTHING
    assert yellow.count() == 3
    assert AuditEvent.objects.filter(action=Action.REVIEW_ESCALATED).count() == 1


def test_red_card_after_twice_the_limit_once(health_only, scan_on):
    assert scan_on(date(2026, 11, 28)) == counts(yellow=1)  # no late reminder: the due date has passed
    assert scan_on(date(2026, 12, 4), 23, 59) == NOTHING
    assert scan_on(date(2026, 12, 5), 0, 1) == counts(red=1)
    assert scan_on(date(2026, 12, 5), 0, 6) == NOTHING
    assert scan_on(date(2026, 12, 31)) == NOTHING
    assert sla_notifications() == sorted([
        (NotificationKind.REVIEW_YELLOW, "health", "supervisor.health@example.gov"),
        (NotificationKind.REVIEW_RED, "health", "supervisor.health@example.gov"),
    ])
    health_only.refresh_from_db()
    assert health_only.red_at == at(date(2026, 12, 5), 0, 1)
    assert list(AuditEvent.objects.filter(action=Action.REVIEW_ESCALATED).order_by("pk").values_list("details", flat=True)) == [
        {"card": "yellow"}, {"card": "red"}]


def test_a_late_beat_shows_both_cards_and_no_stale_reminder(routed, scan_on):
    assert scan_on(date(2026, 12, 5)) == counts(yellow=3, red=3)
    assert scan_on(date(2026, 12, 5)) == NOTHING
    kinds = Notification.objects.filter(kind__in=SLA_KINDS).values_list("kind", flat=True)
    assert sorted(kinds) == [NotificationKind.REVIEW_RED] * 3 + [NotificationKind.REVIEW_YELLOW] * 3


def test_a_review_another_beat_escalated_meanwhile_is_not_escalated_again(health_only, scan_on, monkeypatch):
    """Between listing what is due and claiming it, another beat escalates the review: the
    conditional UPDATE finds nothing left to claim, so nobody is told twice."""
    listed = sla._due_ids

    def list_then_lose_the_race(**kwargs):
        ids = listed(**kwargs)
        Review.objects.filter(pk__in=ids).update(yellow_at=timezone.now(), red_at=timezone.now())
        return ids

    monkeypatch.setattr(sla, "_due_ids", list_then_lose_the_race)
    assert scan_on(date(2026, 12, 5)) == NOTHING
    assert sla_notifications() == []
    assert not AuditEvent.objects.filter(action=Action.REVIEW_ESCALATED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_beats_escalate_each_review_once(restaurant, officers, citizen, settings, tmp_path, travel):
    settings.MEDIA_ROOT = str(tmp_path)
    travel(FRIDAY, 10)
    applications = [submitted_application(restaurant, citizen) for _ in range(8)]
    for application in applications:
        workflow.application_route(application_ids=[application.pk])

    barrier = threading.Barrier(6)
    results, errors = [], []

    def beat():
        try:
            barrier.wait()
            results.append(sla_scan(today=date(2026, 12, 5)))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r["yellow"] for r in results) == sum(r["red"] for r in results) == 24
    assert sum(r["reminders"] for r in results) == 0
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_YELLOW).count() == 24
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_RED).count() == 24
    assert AuditEvent.objects.filter(action=Action.REVIEW_ESCALATED).count() == 48


# --- Pause and resume --------------------------------------------------------------------------------


def request_correction(review: Review, actor) -> None:
    workflow.review_decide(review_id=review.pk, actor=actor, decision="correction", correction_fields=["seats"],
                           message="Count the seats again.")


def test_correction_pauses_the_clock_and_the_answer_shifts_it(health_only, officers, citizen, travel, scan_on):
    travel(date(2026, 11, 24), 11)  # working day 2 of 5
    request_correction(health_only, officers["health"])
    assert clock(health_only)[-1] == date(2026, 11, 24)

    # While the citizen takes 10 working days, nothing fires though every date passes.
    day = date(2026, 11, 24)
    while day <= date(2026, 12, 8):
        assert scan_on(day) == NOTHING, day
        day += timedelta(days=1)

    travel(date(2026, 12, 8), 10)
    workflow.application_resubmit(application_id=health_only.application_id, actor=citizen, data={"seats": "38"})
    health_only.refresh_from_db()
    assert health_only.status == ReviewStatus.IN_PROGRESS  # back with the officer who asked
    # Every date moves by the 10 working days waited (Wed 11-25 … Tue 12-08); the start stays.
    assert MON_FRI.working_days_between(date(2026, 11, 24), date(2026, 12, 8)) == 10
    assert clock(health_only) == (FRIDAY, date(2026, 12, 9), date(2026, 12, 11), date(2026, 12, 18), None)
    assert health_only.due_date == MON_FRI.add_working_days(date(2026, 11, 27), 10)
    assert health_only.paused_days == 10  # what the dashboards take off the processing time

    assert scan_on(date(2026, 12, 8), 18) == NOTHING
    assert scan_on(date(2026, 12, 9)) == counts(reminders=1)
    assert scan_on(date(2026, 12, 11), 23, 59) == NOTHING
    assert scan_on(date(2026, 12, 12)) == counts(yellow=1)
    assert scan_on(date(2026, 12, 18), 23, 59) == NOTHING
    assert scan_on(date(2026, 12, 19)) == counts(red=1)
    # The officer who asked for the correction now holds the review.
    assert sla_notifications() == sorted([
        (NotificationKind.REVIEW_REMINDER, "health", "officer.health@example.gov"),
        (NotificationKind.REVIEW_YELLOW, "health", "officer.health@example.gov"),
        (NotificationKind.REVIEW_YELLOW, "health", "supervisor.health@example.gov"),
        (NotificationKind.REVIEW_RED, "health", "officer.health@example.gov"),
        (NotificationKind.REVIEW_RED, "health", "supervisor.health@example.gov"),
    ])


def test_the_upgrade_adds_up_earlier_pauses_from_the_audit_log(health_only, officers, citizen, travel):
    # Two rounds, answered after 3 and 2 working days; then the field is wiped as before the upgrade.
    for asked, answered, seats in ((date(2026, 11, 24), date(2026, 11, 27), "38"),
                                   (date(2026, 11, 30), date(2026, 12, 2), "39")):
        travel(asked, 10)
        workflow.review_decide(review_id=health_only.pk, actor=officers["health"], decision="correction",
                               correction_fields=["seats"], message="Count the seats again.")
        travel(answered, 10)
        workflow.application_resubmit(application_id=health_only.application_id, actor=citizen, data={"seats": seats})
    health_only.refresh_from_db()
    assert health_only.paused_days == 5
    Review.objects.filter(pk=health_only.pk).update(paused_days=0)
    backfill = import_module("approvals.migrations.0008_review_paused_days").paused_days_from_the_audit_log
    backfill(django_apps, None)
    health_only.refresh_from_db()
    assert health_only.paused_days == 5


def test_answer_on_the_day_of_the_request_moves_nothing(health_only, officers, citizen, travel):
    travel(date(2026, 11, 24), 9)
    request_correction(health_only, officers["health"])
    travel(date(2026, 11, 24), 17)
    workflow.application_resubmit(application_id=health_only.application_id, actor=citizen, data={"seats": "38"})
    assert clock(health_only) == (FRIDAY, date(2026, 11, 25), date(2026, 11, 27), date(2026, 12, 4), None)
    health_only.refresh_from_db()
    assert health_only.paused_days == 0


def test_a_reminder_sent_before_the_pause_is_not_sent_again(health_only, officers, citizen, travel, scan_on):
    assert scan_on(date(2026, 11, 25)) == counts(reminders=1)
    travel(date(2026, 11, 26), 9)
    request_correction(health_only, officers["health"])
    travel(date(2026, 11, 30), 9)  # Friday and Monday waited
    workflow.application_resubmit(application_id=health_only.application_id, actor=citizen, data={"seats": "38"})
    assert clock(health_only) == (FRIDAY, date(2026, 11, 27), date(2026, 12, 1), date(2026, 12, 8), None)

    assert scan_on(date(2026, 12, 1)) == NOTHING
    assert scan_on(date(2026, 12, 2)) == counts(yellow=1)
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_REMINDER).count() == 1


@pytest.mark.parametrize(("paused_on", "today", "due_date", "expected_due", "waited"), [
    (date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 30), 1),  # Saturday → Monday
    (date(2026, 11, 20), date(2026, 11, 22), date(2026, 11, 27), date(2026, 11, 27), 0),  # over a weekend
    (date(2026, 9, 30), date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7), 1),  # over the holidays
    (date(2026, 11, 23), date(2026, 12, 2), date(2026, 11, 27), date(2026, 12, 8), 7),  # a week and a half
])
def test_clock_resume_counts_only_working_days_waited(paused_on, today, due_date, expected_due, waited):
    # An earlier round already waited 2 days: the total grows by this round's wait.
    review = SimpleNamespace(paused_on=paused_on, due_date=due_date, remind_on=None, red_on=due_date, reminded_at=None,
                             paused_days=2)
    assert clock_resume(calendar=MON_FRI, review=review, today=today) == {
        "paused_on": None, "paused_days": 2 + waited, "due_date": expected_due, "remind_on": None,
        "red_on": expected_due,
    }


def test_resume_without_a_started_clock_only_unpauses():
    review = SimpleNamespace(paused_on=date(2026, 11, 24), due_date=None, remind_on=None, red_on=None)
    assert clock_resume(calendar=MON_FRI, review=review, today=date(2026, 12, 8)) == {"paused_on": None}


# --- Extension by a supervisor -----------------------------------------------------------------------


def test_only_a_supervisor_extends_with_a_reason_to_a_later_date(health_only, officers, travel):
    travel(date(2026, 11, 23), 9)
    before = clock(health_only) + ("",)
    with pytest.raises(NotAllowed):
        workflow.review_extend(review_id=health_only.pk, actor=officers["health"], due_date=date(2026, 12, 4), reason="x")
    with pytest.raises(Review.DoesNotExist):
        workflow.review_extend(review_id=health_only.pk, actor=officers["tax_supervisor"], due_date=date(2026, 12, 4),
                               reason="x")
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.review_extend(review_id=health_only.pk, actor=officers["health_supervisor"],
                               due_date=date(2026, 12, 4), reason="   ")
    assert set(excinfo.value.errors) == {"reason"}
    for not_later in (date(2026, 11, 27), date(2026, 11, 26)):
        with pytest.raises(ValidationFailed) as excinfo:
            workflow.review_extend(review_id=health_only.pk, actor=officers["health_supervisor"], due_date=not_later,
                                   reason="Site visit needed")
        assert set(excinfo.value.errors) == {"due_date"}
    health_only.refresh_from_db()
    assert clock(health_only) + (health_only.extension_reason,) == before
    assert not AuditEvent.objects.filter(action=Action.REVIEW_EXTENDED).exists()


def test_extension_moves_every_date_and_the_scan_follows(health_only, officers, travel, scan_on):
    travel(date(2026, 11, 23), 9)
    workflow.review_extend(review_id=health_only.pk, actor=officers["health_supervisor"], due_date=date(2026, 12, 4),
                           reason="Site visit needed")
    health_only.refresh_from_db()
    # Five working days more: the reminder and the red card date move with the due date.
    assert clock(health_only) == (FRIDAY, date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 11), None)
    assert health_only.extension_reason == "Site visit needed"
    event = AuditEvent.objects.get(action=Action.REVIEW_EXTENDED)
    assert event.details == {"from": "2026-11-27", "to": "2026-12-04", "reason": "Site visit needed"}

    for day in (date(2026, 11, 25), date(2026, 11, 28), date(2026, 12, 1)):
        assert scan_on(day) == NOTHING, day
    assert scan_on(date(2026, 12, 2)) == counts(reminders=1)
    assert scan_on(date(2026, 12, 4), 23, 59) == NOTHING
    assert scan_on(date(2026, 12, 5)) == counts(yellow=1)
    assert scan_on(date(2026, 12, 11), 23, 59) == NOTHING
    assert scan_on(date(2026, 12, 12)) == counts(red=1)


def test_extension_after_a_yellow_card_keeps_it_and_delays_the_red_one(health_only, officers, travel, scan_on):
    assert scan_on(date(2026, 11, 28)) == counts(yellow=1)
    travel(date(2026, 11, 30), 9)
    workflow.review_extend(review_id=health_only.pk, actor=officers["health_supervisor"], due_date=date(2026, 12, 11),
                           reason="Waiting for the fire report")
    assert clock(health_only)[2:4] == (date(2026, 12, 11), date(2026, 12, 18))
    assert health_only.yellow_at == at(date(2026, 11, 28))  # a card shown stays on record

    assert scan_on(date(2026, 12, 5)) == NOTHING  # the old red card date no longer counts
    assert scan_on(date(2026, 12, 12)) == NOTHING  # one yellow card per review
    assert scan_on(date(2026, 12, 19)) == counts(red=1)


def test_extension_to_a_date_already_past_is_refused(health_only, officers, travel):
    travel(date(2026, 12, 3), 9)  # due 27 Nov: already overdue
    with pytest.raises(ValidationFailed) as error:
        workflow.review_extend(review_id=health_only.pk, actor=officers["health_supervisor"],
                               due_date=date(2026, 12, 1), reason="Late paperwork")
    assert error.value.errors == {"due_date": ["The new due date must be later than 2026-12-03."]}
    health_only.refresh_from_db()
    assert health_only.due_date == date(2026, 11, 27)
    assert not AuditEvent.objects.filter(action=Action.REVIEW_EXTENDED).exists()


# --- Closed reviews ---------------------------------------------------------------------------------


def test_decided_reviews_never_escalate(routed, officers, scan_on):
    workflow.review_decide(review_id=review_of(routed, "tax").pk, actor=officers["tax"], decision="approve")
    workflow.review_decide(review_id=review_of(routed, "registration").pk, actor=officers["registration"],
                           decision="reject", reason="Trade name already taken")
    routed.refresh_from_db()
    assert routed.status == ApplicationStatus.REJECTED
    assert review_of(routed, "health").status == ReviewStatus.CANCELLED
    for day in (date(2026, 11, 25), date(2026, 11, 28), date(2026, 12, 31)):
        assert scan_on(day) == NOTHING
    assert sla_notifications() == []


def test_withdrawn_applications_never_escalate(routed, citizen, scan_on):
    assert scan_on(date(2026, 11, 23)) == counts(reminders=1)
    workflow.application_withdraw(application_id=routed.pk, actor=citizen)
    assert scan_on(date(2026, 11, 24)) == NOTHING
    assert scan_on(date(2026, 12, 31)) == NOTHING
    assert sla_notifications() == [(NotificationKind.REVIEW_REMINDER, "tax", "officer.tax@example.gov")]


def test_a_department_without_supervisors_still_records_the_card(health_only, scan_on):
    health_only.department.memberships.filter(role="supervisor").delete()
    assert scan_on(date(2026, 11, 28)) == counts(yellow=1)
    health_only.refresh_from_db()
    assert health_only.yellow_at is not None
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_YELLOW).count() == 0


def test_notifications_skip_missing_recipients_and_duplicates(health_only):
    someone = UserFactory(email="someone@example.org")
    rows = notify(recipient_ids=[someone.pk, None, someone.pk], kind=NotificationKind.REVIEW_REMINDER,
                  application=health_only.application, review=health_only)
    assert [n.recipient_id for n in rows] == [someone.pk]


def test_each_review_counts_its_departments_calendar(submit, officers, travel):
    with calendar_change():  # registration works on Saturdays; Saturday 28 November is worked by all
        DepartmentCalendar.objects.create(department=Department.objects.get(code="registration"),
                                          workdays=[0, 1, 2, 3, 4, 5], holidays=["2026-11-25"])
        WorkingWeekend.objects.create(date=date(2026, 11, 28))
    travel(FRIDAY, 10)
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    # Saturday 21, Monday 23, Tuesday 24; its closure on Wednesday 25 moves the red card date.
    assert clock(review_of(application, "registration")) == (
        FRIDAY, date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 28), None)
    # The catalogue's calendar elsewhere, with the make-up Saturday.
    assert clock(review_of(application, "tax")) == (FRIDAY, date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26), None)
    assert clock(review_of(application, "health")) == (
        FRIDAY, date(2026, 11, 25), date(2026, 11, 27), date(2026, 12, 3), None)
