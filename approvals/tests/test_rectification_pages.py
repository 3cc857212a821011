"""The applicant's side of a rectification: the cases on the application page and in "My
applications", the prompt to rate again once a case is closed, and the second rating's form."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import rectifications
from audit.models import Action, AuditEvent
from tests.factories import UserFactory
from tests.rectification_fixtures import ACCOUNT, assert_constant_queries, case_of

pytestmark = pytest.mark.django_db

MINE = reverse("approvals:my_applications")


def rate_url(application, case):
    return reverse("approvals:rectification_rate", args=[application.pk, case.pk])


@pytest.fixture
def closed(rated, officers):
    rectifications.rectification_close(rectification_id=case_of(rated, "health").pk,
                                       actor=officers["health_supervisor"], account=ACCOUNT)
    return rated


def test_the_application_page_lists_each_case_and_asks_again_once_closed(client, closed, citizen, officers):
    client.force_login(citizen)
    html = client.get(reverse("approvals:detail", args=[closed.pk])).content.decode()
    assert "What the departments did about your rating" in html
    for code in ("health", "registration"):
        assert officers[f"{code}_supervisor"].full_name in html
    assert ACCOUNT in html
    assert html.count('action="' + rate_url(closed, case_of(closed, "health")) + '"') == 1
    assert rate_url(closed, case_of(closed, "registration")) not in html  # still open: nothing to rate yet
    html = client.get(MINE).content.decode()
    assert "Rate the service again" in html and "handled by" in html


def test_the_second_rating_is_given_once(client, closed, citizen):
    case = case_of(closed, "health")
    client.force_login(citizen)
    response = client.post(rate_url(closed, case), {f"rectification-{case.pk}-score": "9"})
    assert response.status_code == 400
    assert "Select a valid choice. 9 is not one of the available choices." in response.content.decode()
    response = client.post(rate_url(closed, case), {f"rectification-{case.pk}-score": "4",
                                                    f"rectification-{case.pk}-comment": "Thanks."}, follow=True)
    assert "Thank you for rating the service again." in response.content.decode()
    case.refresh_from_db()
    assert (case.follow_up_score, case.follow_up_comment) == (4, "Thanks.")
    response = client.post(rate_url(closed, case), {f"rectification-{case.pk}-score": "5"}, follow=True)
    assert "You have already rated the service after this rectification." in response.content.decode()
    case.refresh_from_db()
    assert case.follow_up_score == 4


def test_another_citizen_gets_a_404_on_record(client, closed):
    case = case_of(closed, "health")
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.post(rate_url(closed, case), {f"rectification-{case.pk}-score": "5"}).status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=stranger).exists()
    case.refresh_from_db()
    assert case.follow_up_score is None


def test_a_case_of_another_application_is_not_rated_through_this_one(client, closed, submit, citizen):
    other = submit()
    client.force_login(citizen)
    case = case_of(closed, "health")
    response = client.post(rate_url(other, case), {f"rectification-{case.pk}-score": "5"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.follow_up_score is None


def test_my_applications_costs_the_same_for_one_rated_application_and_for_three(client, citizen, submit, officers):
    client.force_login(citizen)

    def queries():
        client.get(MINE)
        with CaptureQueriesContext(connection) as captured:
            html = client.get(MINE).content.decode()
        return html.count("handled by"), captured

    assert_constant_queries(queries, submit=submit, officers=officers, citizen=citizen)


def test_the_owner_opening_the_case_is_on_who_viewed_my_data(client, rated, citizen, officers):
    client.force_login(officers["health_supervisor"])
    assert client.get(reverse("departments:rectification", args=[case_of(rated, "health").pk])).status_code == 200
    client.force_login(citizen)
    html = client.get(reverse("approvals:who_viewed")).content.decode()
    assert "Opened your application to answer your rating" in html
    assert "Answering your rating of the service" in html
