"""Officer appraisal: each figure asserted on a small history, who may see whose row (everyone
else a 404 on record), every view audited naming whose appraisal it was, a bad period's message,
and the same number of queries however many officers the department has."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from approvals import ratings, workflow
from audit.models import Action, AuditEvent
from dashboards.appraisal import appraisal
from departments.models import Department
from permits.models import Permit, PermitStatus
from tests.factories import UserFactory, officer
from tests.rectification_fixtures import decide

pytestmark = pytest.mark.django_db

def at(moment: str):
    return time_machine.travel(f"{moment} +0800", tick=False)


@pytest.fixture
def second(officers):
    return officer(Department.objects.get(code="health"), email="second.health@example.gov")


@pytest.fixture
def history(submit, officers, citizen, second):
    """Routed on Monday 2 November 2026 (health's limit: 5 working days, due Monday 9th). The
    health officer approves the first (Wednesday 4th: 2 working days, in time; its permit is later
    revoked), rejects the second (Tuesday 17th: 11 working days, late) and asks for a correction of
    the third (Tuesday 3rd); a second officer approves the fourth (Thursday 5th: 3 working days).
    The applicant rates the first 5 and the second 2."""
    with at("2026-11-02 09:00"):
        apps = [submit() for _ in range(4)]
        workflow.application_route(application_ids=[a.pk for a in apps])
    with at("2026-11-03 10:00"):
        decide(apps[2], officers, "health", "correction", correction_fields=["seats"], message="How many seats?")
    with at("2026-11-04 10:00"):
        for code in ("health", "registration", "tax"):
            decide(apps[0], officers, code)
        workflow.application_route(application_ids=[apps[0].pk])
        decide(apps[0], officers, "fire")
    with at("2026-11-05 10:00"):
        workflow.review_decide(review_id=apps[3].reviews.get(department__code="health").pk, actor=second,
                               decision="approve")
    with at("2026-11-17 10:00"):
        decide(apps[1], officers, "health", "reject", reason="No ventilation")
    with at("2026-11-20 10:00"):
        ratings.rating_give(application_id=apps[0].pk, actor=citizen, score=5)
        ratings.rating_give(application_id=apps[1].pk, actor=citizen, score=2)
    Permit.objects.filter(application=apps[0]).update(status=PermitStatus.REVOKED)
    return apps


def figures(row):
    return (row.name, row.approved, row.rejected, row.corrections, row.decisions, row.median_days, row.sla_rate,
            row.overturned, row.average_rating, row.ratings, row.complaints_upheld)


def test_the_figures_of_each_officer_and_the_department_medians(history, officers, second):
    health = Department.objects.get(code="health")
    result = appraisal(department=health, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    by_id = {row.officer_id: figures(row) for row in result.officers}
    assert by_id == {
        officers["health"].pk: (officers["health"].full_name, 1, 1, 1, 3, 6.5, 50.0, 1, 3.5, 2, 0),
        second.pk: (second.full_name, 1, 0, 0, 1, 3, 100.0, 0, None, 0, 0),
        officers["health_supervisor"].pk: (officers["health_supervisor"].full_name, 0, 0, 0, 0, None, None, 0, None, 0,
                                           0),
    }
    assert result.medians == {"decisions": 1, "median_days": 4.8, "sla_rate": 75.0, "overturned": 0,
                              "average_rating": 3.5, "complaints_upheld": 0}
    early = appraisal(department=health, date_from=date(2026, 11, 1), date_to=date(2026, 11, 4))
    assert {row.officer_id: (row.approved, row.rejected, row.corrections) for row in early.officers}[
        officers["health"].pk] == (1, 0, 1)


def url(code="health", officer_id=None, query="?month=2026-11"):
    if officer_id:
        return reverse("dashboards:officer_appraisal", args=[code, officer_id]) + query
    return reverse("dashboards:appraisal", args=[code]) + query


def test_an_officer_sees_their_own_row_and_not_a_colleagues(client, history, officers, second):
    with at("2026-12-07 12:00"):
        client.force_login(officers["health"])  # signed in on the day: sessions end
        mine = client.get(reverse("dashboards:appraisal_mine") + "?month=2026-11")
        assert mine.status_code == 302
        assert mine["Location"] == url(officer_id=officers["health"].pk)
        response = client.get(url(officer_id=officers["health"].pk))
        assert response.status_code == 200
        assert [row.officer_id for row in response.context["rows"]] == [officers["health"].pk]
        assert response.context["medians"]["sla_rate"] == 75.0
        assert second.full_name not in response.content.decode()
        assert client.get(url(officer_id=second.pk)).status_code == 404
        assert client.get(url()).status_code == 404
        assert client.get(url("tax", officer_id=officers["health"].pk)).status_code == 404
    viewed = AuditEvent.objects.get(action=Action.APPRAISAL_VIEWED)
    assert (viewed.actor_id, viewed.object_id, viewed.department_code, viewed.details) == (
        officers["health"].pk, str(officers["health"].pk), "health",
        {"officers": [officers["health"].pk], "date_from": "2026-11-01", "date_to": "2026-11-30"})
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="appraisal", actor=officers["health"])
    assert sorted(e.object_id for e in denied) == sorted([f"health/{second.pk}", "health",
                                                          f"tax/{officers['health'].pk}"])


def test_supervisors_see_their_department_and_managers_every_one(client, history, officers, second):
    manager = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    with at("2026-12-07 12:00"):
        for who in (officers["health_supervisor"], manager):
            client.force_login(who)
            response = client.get(url())
            assert response.status_code == 200
            assert len(response.context["rows"]) == 3
            assert client.get(url(officer_id=second.pk)).status_code == 200
        client.force_login(officers["tax_supervisor"])
        assert client.get(url()).status_code == 404
        assert client.get(url(officer_id=second.pk)).status_code == 404
    viewed = AuditEvent.objects.filter(action=Action.APPRAISAL_VIEWED, actor=manager).order_by("id")
    assert [(e.object_id, sorted(e.details["officers"])) for e in viewed] == [
        ("health", sorted([officers["health"].pk, second.pk, officers["health_supervisor"].pk])),
        (str(second.pk), [second.pk])]


@pytest.mark.parametrize(("query", "message"), [
    ("?month=2026-13", "Give the month as YYYY-MM, for example 2026-11."),
    ("?month=nonsense", "Give the month as YYYY-MM, for example 2026-11."),
    ("?date_from=2026-11-01", "Give both the first and the last day of the period, or choose a month."),
    ("?date_from=2026-11-30&date_to=2026-11-01", "The start date 2026-11-30 is after the end date 2026-11-01: swap them."),
    ("?date_from=2024-01-01&date_to=2026-11-01", "Choose a period of at most a year."),
    ("?date_from=2026-11-01&date_to=2027-01-01", "Choose days between 2000-01-01 and today."),
    ("?date_from=yesterday&date_to=2026-11-01", "Enter a valid date."),
])
def test_a_bad_period_gets_a_clear_message(client, officers, query, message):
    with at("2026-12-07 12:00"):
        client.force_login(officers["health_supervisor"])
        response = client.get(url(query=query))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.APPRAISAL_VIEWED).exists()


def test_a_period_of_days(client, history, officers):
    with at("2026-12-07 12:00"):
        client.force_login(officers["health_supervisor"])
        response = client.get(url(query="?date_from=2026-11-01&date_to=2026-11-04"))
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r.officer_id == officers["health"].pk)
    assert (row.approved, row.rejected, row.corrections) == (1, 0, 1)


def test_the_page_costs_the_same_for_three_officers_and_for_six(client, history, officers):
    health = Department.objects.get(code="health")

    def queries():
        with at("2026-12-07 12:00"):
            client.force_login(officers["health_supervisor"])
            client.get(url())
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url())
        return len(response.context["rows"]), captured

    few, few_queries = queries()
    for n in range(3):
        officer(health, email=f"extra{n}.health@example.gov")
    many, many_queries = queries()
    assert (few, many) == (3, 6)
    assert len(many_queries) == len(few_queries), "\n".join(q["sql"] for q in many_queries.captured_queries)
