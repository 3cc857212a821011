"""The portal's files in an S3-compatible bucket (moto's server, a process of its own: tests/s3_server.py),
as a deployment on several hosts keeps them: a citizen's upload and its downloads, a permit stored by
the renderer and downloaded by its holder, the receipt, a guide's template, the nightly sweep. The
bucket stays private (no ACL granted to anyone else, no link to a file) and nothing reaches the
local disk."""

import hashlib
import html
import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role
from api.models import TokenKind
from api.services import api_token_create
from approvals import disarm, workflow
from approvals.answers import section_of
from approvals.permit_flow import permit_render
from approvals.tests.hostile_files import DISARMED_PDFS, UNREADABLE_PDFS
from audit.models import Action, AuditEvent
from catalogue.models import GuideFile
from catalogue.tests.conftest import DEMO
from core.private_s3 import PrivateS3Storage
from departments.models import Department
from permits.models import Permit
from permits.services import permit_file_store, permit_pdf
from permits.tests.conftest import approve_all
from portal.media_sweep import media_sweep
from tests.factories import VALID_ANSWERS, UserFactory

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

FORM = DISARMED_PDFS["a form filled in"]()  # accepted; its disarmed copy differs from it


@dataclass
class Bucket:
    name: str
    client: object
    media_root: Path

    def keys(self) -> set[str]:
        return {item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def assert_nothing_on_local_disk(self):
        assert not self.media_root.exists() or not any(p.is_file() for p in self.media_root.rglob("*"))


@pytest.fixture
def bucket(s3_storage, s3_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # where the file system would have written
    assert isinstance(storages["default"], PrivateS3Storage)
    yield Bucket(name=s3_storage, client=s3_server.client(), media_root=Path(settings.MEDIA_ROOT))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def uploaded_through_the_form(client, restaurant, citizen, content: bytes, name="plan.pdf"):
    application = workflow.application_start(applicant=citizen, service=restaurant)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    client.force_login(citizen)
    url = reverse("approvals:edit", args=[application.pk, section_of(application.schema, "floor_plan")])
    return application, client.post(url, {"floor_plan": SimpleUploadedFile(name, content)})


def test_an_upload_is_stored_in_the_bucket_and_every_download_streams_from_it(client, bucket, restaurant, citizen,
                                                                               officers):
    application, response = uploaded_through_the_form(client, restaurant, citizen, FORM)
    assert response.status_code == 302
    attachment = application.attachments.get()
    assert bucket.keys() == {attachment.file.name, attachment.disarmed_file.name}
    assert bucket.read(attachment.file.name) == FORM
    copy = disarm.disarm_pdf(FORM)
    assert bucket.read(attachment.disarmed_file.name) == copy
    assert hashlib.sha256(copy).hexdigest() == attachment.disarmed_sha256
    workflow.application_submit(application_id=application.pk, actor=citizen)

    # The citizen's own page, the officer's workspace and the API serve the disarmed copy.
    response = client.get(reverse("approvals:attachment", args=[application.pk, attachment.pk]))
    assert (response.status_code, response["Content-Length"]) == (200, str(len(copy)))
    assert body(response) == copy
    review = application.reviews.get(department__code="health")
    client.force_login(officers["health"])
    response = client.get(reverse("departments:attachment", args=[review.pk, attachment.pk]))
    assert (response.status_code, response["Content-Disposition"]) == (200, 'attachment; filename="plan.pdf"')
    assert body(response) == copy
    _token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="health system",
                                     department=Department.objects.get(code="health"))
    [row] = client.get(f"/api/v1/reviews/{review.pk}/", HTTP_AUTHORIZATION=f"Bearer {clear}").json()["attachments"]
    assert body(client.get(row["download_url"], HTTP_AUTHORIZATION=f"Bearer {clear}")) == copy
    # The upload as it came, for an auditor, on record.
    auditor = UserFactory(email="auditor@example.gov", role=Role.AUDITOR)
    client.force_login(auditor)
    assert body(client.get(reverse("departments:attachment_original", args=[attachment.pk]))) == FORM
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED, actor=auditor, purpose="audit").count() == 1
    bucket.assert_nothing_on_local_disk()


def test_another_citizen_gets_a_404_and_a_refused_upload_leaves_nothing_in_the_bucket(client, bucket, restaurant,
                                                                                      citizen):
    application, response = uploaded_through_the_form(client, restaurant, citizen, UNREADABLE_PDFS["cut in half"])
    assert response.status_code == 400
    assert html.escape("The PDF could not be read.") in response.content.decode()
    assert bucket.keys() == set()
    application, response = uploaded_through_the_form(client, restaurant, citizen, FORM)
    attachment = application.attachments.get()
    client.force_login(UserFactory(email="someone.else@example.com"))
    assert client.get(reverse("approvals:attachment", args=[application.pk, attachment.pk])).status_code == 404


def test_the_bucket_stays_private_and_no_file_has_a_link(client, bucket, restaurant, citizen):
    application, _response = uploaded_through_the_form(client, restaurant, citizen, FORM)
    attachment = application.attachments.get()
    for name in (attachment.file.name, attachment.disarmed_file.name):
        grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=name)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert grants[0]["Grantee"]["Type"] == "CanonicalUser"  # the bucket's owner, nobody else
    # No signed (or any) address of the bucket: the same unserved address as on the file system.
    assert attachment.file.url == f"/media-not-served/{attachment.file.name}"
    assert "X-Amz-Signature" not in attachment.disarmed_file.url
    assert client.get(attachment.file.url).status_code == 404


def test_a_permit_is_rendered_into_the_bucket_and_its_holder_downloads_it(client, bucket, submit, officers, citizen):
    permit = approve_all(submit(), officers)
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()
    assert permit.file.name == f"permits/{permit.number}.pdf"
    stored = bucket.read(permit.file.name)
    assert stored.startswith(b"%PDF-") and hashlib.sha256(stored).hexdigest() == permit.sha256
    client.force_login(citizen)
    response = client.get(reverse("permits:download", args=[permit.number]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == f'attachment; filename="{permit.number}.pdf"'
    assert body(response) == stored
    # Whoever holds the file checks it on the public verification page.
    response = client.post(reverse("permits:verify_file"),
                           {"file": SimpleUploadedFile("p.pdf", stored, "application/pdf")})
    assert "Yes: this file is exactly the one this portal issued." in html.unescape(response.content.decode())
    client.force_login(UserFactory(email="someone.else@example.com"))
    assert client.get(reverse("permits:download", args=[permit.number])).status_code == 404
    bucket.assert_nothing_on_local_disk()


def test_a_permit_stored_again_after_a_crash_replaces_the_file_it_left(bucket, submit, officers):
    permit = approve_all(submit(), officers)
    permit, pdf = permit_pdf(permit.pk)
    name = f"permits/{permit.number}.pdf"
    bucket.client.put_object(Bucket=bucket.name, Key=name, Body=b"%PDF-1.7 half written")
    assert permit_file_store(permit, pdf) is True
    permit.refresh_from_db()
    assert permit.file.name == name  # the same name, not another beside the one left
    assert bucket.read(name) == pdf
    assert [k for k in bucket.keys() if k.startswith("permits/")] == [name]
    assert permit_file_store(permit, b"%PDF-1.7 another render") is False  # rendered already: nothing replaced
    assert bucket.read(name) == pdf


def test_the_receipt_lists_the_files_kept_in_the_bucket(client, bucket, restaurant, citizen):
    application, _response = uploaded_through_the_form(client, restaurant, citizen, FORM, name="kitchen-plan.pdf")
    workflow.application_submit(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    response = client.get(reverse("approvals:receipt", args=[application.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body(response))).pages)
    assert application.reference in text
    assert "kitchen-plan.pdf" in text


def test_a_guide_template_is_loaded_into_the_bucket_and_downloaded_by_anyone(client, bucket):
    call_command("load_catalogue", str(DEMO), verbosity=0)
    row = GuideFile.objects.get(service__slug="open-a-restaurant", name="floor-plan-sample.pdf")
    assert row.file.name == f"guides/{row.sha256[:2]}/{row.sha256}"
    assert {row.file.name for row in GuideFile.objects.all()} <= bucket.keys()
    response = client.get("/services/open-a-restaurant/guide/files/floor-plan-sample.pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert hashlib.sha256(body(response)).hexdigest() == row.sha256
    bucket.client.delete_object(Bucket=bucket.name, Key=row.file.name)  # lost from the store: a 404, not a 500
    assert client.get("/services/open-a-restaurant/guide/files/floor-plan-sample.pdf").status_code == 404
    bucket.assert_nothing_on_local_disk()


def test_the_sweep_deletes_the_buckets_old_files_no_row_names(client, bucket, restaurant, citizen, settings):
    application, _response = uploaded_through_the_form(client, restaurant, citizen, FORM)
    attachment = application.attachments.get()
    kept = {attachment.file.name, attachment.disarmed_file.name}
    orphans = {f"attachments/{application.pk}/0123abcd", "opinions/7/4567ef.disarmed", "permits/P-2026-999999.pdf"}
    for name in orphans | {"elsewhere/keep.txt"}:
        default_storage.save(name, ContentFile(b"%PDF-1.7 someone's file"))
    assert media_sweep() == []  # younger than the grace period: a transaction may still be open
    later = timezone.now() + timedelta(hours=settings.MEDIA_SWEEP_GRACE_HOURS, minutes=5)
    assert sorted(media_sweep(dry_run=True, now=later)) == sorted(orphans)
    assert len(bucket.keys()) == 6
    assert sorted(media_sweep(now=later)) == sorted(orphans)
    assert bucket.keys() == kept | {"elsewhere/keep.txt"}
    assert Permit.objects.count() == 0


def test_a_prefix_keeps_the_portals_files_in_a_folder_of_the_bucket(bucket, settings):
    options = {**settings.STORAGES["default"]["OPTIONS"], "location": "city-portal"}
    storage = PrivateS3Storage(**options)
    name = storage.save("attachments/3/0a1b2c", ContentFile(b"%PDF-1.7 a file"))
    assert name == "attachments/3/0a1b2c"
    assert bucket.keys() == {"city-portal/attachments/3/0a1b2c"}
    with storage.open(name) as stored:
        assert stored.read() == b"%PDF-1.7 a file"
    later = timezone.now() + timedelta(minutes=5)
    assert list(storage.files_modified_before("attachments", later)) == [name]
    assert list(storage.files_modified_before("attachments", timezone.now() - timedelta(minutes=5))) == []
    assert list(storage.files_modified_before("permits", later)) == []
    # A name already taken gets another: an upload never replaces a file.
    second = storage.save("attachments/3/0a1b2c", ContentFile(b"%PDF-1.7 another"))
    assert second != name and bucket.read(f"city-portal/{name}") == b"%PDF-1.7 a file"


@pytest.fixture
def store_down(bucket, settings):
    """From now on the portal reaches the store at an address where nothing answers."""
    from tests.s3_server import _free_port

    def _down():
        options = {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": f"http://127.0.0.1:{_free_port()}"}
        settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": options}}
    return _down


STORE_DOWN = ("The store that keeps files did not answer. Nothing was saved from this request, and nothing saved "
              "before was lost. Try again in a few minutes.")


def test_a_store_that_does_not_answer_gets_a_page_that_says_so_and_nothing_half_kept(client, bucket, store_down,
                                                                                      restaurant, citizen, caplog):
    store_down()
    application, response = uploaded_through_the_form(client, restaurant, citizen, FORM)
    assert (response.status_code, response["Retry-After"]) == (503, "120")
    page = html.unescape(response.content.decode())
    assert "Files cannot be stored or opened just now" in page and STORE_DOWN in page
    assert not application.attachments.exists()
    assert [r.levelname for r in caplog.records if r.name == "portal.storage_errors"] == ["ERROR"]
    bucket.assert_nothing_on_local_disk()


def test_downloads_while_the_store_is_down_answer_503_on_the_pages_and_in_the_api(client, bucket, store_down,
                                                                                   restaurant, citizen, officers):
    application, _response = uploaded_through_the_form(client, restaurant, citizen, FORM)
    workflow.application_submit(application_id=application.pk, actor=citizen)
    attachment = application.attachments.get()
    review = application.reviews.get(department__code="health")
    _token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="health system",
                                     department=Department.objects.get(code="health"))
    store_down()
    response = client.get(reverse("approvals:attachment", args=[application.pk, attachment.pk]))
    assert response.status_code == 503
    assert STORE_DOWN in html.unescape(response.content.decode())
    response = client.get(f"/api/v1/reviews/{review.pk}/attachments/{attachment.pk}/",
                          HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert (response.status_code, response["Retry-After"]) == (503, "120")
    assert response.json() == {"error": {"code": "storage_unavailable", "fields": {}, "message": (
        "Files cannot be stored or opened just now. Nothing was saved from this request; try again in a few minutes.")}}
