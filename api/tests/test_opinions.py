"""A department's system reads the opinions its department asked for on an application it
reviews, and downloads the files given with them (their disarmed copies); every read on record
with the token; nothing of another department's review or files."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import disarm, opinions, sharing
from approvals.models import OpinionAttachment
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.factories import PDF_BYTES, officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(submit, officers):
    """Health asked tax (answered, with a file) and fire (waiting) for an opinion."""
    application = submit()
    health = application.reviews.select_related("department").get(department__code="health")
    tax, fire = Department.objects.get(code="tax"), Department.objects.get(code="fire")
    answered = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"], department_id=tax.pk,
                                         days=7, reason="Is the name registered?")
    opinions.opinion_give(share_id=answered.pk, actor=officers["tax"], verdict="agree_with_conditions",
                          conditions="Register the name first.", comment="Checked the register.",
                          files=[SimpleUploadedFile("extract.pdf", PDF_BYTES)])
    waiting = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"], department_id=fire.pk,
                                        days=3, reason="Fire exits?")
    return {"application": application, "health": health, "answered": answered, "waiting": waiting,
            "file": OpinionAttachment.objects.get()}


def test_the_department_reads_the_opinions_it_asked_for(dept_api, asked, officers):
    token, api = dept_api["health"]
    health, answered, waiting, item = asked["health"], asked["answered"], asked["waiting"], asked["file"]
    response = api.get(f"/api/v1/reviews/{health.pk}/opinions/")
    assert response.status_code == 200
    answered.refresh_from_db()
    opinion = answered.opinion
    rows = response.json()
    for row in rows:  # times as the API writes them
        row.pop("shared_at"), row.pop("expires_at")
        if row["opinion"]:
            assert row["opinion"].pop("given_at").startswith(opinion.given_at.date().isoformat())
    assert rows == [
        {"id": waiting.pk, "department": "fire", "department_name": "Fire Bureau", "reason": "Fire exits?", "state": "active",
         "opinion_due": waiting.opinion_due.isoformat(), "opinion": None},
        {"id": answered.pk, "department": "tax", "department_name": "Tax Bureau", "reason": "Is the name registered?",
         "state": "active", "opinion_due": answered.opinion_due.isoformat(),
         "opinion": {"verdict": "agree_with_conditions", "conditions": "Register the name first.", "reasons": "",
                     "comment": "Checked the register.", "given_by": officers["tax"].full_name,
                     "files": [{"id": item.pk, "name": "extract.pdf", "content_type": "application/pdf",
                                "size": len(PDF_BYTES), "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
                                "download_url": f"/api/v1/reviews/{health.pk}/opinions/files/{item.pk}/"}]}},
    ]
    event = AuditEvent.objects.get(action=Action.REVIEW_VIEWED)
    assert (event.object_type, event.object_id, event.purpose, event.details["token"]) == (
        "review", str(health.pk), "api", token.prefix)

    download = api.get(f"/api/v1/reviews/{health.pk}/opinions/files/{item.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="extract.pdf"'
    assert b"".join(download.streaming_content) == disarm.disarmed(PDF_BYTES, "application/pdf")
    event = AuditEvent.objects.get(action=Action.ATTACHMENT_VIEWED)
    assert (event.object_type, event.object_id, event.purpose, event.department_code, event.subject_id,
            event.details["token"]) == ("opinionattachment", str(item.pk), "api", "health",
                                        asked["application"].applicant_id, token.prefix)


def test_another_department_reads_nothing_and_is_on_record(dept_api, asked, submit, officers):
    health, item = asked["health"], asked["file"]
    tax_token, tax = dept_api["tax"]  # the department asked: it reads its own opinion on the web page
    assert tax.get(f"/api/v1/reviews/{health.pk}/opinions/").status_code == 404
    assert tax.get(f"/api/v1/reviews/{health.pk}/opinions/files/{item.pk}/").status_code == 404
    tax_review = asked["application"].reviews.get(department__code="tax")
    assert tax.get(f"/api/v1/reviews/{tax_review.pk}/opinions/").json() == []  # tax asked nobody
    response = tax.get(f"/api/v1/reviews/{tax_review.pk}/opinions/files/{item.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    # Health's review of another application does not reach this application's file either.
    _token, health_api = dept_api["health"]
    other = submit().reviews.get(department__code="health")
    assert health_api.get(f"/api/v1/reviews/{other.pk}/opinions/files/{item.pk}/").status_code == 404
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="opinionattachment")
    assert sorted(e.details["token"] for e in denied) == sorted([tax_token.prefix, _token.prefix])
    assert not AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED).exists()


def test_the_list_costs_the_same_statements_for_one_opinion_as_for_three(dept_api, submit, officers):
    _token, api = dept_api["health"]
    application = submit()
    health = application.reviews.get(department__code="health")
    departments = iter(Department.objects.exclude(code="health").order_by("code"))

    def answered(files):
        department = next(departments)
        share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                          department_id=department.pk, days=7, reason="Your view?")
        opinions.opinion_give(share_id=share.pk, actor=officer(department, email=f"giver.{department.code}@example.gov"),
                              verdict="agree", files=[SimpleUploadedFile(f"s{n}.pdf", PDF_BYTES) for n in range(files)])

    def count():
        with CaptureQueriesContext(connection) as queries:
            rows = api.get(f"/api/v1/reviews/{health.pk}/opinions/").json()
        return rows, queries

    answered(1)
    api.get(f"/api/v1/reviews/{health.pk}/opinions/")  # the token's first use of the minute is recorded
    rows, one = count()
    assert [len(r["opinion"]["files"]) for r in rows] == [1]
    answered(2)
    answered(2)
    rows, three = count()
    assert [len(r["opinion"]["files"]) for r in rows] == [2, 2, 1]
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_the_schema_documents_the_opinions(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    listing = paths["/api/v1/reviews/{id}/opinions/"]["get"]
    assert listing["x-required-scope"] == "read"
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/AskedOpinion"}
    download = paths["/api/v1/reviews/{id}/opinions/files/{file_id}/"]["get"]
    assert download["x-required-scope"] == "read"
    assert set(download["responses"]) == {"200", "400", "401", "403", "404", "406", "409", "429"}
