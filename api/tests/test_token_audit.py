"""Every write through the API names the token that made it, as its reads do: a department
system's claims, decisions and messages are its service account's, labelled with the token; a
citizen's own token writes as the citizen, labelled with the token. The consequences a decision
has (the application approved or rejected, the permit issued) stay the system's. The citizen's
page of who acted on their data and the officers' history read them as the department's system
and the applicant."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.tests.conftest import Api, department_token
from approvals import workflow
from approvals.models import Application, Message
from approvals.selectors import who_viewed_page
from audit.models import Action, AuditEvent
from permits.models import Permit
from tests.factories import PDF_BYTES, VALID_ANSWERS
from workspace.selectors import application_history, history_rows

pytestmark = pytest.mark.django_db

IP = "127.0.0.1"
SHA = hashlib.sha256(PDF_BYTES).hexdigest()


def row(event) -> tuple:
    return (event.action, event.actor_id, event.actor_label, event.subject_id, event.application_id, event.object_type,
            event.object_id, event.department_code, event.purpose, event.ip, event.details)


def last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def written_since(mark: int) -> list[tuple]:
    """The events after ``mark`` but the API's reads (one a minute, tested on their own)."""
    reads = (Action.APPLICATION_VIEWED, Action.REVIEW_VIEWED, Action.ATTACHMENT_VIEWED)
    return [row(e) for e in AuditEvent.objects.filter(pk__gt=mark).exclude(action__in=reads).order_by("pk")]


@pytest.fixture
def systems(restaurant):
    """{code: (token, Api)}: each department's system, named as an integration is."""
    result = {}
    for code in ("registration", "health", "tax", "fire"):
        token, clear = department_token(code, f"{code.title()} integration")
        result[code] = (token, Api(clear))
    return result


def test_a_department_systems_claim_correction_request_and_message_name_its_token(systems, submit):
    application = submit()
    token, health = systems["health"]
    review = application.reviews.get(department__code="health")
    user, label, pk, citizen = token.user_id, token.label, application.pk, application.applicant_id
    base = f"/api/v1/reviews/{review.pk}/"

    mark = last_id()
    assert health.post(base + "claim/").status_code == 200
    assert health.post(base + "messages/", {"body": "Are the outdoor seats counted?"}).status_code == 201
    assert health.post(base + "decision/", {"decision": "correction", "correction_fields": ["seats"],
                                            "message": "Count the outdoor seats too."}).status_code == 200
    message = Message.objects.get(application=application)
    assert written_since(mark) == [
        (Action.REVIEW_CLAIMED, user, label, None, pk, "review", str(review.pk), "health", "", IP,
         {"token": token.prefix}),
        (Action.MESSAGE_SENT, user, label, citizen, pk, "message", str(message.pk), "health", "", IP,
         {"token": token.prefix}),
        (Action.REVIEW_CORRECTION, user, label, citizen, pk, "review", str(review.pk), "health", "", IP,
         {"token": token.prefix, "fields": ["seats"], "message": "Count the outdoor seats too."}),
    ]


def test_a_department_systems_approval_names_its_token_and_the_permit_stays_the_systems(systems, submit):
    application = submit()
    for code in ("registration", "health", "tax"):
        workflow.review_decide(review_id=application.reviews.get(department__code=code).pk,
                               actor=systems[code][0].user, decision="approve")
    token, fire = systems["fire"]
    review = application.reviews.get(department__code="fire")
    pk, citizen = application.pk, application.applicant_id

    mark = last_id()
    response = fire.post(f"/api/v1/reviews/{review.pk}/decision/",
                         {"decision": "approve", "conditions": "Keep the exits clear."})
    assert response.status_code == 200, response.json()
    permit = Permit.objects.get(application=application)
    assert written_since(mark) == [
        (Action.REVIEW_APPROVED, token.user_id, token.label, citizen, pk, "review", str(review.pk), "fire", "", IP,
         {"token": token.prefix, "conditions": "Keep the exits clear."}),
        (Action.APPLICATION_APPROVED, None, "system", citizen, pk, "application", str(pk), "", "", None, {}),
        (Action.PERMIT_ISSUED, None, "system", citizen, pk, "permit", str(permit.pk), "", "", None,
         {"number": permit.number}),
    ]


def test_a_department_systems_rejection_names_its_token(systems, submit):
    application = submit()
    token, tax = systems["tax"]
    review = application.reviews.get(department__code="tax")
    pk, citizen = application.pk, application.applicant_id

    mark = last_id()
    response = tax.post(f"/api/v1/reviews/{review.pk}/decision/", {"decision": "reject", "reason": "Taxes unpaid."})
    assert response.status_code == 200, response.json()
    assert written_since(mark) == [
        (Action.REVIEW_REJECTED, token.user_id, token.label, citizen, pk, "review", str(review.pk), "tax", "", IP,
         {"token": token.prefix, "reason": "Taxes unpaid."}),
        (Action.APPLICATION_REJECTED, None, "system", citizen, pk, "application", str(pk), "tax", "", None, {}),
    ]


def plan():
    return SimpleUploadedFile("Wang Fang plan.pdf", PDF_BYTES, content_type="application/pdf")


def test_a_citizens_own_token_writes_as_the_citizen_naming_the_token(citizen_api, citizen_token, citizen, officers):
    token = citizen_token[0]
    me, label, marks = citizen.pk, token.label, {"token": token.prefix}

    mark = last_id()
    created = citizen_api.post("/api/v1/applications/", {"service": "open-a-restaurant",
                                                         "answers": {"business_name": "Golden Dragon"}})
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    base = f"/api/v1/applications/{pk}/"
    answers = {k: v for k, v in VALID_ANSWERS.items() if k != "business_name"}
    assert citizen_api.post(base + "answers/", {"answers": answers}).status_code == 200
    uploaded = citizen_api.post(base + "attachments/", {"field_key": "floor_plan", "file": plan()}, fmt="multipart")
    assert uploaded.status_code == 201, uploaded.json()
    assert citizen_api.post(base + "submit/").status_code == 200
    attachment = uploaded.json()["id"]
    assert written_since(mark) == [
        (Action.APPLICATION_CREATED, me, label, me, pk, "application", str(pk), "", "", IP,
         {**marks, "fields": ["business_name"]}),
        (Action.ANSWERS_SAVED, me, label, me, pk, "application", str(pk), "", "", IP,
         {**marks, "fields": ["cuisine", "seats", "site_address"]}),
        (Action.ATTACHMENT_UPLOADED, me, label, me, pk, "attachment", str(attachment), "", "", IP,
         {**marks, "field": "floor_plan", "size": len(PDF_BYTES), "sha256": SHA, "content_type": "application/pdf"}),
        (Action.APPLICATION_SUBMITTED, me, label, me, pk, "application", str(pk), "", "", IP, {**marks, "version": 1}),
    ]

    application = Application.objects.get(pk=pk)
    health = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats"], message="How many seats exactly?")
    mark = last_id()
    assert citizen_api.post(base + "corrections/", {"answers": {"seats": "38"}}).status_code == 200
    assert written_since(mark) == [
        (Action.APPLICATION_RESUBMITTED, me, label, me, pk, "application", str(pk), "", "", IP,
         {**marks, "changed": ["seats"]}),
        (Action.REVIEW_REOPENED, me, label, me, pk, "review", str(health.pk), "health", "", IP,
         {**marks, "reason": "correction answered"}),
    ]

    # The officers' history names the applicant as "Applicant", never by a name health is not
    # shown; the citizen's own acts are not someone else's access to their data.
    health.refresh_from_db()
    rows = [(r.what, r.department, r.who) for r in history_rows(health, list(application_history(health)))
            if r.what in ("Application started", "Application submitted", "Corrections submitted", "Review reopened")]
    assert rows == [("Application started", "", "Applicant"), ("Application submitted", "", "Applicant"),
                    ("Corrections submitted", "", "Applicant"), ("Review reopened", "Health Bureau", "Applicant")]
    assert [(a.staff_name, a.action) for a in who_viewed_page(citizen).object_list] == [
        (officers["health"].full_name, "Asked you to correct your application")]


def test_the_citizen_and_the_officers_read_a_decision_as_the_departments_system(systems, submit, citizen, client,
                                                                                  officers):
    application = submit()
    token, tax = systems["tax"]
    review = application.reviews.get(department__code="tax")
    assert tax.get(f"/api/v1/reviews/{review.pk}/").status_code == 200
    assert tax.post(f"/api/v1/reviews/{review.pk}/decision/", {"decision": "approve"}).status_code == 200

    accesses = who_viewed_page(citizen).object_list
    assert [(a.staff_name, a.staff_role, a.department, a.action, a.purpose, a.application_id, a.reference)
            for a in accesses] == [
        ("Tax Bureau system: Tax integration", "Department system", "Tax Bureau",
         "Approved your application for the department", "Deciding on the application", application.pk,
         application.reference),
        ("Tax Bureau system: Tax integration", "Department system", "Tax Bureau", "Opened your application to review it",
         "Reviewing the application, through the department's system", application.pk, application.reference),
    ]
    client.force_login(citizen)
    page = client.get(reverse("approvals:who_viewed")).content.decode()
    assert page.count('Tax Bureau system: Tax integration <span class="text-body-secondary small">'
                      '(Department system)</span>') == 2

    # Tax's officers see their system by name; another department's officers see a decision by no one named.
    review.refresh_from_db()
    decided = [(r.what, r.department, r.who) for r in history_rows(review, list(application_history(review)))
               if r.what == "Review approved"]
    assert decided == [("Review approved", "Tax Bureau", "Tax Bureau system: Tax integration")]
    health = application.reviews.get(department__code="health")
    assert [(r.what, r.department, r.who) for r in history_rows(health, list(application_history(health)))
            if r.what == "Review approved"] == [("Review approved", "Tax Bureau", "")]
