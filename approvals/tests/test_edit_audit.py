"""Saving answers and uploading or removing files are on record: which questions changed (never
what was answered) and which file (its id, size and SHA-256, never its name, which often holds
the citizen's name or identity number). A save that changed nothing writes no event."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.services import api_token_create
from api.tests.conftest import Api
from approvals import workflow
from approvals.models import Application, Attachment
from audit.models import Action, AuditEvent
from tests.factories import PDF_BYTES

from .test_form_page import draft, pdf  # noqa: F401  (draft is a fixture)

pytestmark = pytest.mark.django_db

SHA = hashlib.sha256(PDF_BYTES).hexdigest()
NAME = "Wang Fang 110105194912310021 floor plan.pdf"  # a name as citizens give them


def edits(application) -> list[tuple]:
    """The application's edit events, oldest first."""
    return [(e.action, e.actor_id, e.actor_label, e.subject_id, e.application_id, e.object_type, e.object_id,
             e.ip, e.details)
            for e in AuditEvent.objects.filter(application_id=application.pk, action__in=[
                Action.ANSWERS_SAVED, Action.ATTACHMENT_UPLOADED, Action.ATTACHMENT_REMOVED]).order_by("pk")]


def page(client, application, step, data):
    return client.post(reverse("approvals:edit", args=[application.pk, step]), data)


def file_details(field="floor_plan"):
    return {"field": field, "size": len(PDF_BYTES), "sha256": SHA, "content_type": "application/pdf"}


def test_a_saved_page_names_the_questions_that_changed_and_an_unchanged_one_writes_nothing(client, citizen, draft):  # noqa: F811
    client.force_login(citizen)
    pk, who = draft.pk, (citizen.pk, citizen.email, citizen.pk, draft.pk, "application", str(draft.pk), "127.0.0.1")
    assert page(client, draft, 1, {"business_name": "Corner Shop", "seats": "4", "opening_date": ""}).status_code == 302
    assert edits(draft) == [(Action.ANSWERS_SAVED, *who, {"fields": ["business_name", "seats"]})]
    # The same page sent again ("Save and come back later", the browser's back and next): no event.
    assert page(client, draft, 1, {"business_name": "Corner Shop", "seats": "4", "opening_date": "",
                                   "save_later": "1"}).status_code == 302
    assert page(client, draft, 1, {"business_name": "Corner Shop", "seats": "04", "opening_date": ""}).status_code == 302
    assert len(edits(draft)) == 1
    # One answer changed, one cleared.
    assert page(client, draft, 1, {"business_name": "Corner Shop", "seats": "", "opening_date": ""}).status_code == 302
    assert page(client, draft, 1, {"business_name": "Corner Shop Ltd", "seats": "4", "opening_date": ""}).status_code == 302
    assert edits(draft)[1:] == [(Action.ANSWERS_SAVED, *who, {"fields": ["seats"]}),
                                (Action.ANSWERS_SAVED, *who, {"fields": ["business_name", "seats"]})]
    # A refused page is no save.
    assert page(client, draft, 1, {"business_name": "x" * 121, "seats": "5", "opening_date": ""}).status_code == 400
    assert len(edits(draft)) == 3
    # What was answered is never copied into the log.
    assert not AuditEvent.objects.filter(application_id=pk, details__icontains="Corner").exists()


def test_an_upload_and_a_removal_name_the_file_by_id_size_and_digest_never_by_name(client, citizen, draft):  # noqa: F811
    client.force_login(citizen)
    response = page(client, draft, 2, {"floor_plan": SimpleUploadedFile(NAME, PDF_BYTES, content_type="application/pdf"),
                                       "fire_escape_plan": pdf("escape.pdf")})
    assert response.status_code == 302
    plan = Attachment.objects.get(application=draft, field_key="floor_plan")
    escape = Attachment.objects.get(application=draft, field_key="fire_escape_plan")
    assert plan.original_name == NAME  # kept on the attachment, for the people who may see the file
    who = (citizen.pk, citizen.email, citizen.pk, draft.pk, "attachment")
    assert edits(draft) == [
        (Action.ATTACHMENT_UPLOADED, *who, str(plan.pk), "127.0.0.1", file_details()),
        (Action.ATTACHMENT_UPLOADED, *who, str(escape.pk), "127.0.0.1", file_details("fire_escape_plan")),
    ]
    response = client.post(reverse("approvals:attachment_remove", args=[draft.pk, plan.pk]))
    assert response.status_code == 302
    assert edits(draft)[2:] == [(Action.ATTACHMENT_REMOVED, *who, str(plan.pk), "127.0.0.1", file_details())]
    assert not AuditEvent.objects.filter(application_id=draft.pk, details__icontains="110105194912310021").exists()
    assert not AuditEvent.objects.filter(application_id=draft.pk, details__icontains="Wang").exists()


def test_files_sent_with_a_correction_are_on_record(client, citizen, draft, officers):  # noqa: F811
    workflow.application_save_page(application_id=draft.pk, actor=citizen, data={"business_name": "Corner Shop", "seats": "4"},
                                   uploads=[("floor_plan", pdf("plan.pdf")), ("fire_escape_plan", pdf("escape.pdf"))])
    workflow.application_submit(application_id=draft.pk, actor=citizen)
    workflow.review_decide(review_id=draft.reviews.get().pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats", "floor_plan"], message="Show the terrace.")
    before = len(edits(draft))
    client.force_login(citizen)
    response = client.post(reverse("approvals:correct", args=[draft.pk]), {"seats": "30", "floor_plan": pdf("plan2.pdf")})
    assert response.status_code == 302
    new = Attachment.objects.filter(application=draft, field_key="floor_plan").latest("pk")
    assert edits(draft)[before:] == [
        (Action.ATTACHMENT_UPLOADED, citizen.pk, citizen.email, citizen.pk, draft.pk, "attachment", str(new.pk),
         "127.0.0.1", file_details()),
    ]
    resubmitted = AuditEvent.objects.get(application_id=draft.pk, action=Action.APPLICATION_RESUBMITTED)
    assert (resubmitted.actor_id, resubmitted.details) == (citizen.pk, {"changed": ["floor_plan", "seats"]})


def test_the_citizens_api_saves_and_uploads_on_record(citizen, restaurant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token, clear = api_token_create(kind="citizen", name="my phone", user=citizen)
    api = Api(clear)
    created = api.post("/api/v1/applications/", {"service": "open-a-restaurant"}).json()
    application = Application.objects.get(pk=created["id"])
    base = f"/api/v1/applications/{application.pk}/"
    assert api.post(base + "answers/", {"answers": {"seats": "40", "cuisine": "chinese"}}).status_code == 200
    assert api.post(base + "answers/", {"answers": {"seats": "40"}}).status_code == 200  # nothing changed
    uploaded = api.post(base + "attachments/", {"field_key": "floor_plan", "file": SimpleUploadedFile(
        NAME, PDF_BYTES, content_type="application/pdf")}, fmt="multipart")
    assert uploaded.status_code == 201
    # The citizen's doing, through their token: the label and details name it.
    who, marks = (citizen.pk, token.label, citizen.pk, application.pk), {"token": token.prefix}
    assert edits(application) == [
        (Action.ANSWERS_SAVED, *who, "application", str(application.pk), "127.0.0.1",
         {**marks, "fields": ["cuisine", "seats"]}),
        (Action.ATTACHMENT_UPLOADED, *who, "attachment", str(uploaded.json()["id"]), "127.0.0.1",
         {**marks, **file_details()}),
    ]
