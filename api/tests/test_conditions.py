"""Conditions through the API: the read says what is asked and which reviews are not needed and
why; a submission ignores the answers of questions not asked; a correction answers the questions
it newly makes asked, and adds the review that now applies."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api import webhooks
from api.models import WebhookDelivery
from api.services import webhook_subscribe
from api.tests.receiver import Receiver
from approvals import workflow
from approvals.models import Review
from audit.chain import audit_seal
from departments.models import Department
from tests.factories import PDF_BYTES, officer, restaurant_service

pytestmark = pytest.mark.django_db

SMALL = {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": 20}


@pytest.fixture
def restaurant(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return restaurant_service(review_when={"fire": {"seats": {"gt": 50}}})


def submitted(citizen_api, answers):
    app_id = citizen_api.post("/api/v1/applications/", {"service": "open-a-restaurant"}).json()["id"]
    base = f"/api/v1/applications/{app_id}/"
    draft = citizen_api.post(base + "answers/", {"answers": answers})
    assert draft.status_code == 200, draft.json()
    upload = SimpleUploadedFile("plan.pdf", PDF_BYTES, content_type="application/pdf")
    assert citizen_api.post(base + "attachments/", {"field_key": "floor_plan", "file": upload},
                            fmt="multipart").status_code == 201
    return app_id, base, draft.json(), citizen_api.post(base + "submit/", HTTP_ACCEPT_LANGUAGE="en")


def test_a_submission_keeps_only_what_was_asked_and_says_what_is_not_needed(citizen_api, restaurant):
    _app_id, _base, draft, response = submitted(citizen_api, {**SMALL, "site_address": "1 Harbour Road"})
    # A draft keeps every answer saved; the read says what is asked so far.
    assert draft["answers"]["site_address"] == "1 Harbour Road"
    assert draft["asked"] == ["business_name", "cuisine", "seats", "floor_plan"]
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["answers"] == SMALL
    assert body["asked"] == ["business_name", "cuisine", "seats", "floor_plan"]
    assert body["not_needed"] == [{"department": "fire", "department_name": "Fire Bureau", "why": "Seats is 50 or less"}]
    assert sorted(r["department"] for r in body["reviews"]) == ["health", "registration", "tax"]


def test_a_correction_through_the_api_adds_the_fire_review(citizen_api, restaurant):
    app_id, base, _draft, _response = submitted(citizen_api, SMALL)
    health = Review.objects.get(application_id=app_id, department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officer(health.department), decision="correction",
                           correction_fields=["seats"], message="Count again")
    refused = citizen_api.post(base + "corrections/", {"answers": {"seats": 80}})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"site_address": ["Enter the site address."]}
    refused = citizen_api.post(base + "corrections/", {"answers": {"seats": 80, "cuisine": "western"}})
    assert refused.json()["error"]["fields"] == {"cuisine": ["No department asked you to change this."]}

    response = citizen_api.post(base + "corrections/", {"answers": {"seats": 80, "site_address": "1 Harbour Road"}},
                                HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["not_needed"] == []
    assert {r["department"]: r["status"] for r in body["reviews"]}["fire"] == "waiting"


@pytest.mark.postgres
def test_the_department_whose_review_a_correction_cancels_is_told(citizen_api, restaurant, settings):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver listens on 127.0.0.1; nothing is sent here
    receiver = Receiver()
    receiver.close()
    webhook_subscribe(department=Department.objects.get(code="fire"), url=receiver.url,
                      events=["review.cancelled", "review.decided"])
    webhook_subscribe(department=Department.objects.get(code="health"), url=receiver.url, events=["review.cancelled"])
    app_id, base, _draft, _response = submitted(citizen_api, {**SMALL, "seats": 80, "site_address": "1 Harbour Road"})
    health = Review.objects.get(application_id=app_id, department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officer(health.department), decision="correction",
                           correction_fields=["seats"], message="Count again")
    assert citizen_api.post(base + "corrections/", {"answers": {"seats": 20}}).status_code == 200
    audit_seal()
    webhooks.webhook_dispatch()
    fire = Review.objects.get(application_id=app_id, department__code="fire")
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.subscription.department.code, delivery.event_type) == ("fire", "review.cancelled")
    assert delivery.payload["data"] == {"application_id": app_id, "reference": fire.application.reference,
                                        "review_id": fire.pk, "department": "fire"}
