"""The holder changes details of their permit through the API (POST
/api/v1/applications/<id>/permit/amendment/, then the draft's answers and submit): the same engine
and rules as the web pages. Only the departments that review a changed answer review it; an answer
that may not change is a 400 at submission; someone else's permit a 404; a front desk's renewal or
amendment is filed by the desk."""

import pytest

from approvals.models import Application, ApplicationKind
from approvals.tests.test_permit_amendment import amending
from tests.factories import UserFactory

from .conftest import Api, desk_filed_permit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _amendable(restaurant):
    amending(restaurant)


def url(permit) -> str:
    return f"/api/v1/applications/{permit.application_id}/permit/amendment/"


def test_the_holder_changes_the_address_and_only_the_address_reviewers_review(citizen_api, permit):
    answer = citizen_api.post(url(permit), {})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    amendment = Application.objects.get(kind=ApplicationKind.AMENDMENT)
    assert (body["id"], body["kind"], body["amends"], body["renews"], body["status"]) == (
        amendment.pk, "amendment", permit.number, None, "draft")
    assert body["asked"] == ["business_name", "cuisine", "site_address"]  # only what may change, in form order
    assert citizen_api.post(url(permit), {}).json()["id"] == amendment.pk  # the same draft
    saved = citizen_api.post(f"/api/v1/applications/{amendment.pk}/answers/",
                             {"answers": {"site_address": "8 Garden Street"}})
    assert saved.status_code == 200, saved.json()
    submitted = citizen_api.post(f"/api/v1/applications/{amendment.pk}/submit/", {})
    assert submitted.status_code == 200, submitted.json()
    assert [(r["department"], r["status"]) for r in submitted.json()["reviews"]] == [("fire", "pending")]


def test_an_answer_that_may_not_change_is_a_400_and_nothing_is_submitted(citizen_api, permit):
    amendment_id = citizen_api.post(url(permit), {}).json()["id"]
    citizen_api.post(f"/api/v1/applications/{amendment_id}/answers/", {"answers": {"seats": 45}})
    refused = citizen_api.post(f"/api/v1/applications/{amendment_id}/submit/", {})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "seats": [f"This cannot be changed here: it is carried from permit {permit.number}."],
        "business_name": ["Nothing is changed: change at least one detail of the permit, or withdraw this amendment."]}
    assert Application.objects.get(pk=amendment_id).status == "draft"


def test_someone_elses_permit_is_a_404(permit):
    from api.models import TokenKind
    from api.services import api_token_create

    other = UserFactory(email="li.lei@example.org")
    answer = Api(api_token_create(kind=TokenKind.CITIZEN, name="phone", user=other)[1]).post(url(permit), {})
    assert answer.status_code == 404
    assert not Application.objects.filter(kind=ApplicationKind.AMENDMENT).exists()


@pytest.mark.parametrize(("path", "permit_field"), [("renewal", "renews_id"), ("amendment", "amends_id")])
def test_a_front_desk_renews_or_amends_the_permit_of_an_application_it_filed(desk_token, citizen, restaurant, officers,
                                                                            settings, tmp_path, path, permit_field):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token, clear = desk_token
    desk = Api(clear)
    permit = desk_filed_permit(desk, citizen, restaurant, officers)
    endpoint = f"/api/v1/applications/{permit.application_id}/permit/{path}/"
    answer = desk.post(endpoint, {})
    assert answer.status_code == 201, answer.json()
    follow_on = Application.objects.get(pk=answer.json()["id"])
    assert (follow_on.applicant_id, getattr(follow_on, permit_field), follow_on.api_filing.token_id) == (
        citizen.pk, permit.pk, token.pk)
    assert follow_on.api_filing.consent.officer_name == permit.application.api_filing.consent.officer_name
    assert desk.get(f"/api/v1/applications/{follow_on.pk}/").status_code == 200
    assert desk.post(endpoint, {}).json()["id"] == follow_on.pk  # the one in progress, filed once
