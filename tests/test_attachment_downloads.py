"""Every download of a citizen's file serves its disarmed copy: the officer workspace, a shared
opinion, the API's review attachments and the citizen's own page. The file as uploaded is kept
for the record, and only an auditor or an administrator retrieves it. Files stored before copies
were made get one from manage.py disarm_attachments (or their first download)."""

import hashlib
import html
import io
import os
import stat
from pathlib import Path

import pikepdf
import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from api.models import TokenKind
from api.services import api_token_create
from approvals import disarm, sharing, workflow
from approvals.answers import section_of
from approvals.models import Attachment
from approvals.tests.hostile_files import (
    ACTING_NAMES,
    DISARMED_PDFS,
    FILLED_IN_NAME,
    OUTWARD_PDFS,
    UNREADABLE_PDFS,
    encrypted_pdf,
    pdf_names,
    pdf_page_texts,
    photo,
    png_declaring,
)
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.factories import VALID_ANSWERS, UserFactory, officer

pytestmark = pytest.mark.django_db

UNAVAILABLE = ("This file cannot be opened here: no safe copy of it could be made. The file as it was uploaded is "
               "kept on record.")
FORM = DISARMED_PDFS["a form filled in"]()  # accepted; the copy draws the answers and drops the form


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def submitted_with(restaurant, citizen, content: bytes, name="plan.pdf", content_type="application/pdf"):
    application = workflow.application_start(applicant=citizen, service=restaurant)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                uploaded=ContentFile(content, name=name))
    return workflow.application_submit(application_id=application.pk, actor=citizen)


def stored_before_copies(application, content: bytes, name="old.pdf") -> Attachment:
    """An attachment as the portal stored it before it made disarmed copies: the upload only."""
    attachment = Attachment(application=application, field_key="floor_plan", original_name=name,
                            content_type="application/pdf", size=len(content),
                            sha256=hashlib.sha256(content).hexdigest())
    attachment.file.save("upload", ContentFile(content), save=True)
    return attachment


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_disarmed_pdf(served: bytes):
    assert served.startswith(b"%PDF-")
    assert pdf_names(served) & ACTING_NAMES == set()


def test_the_officer_downloads_the_disarmed_copy_and_the_upload_stays_on_record(client, restaurant, citizen, officers,
                                                                               media):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    review = application.reviews.get(department__code="health")
    client.force_login(officers["health"])
    response = client.get(reverse("departments:attachment", args=[review.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    served = body(response)
    assert served == disarm.disarm_pdf(FORM) == attachment.disarmed_file.read()
    assert hashlib.sha256(served).hexdigest() == attachment.disarmed_sha256
    assert_disarmed_pdf(served)
    assert FILLED_IN_NAME in pdf_page_texts(served)
    assert (media / attachment.file.name).read_bytes() == FORM  # the upload as it came, for the record
    event = AuditEvent.objects.get(action=Action.ATTACHMENT_VIEWED)
    assert (event.purpose, event.object_id, event.actor) == ("download", str(attachment.pk), officers["health"])


def test_an_image_is_served_without_its_metadata(client, restaurant, citizen, officers, media):
    content = photo("PNG")
    application = submitted_with(restaurant, citizen, content, name="plan.png", content_type="image/png")
    attachment = application.attachments.get()
    client.force_login(officers["health"])
    review = application.reviews.get(department__code="health")
    response = client.get(reverse("departments:attachment", args=[review.pk, attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    served = body(response)
    assert served == disarm.disarm_image(content, "image/png")
    with Image.open(io.BytesIO(served)) as image:
        assert image.info == {} and dict(image.getexif()) == {}


def test_a_shared_opinion_downloads_the_disarmed_copy(client, restaurant, citizen, officers, media):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    health = application.reviews.get(department__code="health")
    building, _ = Department.objects.get_or_create(code="building", defaults={"name": {"en": "Building Bureau"}})
    opinion_giver = officer(building)
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building.pk, days=7, reason="Is the kitchen safe?")
    client.force_login(opinion_giver)
    response = client.get(reverse("departments:opinion_attachment", args=[share.pk, attachment.pk]))
    assert response.status_code == 200
    assert body(response) == attachment.disarmed_file.read()


def test_the_api_serves_the_disarmed_copy(client, restaurant, citizen, officers, media):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    review = application.reviews.get(department__code="health")
    _token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="health system",
                                     department=Department.objects.get(code="health"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    detail = client.get(f"/api/v1/reviews/{review.pk}/", **auth).json()
    [row] = detail["attachments"]
    assert (row["size"], row["sha256"]) == (len(FORM), hashlib.sha256(FORM).hexdigest())  # the upload's
    response = client.get(row["download_url"], **auth)
    assert response.status_code == 200
    served = body(response)
    assert served == attachment.disarmed_file.read()
    assert_disarmed_pdf(served)


def test_the_citizen_downloads_the_same_disarmed_copy(client, restaurant, citizen, media):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    client.force_login(citizen)
    response = client.get(reverse("approvals:attachment", args=[application.pk, attachment.pk]))
    assert response.status_code == 200
    assert body(response) == attachment.disarmed_file.read() != FORM


# --- The upload as it came: for the record ---------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_an_auditor_or_administrator_retrieves_the_upload_as_it_came_on_record(client, restaurant, citizen, media,
                                                                              role):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    staff = UserFactory(email=f"{role}@example.gov", role=role)
    client.force_login(staff)
    response = client.get(reverse("departments:attachment_original", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert body(response) == FORM
    event = AuditEvent.objects.get(action=Action.ATTACHMENT_VIEWED)
    assert (event.actor, event.purpose, event.details, event.subject_id, event.application_id) == (
        staff, "audit", {"copy": "original"}, citizen.pk, application.pk)


def test_nobody_else_retrieves_the_upload_as_it_came(client, restaurant, citizen, officers, media):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    url = reverse("departments:attachment_original", args=[attachment.pk])
    for user in (officers["health"], officers["health_supervisor"], citizen):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED).count() == 0
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="attachment").count() == 3
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


# --- Files stored before copies were made ----------------------------------------------------------


def test_disarm_attachments_makes_the_missing_copies_in_batches_and_can_run_again(restaurant, citizen, media,
                                                                                 capsys):
    application = submitted_with(restaurant, citizen, FORM)
    current = application.attachments.get()
    link = OUTWARD_PDFS["link annotation opens a file on a UNC path"][1]()
    old = [stored_before_copies(application, link), stored_before_copies(application, FORM),
           stored_before_copies(application, UNREADABLE_PDFS["cut in half"]), stored_before_copies(application, link)]
    call_command("disarm_attachments", "--batch-size", "2")
    assert capsys.readouterr().out == (
        f"attachment {old[2].pk}: no copy: The PDF could not be read. It may be damaged: please save or export it "
        "again as a PDF and upload the new file.\n"
        "3 copies made, 1 attachments left without one (they are not served; the files as uploaded stay on record)\n")
    for attachment in old:
        attachment.refresh_from_db()
    assert [bool(a.disarmed_file) for a in old] == [True, True, False, True]
    assert_disarmed_pdf(old[0].disarmed_file.read())
    assert old[1].disarmed_file.read() == current.disarmed_file.read()
    made = {a.pk: a.disarmed_file.name for a in old}
    call_command("disarm_attachments")
    assert capsys.readouterr().out.endswith(
        "0 copies made, 1 attachments left without one (they are not served; the files as uploaded stay on record)\n")
    assert {a.pk: a.disarmed_file.name for a in Attachment.objects.filter(pk__in=made)} == made


def test_a_file_stored_before_gets_its_copy_on_first_download(client, restaurant, citizen, officers, media):
    application = submitted_with(restaurant, citizen, FORM)
    old = stored_before_copies(application, OUTWARD_PDFS["open action opens a web address (tracking)"][1]())
    review = application.reviews.get(department__code="health")
    client.force_login(officers["health"])
    response = client.get(reverse("departments:attachment", args=[review.pk, old.pk]))
    assert response.status_code == 200
    served = body(response)
    assert_disarmed_pdf(served)
    old.refresh_from_db()
    assert old.disarmed_file.read() == served
    with pikepdf.open(io.BytesIO(old.file.read())) as original:
        assert original.Root.OpenAction.S == "/URI"  # the record keeps what was uploaded


def test_a_file_no_copy_can_be_made_of_is_never_served(client, restaurant, citizen, officers, media):
    application = submitted_with(restaurant, citizen, FORM)
    broken = stored_before_copies(application, UNREADABLE_PDFS["cut in half"])
    review = application.reviews.get(department__code="health")
    client.force_login(officers["health"])
    review_url = reverse("departments:review", args=[review.pk])
    response = client.get(reverse("departments:attachment", args=[review.pk, broken.pk]))
    assert (response.status_code, response["Location"]) == (302, review_url)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [UNAVAILABLE]
    _token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="health system",
                                     department=Department.objects.get(code="health"))
    api = client.get(f"/api/v1/reviews/{review.pk}/attachments/{broken.pk}/", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert api.status_code == 409
    assert api.json() == {"error": {"code": "invalid_state", "message": UNAVAILABLE, "fields": {}}}
    client.force_login(citizen)
    response = client.get(reverse("approvals:attachment", args=[application.pk, broken.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("approvals:detail", args=[application.pk]))
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED).count() == 0
    broken.refresh_from_db()
    assert not broken.disarmed_file


# --- What the citizen is told -----------------------------------------------------------------------


@pytest.mark.parametrize("content, name, message", [
    (OUTWARD_PDFS["link annotation opens a file on a UNC path"][1](), "plan.pdf",
     "The PDF contains links or actions that reach outside the document (web addresses, other files, sending form "
     "data, sound or video), which we do not accept. Please print it to a new PDF and upload that file."),
    (encrypted_pdf(""), "plan.pdf", "The PDF is password-protected. Please upload a copy that opens without a password."),
    (UNREADABLE_PDFS["cut in half"], "plan.pdf",
     "The PDF could not be read. It may be damaged: please save or export it again as a PDF and upload the new file."),
    (png_declaring(100, 100), "plan.png",
     "The image could not be read. It may be damaged or incomplete: please save it again and upload the new file."),
    (png_declaring(10_000, 10_000), "plan.png",
     "The image is too large: it may be at most 10000 pixels wide, 10000 pixels high and 40 megapixels in total. "
     "Please reduce its size and upload it again."),
], ids=["pdf opening a UNC path", "pdf with a password", "pdf cut in half", "png whose pixels are missing", "image bomb"])
def test_the_form_page_says_why_a_file_is_refused_and_keeps_nothing(client, restaurant, citizen, media, content, name,
                                                                   message):
    client.force_login(citizen)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    url = reverse("approvals:edit", args=[application.pk, section_of(application.schema, "floor_plan")])
    response = client.post(url, {"floor_plan": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert html.escape(message) in response.content.decode()
    assert not application.attachments.exists()
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_stored_files_and_their_folders_are_not_readable_by_other_local_users(restaurant, citizen, media):
    previous = os.umask(0o022)  # a common default: without the settings, files would be 0644, folders 0755
    try:
        application = submitted_with(restaurant, citizen, FORM)
    finally:
        os.umask(previous)
    attachment = application.attachments.get()
    for stored in (media / attachment.file.name, media / attachment.disarmed_file.name):
        assert stat.S_IMODE(stored.stat().st_mode) == 0o640
        for folder in stored.relative_to(media).parents:
            if folder != Path("."):
                assert stat.S_IMODE((media / folder).stat().st_mode) == 0o750, folder


def test_a_file_missing_from_the_store_is_a_404_that_says_so_on_every_download(client, restaurant, citizen, officers,
                                                                               media, admin_user):
    application = submitted_with(restaurant, citizen, FORM)
    attachment = application.attachments.get()
    review = application.reviews.get(department__code="health")
    (media / attachment.disarmed_file.name).unlink()
    (media / attachment.file.name).unlink()
    downloads = [(citizen, reverse("approvals:attachment", args=[application.pk, attachment.pk])),
                 (officers["health"], reverse("departments:attachment", args=[review.pk, attachment.pk])),
                 (admin_user, reverse("departments:attachment_original", args=[attachment.pk]))]
    for person, url in downloads:
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 404, url
        assert "This file cannot be found" in response.content.decode(), url
    token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="health system",
                                    department=Department.objects.get(code="health"))
    response = client.get(f"/api/v1/reviews/{review.pk}/attachments/{attachment.pk}/",
                          headers={"Authorization": f"Bearer {clear}"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "file_missing")
