"""Certificates as documents through the API: a citizen's token chooses one (or leaves the newest
held to be used), someone else's is refused on record; a department system reads the evidence its
requirement lists, with its state read live."""

from datetime import date

import pytest

from api.models import TokenKind
from api.services import api_token_create
from approvals import workflow
from audit.models import Action, AuditEvent
from certificates.models import CertificateStatus
from tests.factories import UserFactory, wallet_certificate

from .conftest import Api, department_token

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("on_certificate_day")]

ANSWERS = {"business_name": "Golden Dragon", "outdoor_seats": 12}


@pytest.fixture
def seating(seating_services):
    return seating_services[0]


@pytest.fixture
def api(citizen):
    token, clear = api_token_create(kind=TokenKind.CITIZEN, name="my phone", user=citizen)
    return token, Api(clear)


def start(api) -> dict:
    response = api.post("/api/v1/applications/", {"service": "outdoor-seating", "answers": ANSWERS}, key="start")
    assert response.status_code == 201
    return response.json()


def evidence(number: str, certificate_state: str, state_at_submit: str, submitted_at) -> dict:
    return {"field_key": "restaurant_permit", "type": "restaurant_operating_permit",
            "type_name": "Restaurant operating permit", "number": number, "holder_name": "Wang Fang",
            "company_name": "Golden Dragon Ltd", "company_code": "91310000MA1FL0000X", "issuer": "registration",
            "valid_from": "2026-01-01", "valid_until": "2028-12-31", "state": certificate_state,
            "state_at_submit": state_at_submit, "submitted_at": submitted_at, "verification_url": None}


def test_a_citizens_token_chooses_a_certificate_and_submits_with_it(seating, citizen, api):
    _token, client = api
    wallet_certificate(citizen, number="RP-2026-000099", valid_from=date(2026, 11, 1))
    mine = wallet_certificate(citizen, number="RP-2026-000042", valid_until=date(2028, 12, 31))
    application = start(client)

    response = client.post(f"/api/v1/applications/{application['id']}/answers/",
                           {"answers": {}, "certificates": {"restaurant_permit": mine.pk}}, key="choose")

    assert response.status_code == 200
    assert response.json()["certificates"] == [evidence("RP-2026-000042", "valid", "", None)]
    response = client.post(f"/api/v1/applications/{application['id']}/submit/", key="submit")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_review"
    assert body["certificates"] == [evidence("RP-2026-000042", "valid", "valid", body["submitted_at"])]


def test_left_out_the_newest_certificate_held_answers(seating, citizen, api):
    _token, client = api
    wallet_certificate(citizen, number="RP-2026-000042", valid_until=date(2028, 12, 31))
    application = start(client)

    body = client.post(f"/api/v1/applications/{application['id']}/submit/", key="submit").json()

    assert [c["number"] for c in body["certificates"]] == ["RP-2026-000042"]


def test_a_token_naming_someone_elses_certificate_is_refused_on_record(seating, citizen, api):
    token, client = api
    theirs = wallet_certificate(UserFactory(email="li.lei@example.org"), number="RP-2026-000070")
    application = start(client)

    response = client.post(f"/api/v1/applications/{application['id']}/answers/",
                           {"answers": {"business_name": "Changed"}, "certificates": {"restaurant_permit": theirs.pk}},
                           key="forged")

    assert response.status_code == 400
    assert response.json()["error"] == {"code": "validation_failed", "message": "Some answers need your attention.",
                                        "fields": {"restaurant_permit": [
                                            "The certificate sent for the restaurant operating permit is not one of "
                                            "yours. Choose one of your own or upload the document."]}}
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert (denied.actor_id, denied.object_type, denied.object_id, denied.details["reason"], denied.details["token"]) == (
        citizen.pk, "certificate", str(theirs.pk), "not_holder", token.prefix)
    body = client.get(f"/api/v1/applications/{application['id']}/").json()
    assert (body["answers"]["business_name"], body["certificates"]) == ("Golden Dragon", [])


def test_a_department_system_reads_the_evidence_it_needs_with_its_state_now(seating, citizen):
    certificate = wallet_certificate(citizen, number="RP-2026-000042", valid_until=date(2028, 12, 31))
    application = workflow.application_start(applicant=citizen, service=seating, answers=ANSWERS)
    application = workflow.application_submit(application_id=application.pk, actor=citizen)
    workflow.application_route(application_ids=[application.pk])
    urban = application.reviews.get(department__code="urban")
    planning = application.reviews.get(department__code="planning")
    urban_api, planning_api = Api(department_token("urban")[1]), Api(department_token("planning")[1])
    submitted = "2026-12-07T02:00:00Z"

    body = urban_api.get(f"/api/v1/reviews/{urban.pk}/").json()

    assert body["evidence"] == [evidence("RP-2026-000042", "valid", "valid", submitted)]
    assert planning_api.get(f"/api/v1/reviews/{planning.pk}/").json()["evidence"] == []

    type(certificate).objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED)

    assert urban_api.get(f"/api/v1/reviews/{urban.pk}/").json()["evidence"][0]["state"] == "revoked"


def test_the_catalogue_says_which_documents_a_certificate_answers(seating):
    fields = Api().get("/api/v1/services/outdoor-seating/").json()["fields"]

    assert [f.get("certificate") for f in fields] == [None, None, {
        "type": "restaurant_operating_permit", "name": "Restaurant operating permit", "issued_by": ["open-a-restaurant"]}]
