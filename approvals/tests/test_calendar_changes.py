"""A calendar change never moves the due dates already set: the open reviews it would move are
listed with their current and recomputed dates, and a supervisor applies or keeps each.

Routed on Friday 2026-11-20 (Monday to Friday, no holidays in November) the stage-1 clocks are
(see test_sla): tax 2 days, due Tue 11-24; registration 3, due Wed 11-25; health 5, due Fri
11-27. On Monday 11-23 Tuesday 11-24 becomes a holiday: every due date moves one working day."""

from datetime import date

import pytest

from approvals import workflow
from approvals.calendar_changes import ChangeNotFound, StaleChange, calendar_change_decide, calendar_changes_record
from approvals.models import CalendarChange, CalendarChangeReview, CalendarChangeState, Review
from approvals.tasks import calendar_changes_record_task
from audit.models import Action, AuditEvent
from catalogue.calendar import calendar_change
from catalogue.models import DepartmentCalendar, Holiday
from core.errors import NotAllowed

from . import test_sla
from .test_sla import review_of

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 23)
travel, routed = test_sla.travel, test_sla.routed  # fixtures: an application routed on Friday 2026-11-20


def listed() -> dict[str, tuple]:
    return {i.department.code: (i.due_date, i.new_due_date, i.new_remind_on, i.new_red_on, i.state)
            for i in CalendarChangeReview.objects.select_related("department")}


def dates(review: Review) -> tuple:
    review.refresh_from_db()
    return review.remind_on, review.due_date, review.red_on


@pytest.fixture
def holiday_added(routed, travel):
    travel(MONDAY, 9)
    with calendar_change():
        Holiday.objects.create(date=date(2026, 11, 24))
    return routed


def test_a_holiday_lists_the_open_reviews_it_would_move_and_moves_none(holiday_added):
    before = {code: dates(review_of(holiday_added, code)) for code in ("tax", "registration", "health")}

    assert calendar_changes_record() == 3

    P = CalendarChangeState.PENDING
    assert listed() == {
        "tax": (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 23), date(2026, 11, 27), P),
        "registration": (date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 25), date(2026, 12, 1), P),
        "health": (date(2026, 11, 27), date(2026, 11, 30), date(2026, 11, 26), date(2026, 12, 7), P),
    }
    assert {code: dates(review_of(holiday_added, code)) for code in before} == before  # nothing moved
    change = CalendarChange.objects.get()
    assert change.revision == 1
    event = AuditEvent.objects.get(action=Action.CALENDAR_CHANGED)
    assert event.details == {"revision": 1, "from_revision": 0, "reviews": 3,
                             "departments": ["health", "registration", "tax"]}
    # Recorded once: the next nudge or beat finds nothing to do.
    assert calendar_changes_record_task([1]) == 0
    assert calendar_changes_record() == 0
    assert CalendarChangeReview.objects.count() == 3


def test_a_paused_clock_is_listed_a_decided_review_and_a_waiting_stage_are_not(holiday_added, officers):
    workflow.review_decide(review_id=review_of(holiday_added, "tax").pk, actor=officers["tax"], decision="approve")
    workflow.review_decide(review_id=review_of(holiday_added, "health").pk, actor=officers["health"],
                           decision="correction", correction_fields=["seats"], message="How many seats?")
    calendar_changes_record()
    assert set(listed()) == {"registration", "health"}  # fire (stage 2) has no clock yet


def test_a_departments_own_calendar_lists_only_its_reviews(routed, travel, officers):
    travel(MONDAY, 9)
    registration = review_of(routed, "registration").department
    with calendar_change():  # registration works on Saturdays from now on
        DepartmentCalendar.objects.create(department=registration, workdays=[0, 1, 2, 3, 4, 5])
    calendar_changes_record()
    # Three working days after Friday: Saturday 21, Monday 23, Tuesday 24.
    assert listed() == {"registration": (date(2026, 11, 25), date(2026, 11, 24), date(2026, 11, 23),
                                         date(2026, 11, 27), CalendarChangeState.PENDING)}


def test_reviews_routed_after_the_change_are_not_listed(submit, officers, travel):
    travel(MONDAY, 9)
    with calendar_change():
        Holiday.objects.create(date=date(2026, 11, 24))
    travel(MONDAY, 10)
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    assert dates(review_of(application, "tax"))[1] == date(2026, 11, 26)  # counted with the holiday already
    assert calendar_changes_record() == 0


def test_a_supervisor_applies_the_recomputed_dates(holiday_added, officers):
    calendar_changes_record()
    tax = review_of(holiday_added, "tax")
    item = CalendarChangeReview.objects.get(review=tax)

    assert calendar_change_decide(item_ids=[item.pk], actor=officers["tax_supervisor"], apply=True) == 1

    assert dates(tax) == (date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 27))
    item.refresh_from_db()
    assert (item.state, item.decided_by) == (CalendarChangeState.APPLIED, officers["tax_supervisor"])
    event = AuditEvent.objects.get(action=Action.REVIEW_DUE_RECOMPUTED)
    assert (event.actor_id, event.object_id, event.department_code) == (
        officers["tax_supervisor"].pk, str(tax.pk), "tax")
    assert event.details == {"revision": 1, "from": "2026-11-24", "to": "2026-11-25"}


def test_a_supervisor_keeps_the_current_dates(holiday_added, officers):
    calendar_changes_record()
    health = review_of(holiday_added, "health")
    before = dates(health)
    item = CalendarChangeReview.objects.get(review=health)

    calendar_change_decide(item_ids=[item.pk], actor=officers["health_supervisor"], apply=False)

    assert dates(health) == before
    item.refresh_from_db()
    assert item.state == CalendarChangeState.KEPT
    assert AuditEvent.objects.filter(action=Action.REVIEW_DUE_KEPT, department_code="health").count() == 1
    with pytest.raises(ChangeNotFound):  # decided already
        calendar_change_decide(item_ids=[item.pk], actor=officers["health_supervisor"], apply=True)
    assert dates(health) == before


@pytest.mark.parametrize(("who", "error"), [
    ("tax", NotAllowed),  # an officer, not a supervisor
    ("health_supervisor", ChangeNotFound),  # another department's review
    ("citizen", NotAllowed),
])
def test_only_a_supervisor_of_the_department_decides_and_nothing_is_half_written(holiday_added, officers, citizen,
                                                                                  who, error):
    calendar_changes_record()
    tax = review_of(holiday_added, "tax")
    item = CalendarChangeReview.objects.get(review=tax)
    actor = citizen if who == "citizen" else officers[who]
    with pytest.raises(error):
        calendar_change_decide(item_ids=[item.pk], actor=actor, apply=True)
    assert dates(tax)[1] == date(2026, 11, 24)
    assert CalendarChangeReview.objects.filter(state=CalendarChangeState.PENDING).count() == 3
    assert not AuditEvent.objects.filter(action=Action.REVIEW_DUE_RECOMPUTED).exists()


def test_unknown_ids_and_a_stale_review_change_nothing(holiday_added, officers, travel):
    calendar_changes_record()
    supervisor = officers["registration_supervisor"]
    registration = review_of(holiday_added, "registration")
    item = CalendarChangeReview.objects.get(review=registration)
    with pytest.raises(ChangeNotFound):
        calendar_change_decide(item_ids=[item.pk, 999_999], actor=supervisor, apply=True)
    with pytest.raises(ChangeNotFound):
        calendar_change_decide(item_ids=[], actor=supervisor, apply=True)

    workflow.review_extend(review_id=registration.pk, actor=supervisor, due_date=date(2026, 12, 4), reason="Site visit")
    with pytest.raises(StaleChange):
        calendar_change_decide(item_ids=[item.pk], actor=supervisor, apply=True)
    assert dates(registration)[1] == date(2026, 12, 4)
    item.refresh_from_db()
    assert item.state == CalendarChangeState.PENDING


def test_a_change_undone_lists_nothing_and_supersedes_what_was_listed(holiday_added, travel, officers):
    calendar_changes_record()
    with calendar_change():  # the holiday is called off
        Holiday.objects.filter(date=date(2026, 11, 24)).delete()
    assert calendar_changes_record() == 0  # the stored dates are those of the calendar now
    assert CalendarChange.objects.count() == 2
    assert set(CalendarChangeReview.objects.values_list("state", flat=True)) == {CalendarChangeState.SUPERSEDED}
