"""Files no row names (the upload of a transaction that rolled back, a file a crash left behind)
hold citizens' data: the nightly sweep deletes them once they are older than the grace period,
and nothing else."""

import os
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction

from approvals import opinions, sharing, workflow
from approvals.tests.hostile_files import document
from portal.media_sweep import media_sweep
from portal.tasks import media_sweep_task
from tests.factories import VALID_ANSWERS

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def put(media: Path, name: str, *, age: float) -> Path:
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 someone's file")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def files(media: Path) -> set[str]:
    return {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}


def test_a_file_of_a_rolled_back_upload_is_swept_once_it_is_old(media, restaurant, citizen, settings):
    application = workflow.application_start(applicant=citizen, service=restaurant)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    kept = workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                       uploaded=ContentFile(document(), name="plan.pdf"))
    before = files(media)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                    uploaded=ContentFile(document(), name="second.pdf"))
        raise RuntimeError("the request failed after the file was written")
    orphans = files(media) - before
    assert len(orphans) == 2  # the upload and its disarmed copy, named by no row

    assert media_sweep() == []  # younger than the grace period: a transaction may still be open
    old = time.time() - settings.MEDIA_SWEEP_GRACE_HOURS * 3600 - 60
    for name in files(media):
        os.utime(media / name, (old, old))
    assert sorted(media_sweep()) == sorted(orphans)
    assert files(media) == before
    assert {kept.file.name, kept.disarmed_file.name} == before


def test_only_the_upload_folders_are_swept_and_a_dry_run_deletes_nothing(media):
    stray = {put(media, f"{folder}/{name}", age=3 * DAY).relative_to(media).as_posix()
             for folder, name in (("attachments/7", "a1b2"), ("consents", "c3d4"), ("opinions/3", "e5f6"),
                                  ("permits", "P-2026-1.pdf"))}
    put(media, "somewhere-else/keep.txt", age=3 * DAY)
    put(media, "attachments/7/young", age=60)
    assert sorted(media_sweep(dry_run=True)) == sorted(stray)
    assert len(files(media)) == 6
    call_command("sweep_media")
    assert files(media) == {"somewhere-else/keep.txt", "attachments/7/young"}
    assert media_sweep_task() == 0


def test_no_media_folder_is_nothing_to_sweep(media):
    assert media_sweep() == []


def test_the_files_of_an_opinion_are_kept_and_an_opinions_orphan_is_swept(media, submit, officers, settings):
    application = submit()
    health = application.reviews.get(department__code="health")
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=officers["tax"].memberships.get().department_id, days=7,
                                      reason="The name?")
    opinion = opinions.opinion_give(share_id=share.pk, actor=officers["tax"], verdict="agree",
                                    files=[ContentFile(document(), name="extract.pdf")])
    kept = opinion.attachments.get()
    orphan = put(media, f"opinions/{share.pk}/0123abcd", age=3 * DAY).relative_to(media).as_posix()
    old = time.time() - settings.MEDIA_SWEEP_GRACE_HOURS * 3600 - 60
    for name in files(media):
        os.utime(media / name, (old, old))
    assert media_sweep() == [orphan]
    assert {kept.file.name, kept.disarmed_file.name} <= files(media)
