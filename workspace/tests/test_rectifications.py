"""The rectification pages of the workspace: the queue (own and, for supervisors, the department's),
a case's page (audited, need to know), closing with an account, giving a case to a colleague, and
everyone else's 404 on record."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Rectification
from audit.models import Action, AuditEvent
from tests.rectification_fixtures import ACCOUNT, assert_constant_queries, case_of

pytestmark = pytest.mark.django_db

QUEUE = reverse("departments:rectifications")


def page(case):
    return reverse("departments:rectification", args=[case.pk])


def test_the_owner_sees_their_case_in_the_queue_and_opens_it_on_record(client, rated, officers, citizen):
    case = case_of(rated, "health")
    client.force_login(officers["health_supervisor"])
    response = client.get(QUEUE)
    assert [c.pk for c in response.context["cases"]] == [case.pk]
    html = response.content.decode()
    assert rated.reference in html and "1 out of 5" in html
    response = client.get(page(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nobody answered the phone." in html
    assert "Business name" in html  # health's requirement lists it
    assert "wang.fang@example.org" not in html  # health is shown no identity
    event = AuditEvent.objects.get(action=Action.RECTIFICATION_VIEWED)
    assert (event.actor_id, event.subject_id, event.department_code, event.purpose, event.object_id) == (
        officers["health_supervisor"].pk, citizen.pk, "health", "rectification", str(case.pk))


def test_an_officer_who_does_not_own_it_and_other_departments_get_a_404_on_record(client, rated, officers):
    case = case_of(rated, "health")
    for who in ("health", "registration_supervisor", "tax"):
        client.force_login(officers[who])
        assert client.get(page(case)).status_code == 404
        assert client.post(reverse("departments:rectification_close", args=[case.pk]),
                           {"account": ACCOUNT}).status_code == 404
        assert [c.pk for c in client.get(QUEUE).context["cases"]] == (
            [case_of(rated, "registration").pk] if who == "registration_supervisor" else [])
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="rectification")
    assert sorted((e.actor_id, e.object_id) for e in denied) == sorted(
        (officers[who].pk, str(case.pk)) for who in ("health", "health", "registration_supervisor",
                                                     "registration_supervisor", "tax", "tax"))
    case.refresh_from_db()
    assert case.status == "open"
    assert not AuditEvent.objects.filter(action=Action.RECTIFICATION_VIEWED).exists()


def test_closing_without_text_shows_the_message_and_writes_nothing(client, rated, officers):
    case = case_of(rated, "health")
    client.force_login(officers["health_supervisor"])
    response = client.post(reverse("departments:rectification_close", args=[case.pk]), {"account": "   "})
    assert response.status_code == 400
    assert ("Write what your department did about the rating before you close the case: the applicant reads it."
            in response.content.decode())
    case.refresh_from_db()
    assert (case.status, case.account) == ("open", "")


def test_closing_then_closing_again(client, rated, officers):
    case = case_of(rated, "health")
    client.force_login(officers["health_supervisor"])
    url = reverse("departments:rectification_close", args=[case.pk])
    response = client.post(url, {"account": ACCOUNT}, follow=True)
    assert "The case is closed. The applicant is asked to rate the service again." in response.content.decode()
    response = client.post(url, {"account": ACCOUNT + " Again"}, follow=True)
    assert "This case was already rectified on" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.account) == ("closed", ACCOUNT)


def test_the_supervisor_gives_the_case_to_a_colleague(client, rated, officers):
    case = case_of(rated, "health")
    client.force_login(officers["health_supervisor"])
    url = reverse("departments:rectification_reassign", args=[case.pk])
    response = client.post(url, {"reassign-owner": officers["tax"].pk})
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    response = client.post(url, {"reassign-owner": officers["health"].pk}, follow=True)
    assert f"{officers['health'].full_name} owns the case now." in response.content.decode()
    case.refresh_from_db()
    assert case.owner_id == officers["health"].pk
    client.force_login(officers["health"])
    assert client.get(page(case)).context["reassign_form"] is None  # an officer cannot pass it on
    assert [c.pk for c in client.get(QUEUE).context["cases"]] == [case.pk]


def test_the_supervisors_department_view(client, rated, officers):
    case = case_of(rated, "health")
    client.force_login(officers["health_supervisor"])
    case.owner = officers["health"]
    case.save(update_fields=["owner"])
    assert client.get(QUEUE).context["cases"] == []
    assert [c.pk for c in client.get(QUEUE + "?scope=department").context["cases"]] == [case.pk]
    client.force_login(officers["health"])
    assert client.get(QUEUE + "?scope=department").context["scope"] == "mine"  # not a supervisor


def test_the_queue_costs_the_same_for_one_case_and_for_three(client, submit, citizen, officers):
    client.force_login(officers["health_supervisor"])

    def queries():
        client.get(QUEUE)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(QUEUE + "?scope=department")
        return len(response.context["cases"]), captured

    assert_constant_queries(queries, submit=submit, officers=officers, citizen=citizen)
    assert Rectification.objects.count() == 3
