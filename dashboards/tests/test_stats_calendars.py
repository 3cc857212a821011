"""The dashboards count each review's working days in its department's calendar, as its clock did."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from approvals import workflow
from catalogue.calendar import calendar_change
from catalogue.models import DepartmentCalendar, WorkingWeekend
from dashboards.stats import _facts
from departments.models import Department

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(settings.TIME_ZONE)


def test_working_days_from_routing_to_decision_follow_the_departments_calendar(submit, officers, time_machine):
    with calendar_change():
        DepartmentCalendar.objects.create(department=Department.objects.get(code="registration"),
                                          workdays=[0, 1, 2, 3, 4, 5])
        WorkingWeekend.objects.create(date=date(2026, 11, 29))  # a Sunday worked by everyone
    time_machine.move_to(datetime(2026, 11, 20, 10, tzinfo=TZ), tick=False)  # Friday
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    time_machine.move_to(datetime(2026, 11, 30, 10, tzinfo=TZ), tick=False)  # Monday week
    for code in ("tax", "registration"):
        review = application.reviews.get(department__code=code)
        workflow.review_decide(review_id=review.pk, actor=officers[code], decision="approve")

    _apps, reviews = _facts([application.pk])

    days = {Department.objects.get(pk=r.department_id).code: r.working_days for r in reviews if r.working_days}
    # Tax: Monday 23 to Friday 27, Sunday 29, Monday 30. Registration: its Saturdays 21 and 28 too.
    assert days == {"tax": 7, "registration": 9}
