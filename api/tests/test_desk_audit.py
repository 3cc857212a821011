"""What a front desk does for a citizen is on record as the desk's doing, never the citizen's: the
token's service account is the actor, its label the actor label, the citizen the subject, and the
citizen's page of who acted on their data names the desk."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.tests.conftest import Api, signed_consent
from approvals import workflow
from approvals.models import Application
from approvals.selectors import who_viewed_page
from audit.models import Action, AuditEvent
from tests.factories import PDF_BYTES
from workspace.selectors import application_history, history_rows

pytestmark = pytest.mark.django_db

User = get_user_model()
SERVICE = "open-a-restaurant"
WALK_IN = {
    "full_name": "Zhao Min", "document_type": "resident_id_card", "document_number": "11010519491231002X",
    "phone": "+86 10 6512 3456", "officer_name": "Li Na", "officer_staff_number": "A1023",
}
SHA = hashlib.sha256(PDF_BYTES).hexdigest()


@pytest.fixture
def desk(desk_token, restaurant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Api(desk_token[1])


def marks(token) -> dict:
    """What every event of the desk carries: the token's prefix and the desk's name."""
    return {"token": token.prefix, "front_desk": "counter 3"}


def row(event) -> tuple:
    return (event.action, event.actor_id, event.actor_label, event.subject_id, event.application_id, event.object_type,
            event.object_id, event.purpose, event.ip, event.details)


def events_since(mark: int) -> list[tuple]:
    return [row(e) for e in AuditEvent.objects.filter(pk__gt=mark).exclude(action=Action.APPLICATION_VIEWED).order_by("pk")]


def last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def plan():
    return SimpleUploadedFile("Zhao Min ID 11010519491231002X.pdf", PDF_BYTES, content_type="application/pdf")


def test_every_write_of_the_desk_names_the_desk_as_actor_and_the_citizen_as_subject(desk, desk_token, officers):
    token, _clear = desk_token
    desk_user, label, desk_marks = token.user_id, token.label, marks(token)

    # Registering the walk-in, and a new claim letter for them.
    walk_in = desk.post("/api/v1/citizens/", {**WALK_IN, "claim_letter": True}).json()
    citizen = walk_in["id"]
    mark = last_id()
    assert desk.post(f"/api/v1/citizens/{citizen}/claim-letter/").status_code == 201
    assert events_since(mark) == [
        (Action.CLAIM_LETTER_PRINTED, desk_user, label, citizen, None, "user", str(citizen), "counter", "127.0.0.1",
         desk_marks),
    ]
    verified = AuditEvent.objects.get(action=Action.IDENTITY_VERIFIED)
    assert row(verified) == (
        Action.IDENTITY_VERIFIED, desk_user, label, citizen, None, "user", str(citizen), "counter", "127.0.0.1",
        {**desk_marks, "assurance": "in_person", "document_type": "resident_id_card", "officer_name": "Li Na",
         "officer_staff_number": "A1023", "claim_mailed": False, "claim_letter": True})

    # Filing with the citizen's consent: the answers given name their questions, never their values.
    mark = last_id()
    created = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": citizen,
                                                  "answers": {"business_name": "Counter Café", "cuisine": "chinese"},
                                                  "consent": signed_consent()})
    assert created.status_code == 201, created.json()
    application = Application.objects.get(pk=created.json()["id"])
    pk = application.pk
    signed_at = application.api_filing.consent.signed_at.isoformat()
    assert events_since(mark) == [
        (Action.APPLICATION_CREATED, desk_user, label, citizen, pk, "application", str(pk), "counter", "127.0.0.1",
         {**desk_marks, "fields": ["business_name", "cuisine"], "filing": {"consent": {
             "method": "paper_scan", "signed_at": signed_at, "officer_name": "Li Na", "officer_staff_number": "A1023",
             "document_sha256": SHA, "document_size": len(PDF_BYTES)}}}),
    ]

    # Answering, uploading, submitting.
    base = f"/api/v1/applications/{pk}/"
    mark = last_id()
    assert desk.post(base + "answers/", {"answers": {"seats": "40", "site_address": "1 Harbour Road",
                                                     "business_name": "Counter Café"}}).status_code == 200
    uploaded = desk.post(base + "attachments/", {"field_key": "floor_plan", "file": plan()}, fmt="multipart")
    assert uploaded.status_code == 201, uploaded.json()
    attachment = uploaded.json()["id"]
    assert desk.post(base + "submit/").status_code == 200
    assert events_since(mark) == [
        (Action.ANSWERS_SAVED, desk_user, label, citizen, pk, "application", str(pk), "counter", "127.0.0.1",
         {**desk_marks, "fields": ["seats", "site_address"]}),
        (Action.ATTACHMENT_UPLOADED, desk_user, label, citizen, pk, "attachment", str(attachment), "counter",
         "127.0.0.1", {**desk_marks, "field": "floor_plan", "size": len(PDF_BYTES), "sha256": SHA,
                       "content_type": "application/pdf"}),
        (Action.APPLICATION_SUBMITTED, desk_user, label, citizen, pk, "application", str(pk), "counter", "127.0.0.1",
         {**desk_marks, "version": 1}),
    ]

    # Answering a correction request.
    health = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats"], message="How many seats exactly?")
    mark = last_id()
    assert desk.post(base + "corrections/", {"answers": {"seats": "38"}}).status_code == 200
    assert events_since(mark) == [
        (Action.APPLICATION_RESUBMITTED, desk_user, label, citizen, pk, "application", str(pk), "counter", "127.0.0.1",
         {**desk_marks, "changed": ["seats"]}),
        (Action.REVIEW_REOPENED, desk_user, label, citizen, pk, "review", str(health.pk), "counter", "127.0.0.1",
         {**desk_marks, "reason": "correction answered"}),
    ]
    # The officers' history of the application names the desk too.
    health.refresh_from_db()
    assert [(r.what, r.department, r.who) for r in history_rows(health, list(application_history(health)))
            if r.who.startswith("Front desk")] == [
        ("Application started", "", "Front desk: counter 3"), ("Application submitted", "", "Front desk: counter 3"),
        ("Corrections submitted", "", "Front desk: counter 3"),
        ("Review reopened", "Health Bureau", "Front desk: counter 3"),
    ]
    # Nothing the desk did is on record as the citizen's doing.
    assert not AuditEvent.objects.filter(actor_id=citizen).exists()
    # The desk's reads are its own too (one visit a minute: audit.services.access_record).
    viewed = AuditEvent.objects.filter(action=Action.APPLICATION_VIEWED, application_id=pk)
    assert [row(e)[1:4] + row(e)[7:] for e in viewed] == [
        (desk_user, label, citizen, "counter", "127.0.0.1", desk_marks)]


def test_the_citizen_sees_the_front_desk_not_themselves(desk, desk_token, client):
    walk_in = desk.post("/api/v1/citizens/", WALK_IN).json()
    created = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": walk_in["id"],
                                                  "answers": {"business_name": "Counter Café"},
                                                  "consent": signed_consent()}).json()
    base = f"/api/v1/applications/{created['id']}/"
    desk.post(base + "answers/", {"answers": {"seats": "12"}})
    desk.post(base + "attachments/", {"field_key": "floor_plan", "file": plan()}, fmt="multipart")
    citizen = User.objects.get(pk=walk_in["id"])

    accesses = who_viewed_page(citizen).object_list
    assert [(a.staff_name, a.staff_role, a.department, a.action, a.purpose, a.application_id, a.reference)
            for a in accesses] == [
        ("Front desk: counter 3", "", "", "Uploaded a document to your application", "Serving you at a front desk",
         created["id"], "Draft"),
        ("Front desk: counter 3", "", "", "Saved answers on your application", "Serving you at a front desk",
         created["id"], "Draft"),
        ("Front desk: counter 3", "", "", "Viewed your application", "Serving you at a front desk", created["id"],
         "Draft"),
        ("Front desk: counter 3", "", "", "Started an application for you, with your signed consent",
         "Serving you at a front desk", created["id"], "Draft"),
        ("Front desk: counter 3", "", "", "Verified your identity in person", "Serving you at a front desk", None, ""),
    ]
    client.force_login(citizen)
    page = client.get(reverse("approvals:who_viewed")).content.decode()
    assert page.count("Front desk: counter 3") == 5
    assert "Zhao Min" not in page.split("<table", 1)[1]  # the citizen is never shown as the one who acted
    assert f'<a href="{reverse("approvals:detail", args=[created["id"]])}">Draft</a>' in page
