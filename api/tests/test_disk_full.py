"""A full media disk is the citizen's 503 that says files cannot be stored just now, never a 500;
nothing of the request is kept, and the same request works once there is space again. On a real
full file system: a small tmpfs (needs root, as CI runs)."""

import os
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import IdempotencyRecord
from approvals.models import Application
from tests.factories import PDF_BYTES
from tests.services import require_tool

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_disk(tmp_path, settings):
    require_tool(os.geteuid() == 0, "mounting a tmpfs needs root")
    media = tmp_path / "media"
    media.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(media)], check=True)
    settings.MEDIA_ROOT = str(media)
    filler = media / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    yield filler
    subprocess.run(["umount", "-l", str(media)], check=True)


def test_an_upload_to_a_full_disk_is_a_503_that_says_so_and_works_once_there_is_space(citizen_api, restaurant,
                                                                                     full_disk):
    created = citizen_api.post("/api/v1/applications/", {"service": "open-a-restaurant"}).json()

    def upload():
        return citizen_api.post(f"/api/v1/applications/{created['id']}/attachments/", {
            "field_key": "floor_plan", "file": SimpleUploadedFile("plan.pdf", PDF_BYTES, "application/pdf")},
            fmt="multipart", key="upload-1")

    refused = upload()
    assert (refused.status_code, refused["Retry-After"]) == (503, "120")
    assert refused.json() == {"error": {"code": "storage_unavailable", "fields": {}, "message": (
        "Files cannot be stored or opened just now. Nothing was saved from this request; try again in a few minutes.")}}
    assert Application.objects.get().attachments.count() == 0
    assert IdempotencyRecord.objects.filter(key="upload-1").count() == 0
    full_disk.unlink()
    assert upload().status_code == 201
    assert Application.objects.get().attachments.count() == 1
