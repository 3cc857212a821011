"""Filings after approval through the API: a department system lists its filings, reads one (what
its filing lists, nothing more, on record) and acknowledges it once; another department finds
none; the webhook ``filing.created`` carries ids only; the public catalogue names the bodies told."""

import pytest
from django.urls import reverse

from api import webhooks
from api.models import TokenKind, WebhookDelivery
from api.services import api_token_create
from api.tests.conftest import Api, department_token
from api.tests.receiver import Receiver
from approvals.models import Filing
from audit.chain import audit_seal
from audit.models import Action, AuditEvent
from departments.models import Department

pytestmark = pytest.mark.django_db


def filing_of(application, code="subdistrict") -> Filing:
    return Filing.objects.get(application=application, department__code=code)


@pytest.fixture
def subdistrict_api(told_service):
    token, clear = department_token("subdistrict")
    return token, Api(clear)


def test_the_system_lists_reads_and_acknowledges_its_filings(approved, subdistrict_api):
    token, api = subdistrict_api
    filing = filing_of(approved)
    summary = {"id": filing.pk, "application_id": approved.pk, "reference": approved.reference,
               "service": "open-a-told-restaurant", "department": "subdistrict",
               "filed_at": filing.created_at.isoformat().replace("+00:00", "Z"),
               "acknowledge_by": filing.acknowledge_by.isoformat(), "acknowledged_at": None}

    listed = api.get("/api/v1/filings/")
    assert listed.status_code == 200
    assert listed.json()["results"] == [summary]
    assert api.get("/api/v1/filings/?acknowledged=true").json()["results"] == []
    assert api.get("/api/v1/filings/?acknowledged=maybe").status_code == 400

    detail = api.get(f"/api/v1/filings/{filing.pk}/")
    assert detail.status_code == 200
    permit = approved.permits.get()
    assert detail.json() == {
        **summary,
        # The name and the profile's phone: not the e-mail address, not the identity document number.
        "applicant": {"full_name": "Wang Fang", "phone": "+86 138 0000 0000"},
        "answers": [
            {"key": "contact_phone", "label": "Contact phone", "kind": "phone", "value": "+86 21 5555 0100",
             "source": None},
            {"key": "business_name", "label": "Business name", "kind": "text", "value": "Golden Dragon", "source": None},
            {"key": "seats", "label": "Seats", "kind": "integer", "value": 40, "source": None}],
        "permit": {"number": permit.number, "status": "valid", "valid_from": permit.valid_from.isoformat(),
                   "valid_until": permit.valid_until.isoformat()},
    }
    read = AuditEvent.objects.get(action=Action.FILING_VIEWED)
    assert (read.actor_id, read.actor_label, read.object_id, read.subject_id, read.department_code, read.purpose,
            read.details) == (token.user_id, token.label, str(filing.pk), approved.applicant_id, "subdistrict", "filing",
                              {"token": token.prefix})

    acknowledged = api.post(f"/api/v1/filings/{filing.pk}/acknowledge/")
    assert acknowledged.status_code == 200
    filing.refresh_from_db()
    assert acknowledged.json() == {**summary, "acknowledged_at": filing.acknowledged_at.isoformat().replace("+00:00", "Z")}
    assert filing.acknowledged_by_id == token.user_id
    event = AuditEvent.objects.get(action=Action.FILING_ACKNOWLEDGED)
    assert (event.actor_id, event.actor_label, event.details) == (token.user_id, token.label, {"token": token.prefix})

    # Twice: a clear answer, nothing recorded again.
    again = api.post(f"/api/v1/filings/{filing.pk}/acknowledge/")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "already_acknowledged" and error["message"].startswith(
        "This filing was already acknowledged on ")
    assert AuditEvent.objects.filter(action=Action.FILING_ACKNOWLEDGED).count() == 1
    assert [f["id"] for f in api.get("/api/v1/filings/?acknowledged=true").json()["results"]] == [filing.pk]


def test_an_idempotency_key_replays_the_first_answer(approved, subdistrict_api):
    _token, api = subdistrict_api
    filing = filing_of(approved)
    first = api.post(f"/api/v1/filings/{filing.pk}/acknowledge/", key="ack-1")
    replayed = api.post(f"/api/v1/filings/{filing.pk}/acknowledge/", key="ack-1")
    assert (first.status_code, replayed.status_code, replayed["Idempotent-Replayed"]) == (200, 200, "true")
    assert replayed.json() == first.json()
    assert AuditEvent.objects.filter(action=Action.FILING_ACKNOWLEDGED).count() == 1


@pytest.mark.parametrize("code", ["statistics", "tax"])
def test_another_department_finds_no_such_filing_and_the_attempt_is_on_record(approved, told_staff, code):
    filing = filing_of(approved)
    token, clear = department_token(code)
    api = Api(clear)

    assert filing.pk not in [f["id"] for f in api.get("/api/v1/filings/").json()["results"]]
    for response in (api.get(f"/api/v1/filings/{filing.pk}/"), api.post(f"/api/v1/filings/{filing.pk}/acknowledge/")):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="filing")
    assert [(e.actor_id, e.object_id, e.details["reason"], e.details["token"]) for e in denied.order_by("id")] == [
        (token.user_id, str(filing.pk), "not_found", token.prefix)] * 2
    filing.refresh_from_db()
    assert filing.acknowledged_at is None
    assert not AuditEvent.objects.filter(action__in=[Action.FILING_VIEWED, Action.FILING_ACKNOWLEDGED]).exists()


def test_a_token_without_the_acknowledge_scope_reads_but_does_not_acknowledge(approved):
    token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="register reader", scopes=["read"],
                                    department=Department.objects.get(code="subdistrict"))
    api = Api(clear)
    filing = filing_of(approved)
    assert api.get(f"/api/v1/filings/{filing.pk}/").status_code == 200
    response = api.post(f"/api/v1/filings/{filing.pk}/acknowledge/")
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "insufficient_scope", "fields": {},
                                        "message": "This call needs a token with the acknowledge scope."}
    filing.refresh_from_db()
    assert filing.acknowledged_at is None


def test_the_list_reads_the_same_number_of_queries_for_one_filing_or_three(told_submit, told_staff, subdistrict_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.filing_fixtures import approve

    _token, api = subdistrict_api

    def count():
        api.get("/api/v1/filings/")
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/filings/")
        return len(response.json()["results"]), len(queries)

    approve(told_submit(), told_staff)
    one = count()
    approve(told_submit(), told_staff)
    approve(told_submit(), told_staff)
    assert count() == (3, one[1])


@pytest.mark.postgres
def test_the_webhook_tells_the_department_with_ids_only(told_submit, told_staff, settings):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True
    receiver = Receiver()
    try:
        _token, clear = department_token("subdistrict")
        subscribed = Api(clear).post("/api/v1/webhooks/", {"url": receiver.url, "events": ["filing.created"]})
        assert subscribed.status_code == 201, subscribed.json()
        receiver.secret = subscribed.json()["secret"]
        _token, clear = department_token("tax")  # a reviewing department, subscribed to everything it may
        Api(clear).post("/api/v1/webhooks/", {"url": receiver.url + "tax", "events": [
            "review.decided", "application.approved", "filing.created"]})
        from tests.filing_fixtures import approve

        application = approve(told_submit(), told_staff)
        filing = filing_of(application)
        audit_seal()
        webhooks.webhook_dispatch()

        mine = WebhookDelivery.objects.filter(subscription__department__code="subdistrict")
        assert [(d.event_type, d.payload["data"]) for d in mine] == [("filing.created", {
            "application_id": application.pk, "reference": application.reference, "filing_id": filing.pk,
            "department": "subdistrict"})]
        # The tax department hears of its decision and of the approval, not of another's filing.
        assert sorted(WebhookDelivery.objects.filter(subscription__department__code="tax")
                      .values_list("event_type", flat=True)) == ["application.approved", "review.decided"]
        assert webhooks.webhook_deliver(delivery_id=mine.get().pk) == "delivered"
        assert [(r[1], r[2], r[3]["data"]["filing_id"]) for r in receiver.received] == [
            ("filing.created", True, filing.pk)]

        # Acknowledging is no new event for the webhooks, and a second dispatch adds nothing.
        Api(department_token("subdistrict")[1]).post(f"/api/v1/filings/{filing.pk}/acknowledge/")
        audit_seal()
        assert webhooks.webhook_dispatch() == []
    finally:
        receiver.close()


def test_the_public_catalogue_names_the_bodies_told_and_what_they_are_told(told_service):
    detail = Api().get(reverse("api:service", args=["open-a-told-restaurant"])).json()
    assert detail["filings"] == [
        {"department": "subdistrict", "department_name": "Subdistrict Bureau",
         "fields": ["contact_phone", "business_name", "seats"], "identity": ["name", "phone"]},
        {"department": "statistics", "department_name": "Statistics Bureau", "fields": ["cuisine"], "identity": []}]
