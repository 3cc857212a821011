"""Need to know through the API: a department's token reads the applicant's identity its
requirement lists, and nothing of the application before its review's stage starts."""

import pytest

from approvals import workflow
from tests.factories import IDENTITY, officer

from .conftest import Api, department_token

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE, ID_NUMBER = (IDENTITY[k] for k in ("full_name", "email", "phone", "id_number"))


@pytest.fixture
def application(identity_application):
    return identity_application


def detail(application, code) -> dict:
    _token, clear = department_token(code)
    review = application.reviews.get(department__code=code)
    response = Api(clear).get(f"/api/v1/reviews/{review.pk}/")
    assert response.status_code == 200
    return response.json()


def test_each_department_token_reads_the_identity_its_requirement_lists(application):
    assert detail(application, "registration")["applicant"] == {"full_name": NAME, "email": EMAIL}
    assert detail(application, "health")["applicant"] == {}
    assert detail(application, "tax")["applicant"] == {"full_name": NAME, "email": EMAIL, "phone": PHONE,
                                                       "id_number": ID_NUMBER}


def test_a_later_stage_reads_nothing_of_the_application_before_its_stage_starts(application):
    _token, clear = department_token("fire")
    fire_api = Api(clear)
    fire = application.reviews.get(department__code="fire")
    body = fire_api.get(f"/api/v1/reviews/{fire.pk}/").json()
    assert (body["status"], body["applicant"], body["answers"], body["attachments"]) == ("waiting", {}, [], [])
    attachment = application.attachments.get()
    assert fire_api.get(f"/api/v1/reviews/{fire.pk}/attachments/{attachment.pk}/").status_code == 404

    for review in application.reviews.filter(stage=1).select_related("department"):
        workflow.review_decide(review_id=review.pk, actor=officer(review.department), decision="approve")
    body = fire_api.get(f"/api/v1/reviews/{fire.pk}/").json()

    assert body["applicant"] == {"full_name": NAME, "phone": PHONE}
    assert [a["key"] for a in body["answers"]] == ["seats", "site_address", "floor_plan"]
    assert [a["id"] for a in body["attachments"]] == [attachment.pk]
    assert fire_api.get(f"/api/v1/reviews/{fire.pk}/attachments/{attachment.pk}/").status_code == 200
