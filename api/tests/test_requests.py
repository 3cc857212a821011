"""Idempotent POSTs, bad input (sizes, content types, JSON shapes), the same validation as the
web form, and decisions through the API."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import IdempotencyRecord
from api.tests.conftest import Api, signed_consent
from approvals.models import Application, ApplicationStatus, Message, Review, ReviewStatus
from audit.models import Action, AuditEvent
from tests.factories import PDF_BYTES, VALID_ANSWERS

pytestmark = pytest.mark.django_db

SERVICE = "open-a-restaurant"


def fields_of(response):
    return response.json()["error"]["fields"]


def test_same_key_and_body_replays_the_first_answer(citizen_api, restaurant):
    body = {"service": SERVICE, "answers": {"business_name": "Golden Dragon"}}
    first = citizen_api.post("/api/v1/applications/", body, key="create-1")
    again = citizen_api.post("/api/v1/applications/", body, key="create-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.APPLICATION_CREATED).count() == 1


def test_same_key_with_another_body_is_422_and_changes_nothing(citizen_api, restaurant):
    citizen_api.post("/api/v1/applications/", {"service": SERVICE}, key="k")
    other = citizen_api.post("/api/v1/applications/", {"service": SERVICE, "answers": {"seats": 3}}, key="k")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_mismatch"
    # The same key on another endpoint is another request too.
    app = Application.objects.get()
    assert citizen_api.post(f"/api/v1/applications/{app.pk}/submit/", key="k").status_code == 422
    assert Application.objects.count() == 1 and app.status == ApplicationStatus.DRAFT


def test_without_a_key_every_post_acts(citizen_api, restaurant):
    for _ in range(2):
        assert citizen_api.post("/api/v1/applications/", {"service": SERVICE}).status_code == 201
    assert Application.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_keys_belong_to_one_token(citizen_api, desk_token, restaurant, citizen):

    citizen_api.post("/api/v1/applications/", {"service": SERVICE}, key="shared")
    desk = Api(desk_token[1])
    response = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_email": citizen.email,
                                                   "consent": signed_consent()}, key="shared")
    assert response.status_code == 201
    assert Application.objects.count() == 2


def test_a_replayed_error_stays_the_same_error(citizen_api, restaurant):
    body = {"service": SERVICE, "answers": {"seats": "many"}}
    first = citizen_api.post("/api/v1/applications/", body, key="bad")
    again = citizen_api.post("/api/v1/applications/", body, key="bad")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert fields_of(first) == {"seats": ["Enter the seats as a whole number, for example 12."]}


def test_decision_replay_decides_once(dept_api, submit):
    application = submit()
    review = application.reviews.get(department__code="tax")
    _, tax = dept_api["tax"]
    body = {"decision": "approve", "conditions": "Display the licence."}
    first = tax.post(f"/api/v1/reviews/{review.pk}/decision/", body, key="decide-1")
    again = tax.post(f"/api/v1/reviews/{review.pk}/decision/", body, key="decide-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["status"] == "approved"
    assert AuditEvent.objects.filter(action=Action.REVIEW_APPROVED, object_id=str(review.pk)).count() == 1
    # Without the key the second decision is a conflict, in the error shape.
    conflict = tax.post(f"/api/v1/reviews/{review.pk}/decision/", body)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("key", ["", " ", "x" * 201, "ключ"])
def test_a_bad_key_is_refused(citizen_api, restaurant, key):
    response = citizen_api.client.post("/api/v1/applications/", {"service": SERVICE}, format="json",
                                       HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert list(fields_of(response)) == ["Idempotency-Key"]
    assert Application.objects.count() == 0


def test_answers_are_checked_as_the_web_form_checks_them(citizen_api, restaurant):
    created = citizen_api.post("/api/v1/applications/", {"service": SERVICE}).json()
    path = f"/api/v1/applications/{created['id']}/"
    bad = citizen_api.post(path + "answers/", {"answers": {"seats": 0, "cuisine": "thai", "nope": "x"}})
    assert bad.status_code == 400
    assert fields_of(bad) == {"nope": ["This question is not part of the form."]}
    bad = citizen_api.post(path + "answers/", {"answers": {"seats": 0, "cuisine": "thai"}})
    assert fields_of(bad) == {
        "cuisine": ["Select the cuisine from the list."],
        "seats": ["Enter the seats between 1 and 2000."],
    }
    nested = citizen_api.post(path + "answers/", {"answers": {"seats": {"n": 1}, "cuisine": [1]}})
    assert nested.status_code == 400
    assert sorted(fields_of(nested)) == ["answers.cuisine", "answers.seats"]
    early = citizen_api.post(path + "submit/")
    assert early.status_code == 400
    assert fields_of(early) == {
        "business_name": ["Enter the business name."], "cuisine": ["Select the cuisine from the list."],
        "seats": ["Enter the seats."], "site_address": ["Enter the site address."],
        "floor_plan": ["Upload the floor plan."],
    }
    assert Application.objects.get().answers == {}


def test_uploads_are_checked_as_the_web_form_checks_them(citizen_api, restaurant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    created = citizen_api.post("/api/v1/applications/", {"service": SERVICE}).json()
    path = f"/api/v1/applications/{created['id']}/attachments/"
    fake = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = citizen_api.post(path, {"field_key": "floor_plan", "file": fake}, fmt="multipart")
    assert response.status_code == 400
    assert list(fields_of(response)) == ["floor_plan"]
    wrong_field = citizen_api.post(path, {"field_key": "seats", "file": SimpleUploadedFile(
        "a.pdf", PDF_BYTES, content_type="application/pdf")}, fmt="multipart")
    assert fields_of(wrong_field) == {"seats": ["This question does not take a file."]}
    good = citizen_api.post(path, {"field_key": "floor_plan", "file": SimpleUploadedFile(
        "plan.pdf", PDF_BYTES, content_type="application/pdf")}, fmt="multipart", key="upload-1")
    assert good.status_code == 201, good.json()
    assert good.json()["name"] == "plan.pdf" and good.json()["content_type"] == "application/pdf"
    # A retry sends another multipart boundary: still the same request, replayed.
    again = citizen_api.post(path, {"field_key": "floor_plan", "file": SimpleUploadedFile(
        "plan.pdf", PDF_BYTES, content_type="application/pdf")}, fmt="multipart", key="upload-1")
    assert again.status_code == 201 and again.json() == good.json()
    assert Application.objects.get().attachments.count() == 1


def test_oversized_bodies_and_wrong_content_types_are_4xx(citizen_api, restaurant, settings):
    settings.API_MAX_BODY_BYTES = 1000
    big = citizen_api.client.post("/api/v1/applications/", json.dumps({"service": SERVICE, "x": "a" * 2000}),
                                  content_type="application/json")
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    xml = citizen_api.client.post("/api/v1/applications/", "<service/>", content_type="application/xml")
    assert xml.status_code == 415 and xml.json()["error"]["code"] == "unsupported_media_type"
    broken = citizen_api.client.post("/api/v1/applications/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_request"
    listed = citizen_api.client.post("/api/v1/applications/", "[1, 2]", content_type="application/json")
    assert listed.status_code == 400
    assert citizen_api.client.get("/api/v1/applications/", HTTP_ACCEPT="text/csv").status_code == 406
    assert citizen_api.client.put("/api/v1/applications/", {}).status_code == 405
    assert Application.objects.count() == 0


def test_unknown_service_and_bad_filters(citizen_api, dept_api, restaurant):
    response = citizen_api.post("/api/v1/applications/", {"service": "no-such-service"})
    assert fields_of(response) == {"service": ["No open service has this name."]}
    _, tax = dept_api["tax"]
    assert fields_of(tax.get("/api/v1/reviews/?status=lost")) == {"status": ['"lost" is not a valid choice.']}
    assert list(fields_of(tax.get("/api/v1/reviews/?updated_since=yesterday"))) == ["updated_since"]
    assert tax.get("/api/v1/reviews/?cursor=garbage").status_code == 404


def test_decisions_claims_and_messages_through_the_api(dept_api, submit, citizen):
    application = submit()
    reviews = {r.department.code: r for r in application.reviews.select_related("department")}
    _, tax = dept_api["tax"]
    _, health = dept_api["health"]
    token_reg, registration = dept_api["registration"]
    claimed = registration.post(f"/api/v1/reviews/{reviews['registration'].pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["status"] == "in_progress"
    no_reason = tax.post(f"/api/v1/reviews/{reviews['tax'].pk}/decision/", {"decision": "reject"})
    assert fields_of(no_reason) == {"reason": ["Give the reason for the rejection."]}
    stray = health.post(f"/api/v1/reviews/{reviews['health'].pk}/decision/",
                        {"decision": "correction", "correction_fields": ["cuisine"], "message": "Fix it"})
    assert fields_of(stray) == {"correction_fields": ["Your department cannot ask about: cuisine."]}
    stale = tax.post(f"/api/v1/reviews/{reviews['tax'].pk}/decision/", {"decision": "approve", "expected_version": 99})
    assert stale.status_code == 409
    message = health.post(f"/api/v1/reviews/{reviews['health'].pk}/messages/", {"body": "  Please bring the original.  "})
    assert message.status_code == 201 and message.json()["body"] == "Please bring the original."
    assert Message.objects.get().author_id == dept_api["health"][0].user_id
    correction = health.post(f"/api/v1/reviews/{reviews['health'].pk}/decision/",
                             {"decision": "correction", "correction_fields": ["seats"], "message": "How many seats?"})
    assert correction.json()["status"] == "correction_requested"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_CORRECTION
    assert Review.objects.get(pk=reviews["registration"].pk).assignee_id == token_reg.user_id


def test_citizen_answers_a_correction_through_the_api(dept_api, submit, citizen_api):
    application = submit()
    review = application.reviews.get(department__code="health")
    _, health = dept_api["health"]
    health.post(f"/api/v1/reviews/{review.pk}/decision/",
                {"decision": "correction", "correction_fields": ["seats"], "message": "How many seats?"})
    path = f"/api/v1/applications/{application.pk}/corrections/"
    refused = citizen_api.post(path, {"answers": {"cuisine": "western"}})
    assert fields_of(refused) == {"cuisine": ["No department asked you to change this."]}
    done = citizen_api.post(path, {"answers": {"seats": 60}})
    assert done.status_code == 200, done.json()
    body = done.json()
    assert body["status"] == "in_review" and body["answers"]["seats"] == 60
    assert {r["department"]: r["status"] for r in body["reviews"]}["health"] == ReviewStatus.PENDING
    again = citizen_api.post(path, {"answers": {"seats": 61}})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


def test_webhook_subscriptions_through_the_api(dept_api, restaurant, dns):
    dns.set("hooks.tax.example.gov", ["93.184.216.34"])  # a public address, never connected to here
    _, tax = dept_api["tax"]
    _, fire = dept_api["fire"]
    created = tax.post("/api/v1/webhooks/", {"url": "https://hooks.tax.example.gov/hook",
                                             "events": ["review.routed", "permit.issued"]})
    assert created.status_code == 201
    sub = created.json()
    assert sub["secret"].startswith("whsec_") and sub["events"] == ["review.routed", "permit.issued"]
    listed = tax.get("/api/v1/webhooks/").json()
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]
    assert fire.get("/api/v1/webhooks/").json() == []
    assert fire.delete(f"/api/v1/webhooks/{sub['id']}/").status_code == 404
    bad = tax.post("/api/v1/webhooks/", {"url": "ftp://x", "events": ["review.lost"]})
    assert sorted(fields_of(bad)) == ["events.0", "url"]
    assert tax.delete(f"/api/v1/webhooks/{sub['id']}/").status_code == 204
    assert tax.get("/api/v1/webhooks/").json() == []


def test_valid_answers_fill_a_draft(citizen_api, restaurant):
    created = citizen_api.post("/api/v1/applications/", {"service": SERVICE, "answers": VALID_ANSWERS}).json()
    assert created["answers"] == {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": 40,
                                  "site_address": "1 Harbour Road"}
    assert created["status"] == "draft" and created["reference"] is None


def test_old_keys_are_forgotten(citizen_api, restaurant):
    from datetime import timedelta

    from django.utils import timezone

    from portal.retention import retention_purge

    citizen_api.post("/api/v1/applications/", {"service": SERVICE}, key="old")
    citizen_api.post("/api/v1/applications/", {"service": SERVICE}, key="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert retention_purge(kinds=["idempotency_keys"]) == {"idempotency_keys": 1}
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    # The key may be used again once forgotten.
    assert citizen_api.post("/api/v1/applications/", {"service": SERVICE, "answers": {"seats": 2}}, key="old").status_code == 201


@pytest.mark.parametrize("body", [
    '{"service": "open-a-restaurant", "answers": {"business_name": "A\\u0000B"}}',
    '{"service": "open-a-restaurant", "answers": {"x\\u0000": 1}}',
    '{"service": "open-a-restaurant", "answers": {"business_name": "\\ud800"}}',
    '{"\\udaa8": [], "service": "open-a-restaurant"}',
])
def test_text_postgresql_cannot_keep_is_a_malformed_body(citizen_api, restaurant, body):
    response = citizen_api.client.post("/api/v1/applications/", body, content_type="application/json",
                                       HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert Application.objects.count() == 0


def test_permit_number_with_a_nul_is_not_found(restaurant):

    response = Api().get("/api/v1/permits/P-2026%00/verification/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def _died_in_flight(seconds_ago: float):
    """A first request that never answered (its process killed, the database gone mid-request):
    its key's record left without an answer."""
    from datetime import timedelta

    from django.utils import timezone

    record = IdempotencyRecord.objects.latest("pk")
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=None, body=None,
                                                          created_at=timezone.now() - timedelta(seconds=seconds_ago))


def test_a_key_whose_request_died_is_taken_over_once_no_request_can_still_run(citizen_api, restaurant, settings):
    settings.API_IDEMPOTENCY_IN_FLIGHT_SECONDS = 60
    body = {"service": SERVICE}
    citizen_api.post("/api/v1/applications/", body, key="create-1")
    Application.objects.all().delete()  # the first request's work was rolled back with it
    _died_in_flight(59)
    assert citizen_api.post("/api/v1/applications/", body, key="create-1").status_code == 409
    _died_in_flight(61)
    retried = citizen_api.post("/api/v1/applications/", body, key="create-1")
    assert retried.status_code == 201
    assert Application.objects.count() == 1
    replay = citizen_api.post("/api/v1/applications/", body, key="create-1")
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()) == (201, "true", retried.json())


def test_a_submission_whose_answer_was_lost_is_not_made_twice(citizen_api, citizen, restaurant, settings):
    from approvals import workflow
    from tests.engine_fixtures import pdf_upload

    settings.API_IDEMPOTENCY_IN_FLIGHT_SECONDS = 60
    created = citizen_api.post("/api/v1/applications/", {"service": SERVICE, "answers": VALID_ANSWERS}).json()
    workflow.application_attach(application_id=created["id"], actor=citizen, field_key="floor_plan",
                                uploaded=pdf_upload())
    first = citizen_api.post(f"/api/v1/applications/{created['id']}/submit/", key="submit-1")
    assert first.status_code == 200
    _died_in_flight(61)  # committed, then the process died before answering
    again = citizen_api.post(f"/api/v1/applications/{created['id']}/submit/", key="submit-1")
    assert again.status_code == 409
    application = Application.objects.get()
    assert (application.status, application.reference) == (ApplicationStatus.IN_REVIEW, first.json()["reference"])
    assert Review.objects.filter(application=application).count() == len(first.json()["reviews"])
