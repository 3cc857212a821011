"""Files given with an opinion (a signed statement, a marked-up plan): checked as a citizen's
upload is, stored with the opinion and as final as it, or nothing at all; shown and served (as
their disarmed copy) to every member of the asking department and to the department asked while
the share lasts, each download on record; nobody else. Every member of the asking department
sees the opinions on its review page."""

import hashlib
import html
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from approvals import disarm, opinions, sharing
from approvals.models import ApplicationShare, Notification, NotificationKind, OpinionAttachment, ShareOpinion
from approvals.selectors import who_viewed_page
from approvals.tests.hostile_files import ACTIVE_PDFS, image_bytes
from audit.models import Action, AuditEvent
from core.errors import ValidationFailed
from departments.models import Department
from tests.factories import PDF_BYTES, UserFactory, officer

from .share_fixtures import *  # noqa: F403 -- application, health, building

pytestmark = pytest.mark.django_db

PNG = image_bytes("PNG")
ELEVEN_MB = b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)
NOT_ACCEPTED = "Upload the file as a PDF, PNG or JPEG file."
PDF_ACTIVE = ("The PDF contains active content (scripts, automatic actions, embedded files, multimedia or XFA forms), "
              "which we do not accept. Please print it to a new PDF and upload that file.")
NOT_STORED = "Your files could not be stored, so your opinion was not given. Please try again."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def share(media, health, officers, building):
    return sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                     department_id=building["department"].pk, days=7, reason="Is the layout safe?")


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def give(share, who, files, **fields):
    return opinions.opinion_give(share_id=share.pk, actor=who, files=files,
                                 **{"verdict": "agree_with_conditions", "conditions": "Fire exits marked", **fields})


def stored_under(media: Path, folder: str) -> list[str]:
    root = media / folder
    return sorted(p.relative_to(media).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def nothing_written(media):
    assert not ShareOpinion.objects.exists()
    assert not OpinionAttachment.objects.exists()
    assert stored_under(media, "opinions") == []
    assert not AuditEvent.objects.filter(action=Action.OPINION_GIVEN).exists()
    assert not Notification.objects.filter(kind=NotificationKind.OPINION_GIVEN).exists()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Giving files with the opinion -----------------------------------------------------------------


def test_files_are_stored_with_the_opinion_disarmed_final_and_on_record(share, building, media):
    previous = os.umask(0o022)  # a common default: without the settings, files would be 0644, folders 0755
    try:
        opinion = give(share, building["officer"], [upload(PDF_BYTES, "signed statement.pdf"),
                                                     upload(PNG, "../../marked-up plan.png")])
    finally:
        os.umask(previous)
    statement, plan = opinion.attachments.order_by("pk")
    assert [(f.original_name, f.content_type, f.size, f.sha256) for f in (statement, plan)] == [
        ("signed statement.pdf", "application/pdf", len(PDF_BYTES), hashlib.sha256(PDF_BYTES).hexdigest()),
        ("marked-up plan.png", "image/png", len(PNG), hashlib.sha256(PNG).hexdigest())]
    assert plan.disarmed_file.read() == disarm.disarmed(PNG, "image/png")
    assert plan.disarmed_sha256 == hashlib.sha256(disarm.disarmed(PNG, "image/png")).hexdigest()
    assert (media / plan.file.name).read_bytes() == PNG  # the upload as it came, for the record
    assert plan.file.name.startswith(f"opinions/{share.pk}/") and plan.uploaded_at == opinion.given_at
    assert len(stored_under(media, "opinions")) == 4
    for stored in (media / f.name for row in (statement, plan) for f in (row.file, row.disarmed_file)):
        assert stat.S_IMODE(stored.stat().st_mode) == 0o640
        assert stat.S_IMODE(stored.parent.stat().st_mode) == stat.S_IMODE(stored.parent.parent.stat().st_mode) == 0o750
    event = AuditEvent.objects.get(action=Action.OPINION_GIVEN)
    # Named by id, type, size and hash, never by the name they were uploaded with.
    assert event.details["files"] == [
        {"id": statement.pk, "content_type": "application/pdf", "size": len(PDF_BYTES),
         "sha256": hashlib.sha256(PDF_BYTES).hexdigest()},
        {"id": plan.pk, "content_type": "image/png", "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}]


@pytest.mark.parametrize(("files", "errors"), [
    ([upload(b"Minutes of the site visit.\n", "minutes.txt")], ["“minutes.txt”: " + NOT_ACCEPTED]),
    ([upload(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "plan.svg")],
     ["“plan.svg”: " + NOT_ACCEPTED + " SVG images are not accepted, because they can contain scripts."]),
    ([upload(PDF_BYTES, "fine.pdf"), upload(ELEVEN_MB, "huge.pdf")],
     ["“huge.pdf”: Upload the file as a file of 10 MB or less."]),
    ([upload(b"", "empty.pdf")], ["“empty.pdf”: The file you chose is empty. Upload the file again."]),
    ([upload(ACTIVE_PDFS["open action runs JavaScript"](), "statement.pdf"), upload(PNG, "plan.png")],
     ["“statement.pdf”: " + PDF_ACTIVE]),
    ([upload(PDF_BYTES, f"page {n}.pdf") for n in range(6)], ["Attach at most 5 files to an opinion."]),
], ids=["text", "svg", "too big", "empty", "script", "too many"])
def test_a_refused_file_refuses_the_opinion_and_nothing_is_written(share, building, media, files, errors):
    with pytest.raises(ValidationFailed) as refused:
        give(share, building["officer"], files)
    assert refused.value.errors == {"files": errors}
    nothing_written(media)


def test_the_text_and_the_files_are_told_at_once(share, building, media):
    with pytest.raises(ValidationFailed) as refused:
        give(share, building["officer"], [upload(b"notes", "notes.txt")], conditions=" ")
    assert refused.value.errors == {"conditions": ["Say on which conditions your department agrees."],
                                    "files": ["“notes.txt”: " + NOT_ACCEPTED]}
    nothing_written(media)


def test_a_file_failing_to_be_stored_leaves_no_opinion_and_no_file(share, building, media, monkeypatch):
    real_save, saved = FileSystemStorage._save, []

    def save(storage, name, content):
        if len(saved) == 3:  # the second file's upload, after the first file and its copy
            raise OSError(28, "No space left on device")
        saved.append(real_save(storage, name, content))
        return saved[-1]

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    with pytest.raises(ValidationFailed) as refused:
        give(share, building["officer"], [upload(PDF_BYTES, "statement.pdf"), upload(PNG, "plan.png")])
    assert refused.value.errors == {"files": [NOT_STORED]}
    assert len(saved) == 3
    nothing_written(media)


def test_a_failure_after_the_files_are_stored_takes_them_away_too(share, building, media, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr(opinions, "notify", broken)
    with pytest.raises(RuntimeError):
        give(share, building["officer"], [upload(PDF_BYTES, "statement.pdf")])
    nothing_written(media)


def test_the_opinion_page_takes_files_and_says_what_was_refused(client, share, building, health, media):
    client.force_login(building["officer"])
    page = client.get(reverse("departments:opinion", args=[share.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert ('<input type="file" name="opinion-files" class="form-control" accept="application/pdf,image/png,image/jpeg" '
            'multiple id="id_opinion-files" aria-describedby="id_opinion-files_helptext">') in page
    url = reverse("departments:opinion_give", args=[share.pk])
    refused = client.post(url, {"opinion-verdict": "agree", "opinion-files": [upload(b"notes", "notes.txt"),
                                                                             upload(PDF_BYTES, "ok.pdf")]})
    assert refused.status_code == 400
    text = html.unescape(refused.content.decode())
    assert "“notes.txt”: " + NOT_ACCEPTED in text
    assert ("Your opinion was not given and none of the files you chose was kept. Correct what is marked, then "
            "choose your files again.") in text
    nothing_written(media)

    given = client.post(url, {"opinion-verdict": "agree", "opinion-files": [upload(PDF_BYTES, "statement.pdf")]})
    assert (given.status_code, given["Location"]) == (302, reverse("departments:opinion", args=[share.pk]))
    item = OpinionAttachment.objects.get()
    page = client.get(reverse("departments:opinion", args=[share.pk])).content.decode()
    assert f'<a href="{reverse("departments:opinion_file", args=[share.pk, item.pk])}">statement.pdf</a>' in page


def test_the_opinion_form_takes_a_request_as_large_as_a_citizen_form(client, share, building, settings):
    """An opinion with its files is an upload page: its body may be UPLOAD_MAX_REQUEST_BYTES,
    not the 5 MB of other pages (and no more)."""
    client.force_login(building["officer"])
    url = reverse("departments:opinion_give", args=[share.pk])
    over = client.post(url, {"opinion-verdict": "agree", "opinion-files": [upload(ELEVEN_MB, "huge.pdf")]})
    assert over.status_code == 400  # read, then refused by the engine: 11 MB is over a file's 10 MB
    assert "“huge.pdf”: Upload the file as a file of 10 MB or less." in html.unescape(over.content.decode())
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024 * 1024
    assert client.post(url, {"opinion-verdict": "agree", "opinion-files": [upload(ELEVEN_MB, "huge.pdf")]}
                       ).status_code == 413
    assert not ShareOpinion.objects.exists()


# --- Who sees the opinion and downloads its files --------------------------------------------------


@pytest.fixture
def answered(share, building):
    give(share, building["supervisor"], [upload(PDF_BYTES, "statement.pdf")])
    return share, OpinionAttachment.objects.get()


def download(client, user, share, item):
    client.force_login(user)
    return client.get(reverse("departments:opinion_file", args=[share.pk, item.pk]))


def test_every_member_of_the_asking_department_and_the_department_asked_download_it_each_on_record(
        client, answered, officers, building, citizen):
    share, item = answered
    readers = [(officers["health"], "health"), (officers["health_supervisor"], "health"),
               (building["officer"], "building")]
    copy = item.disarmed_file.read()
    assert copy == disarm.disarmed(PDF_BYTES, "application/pdf")
    for user, _code in readers:
        response = download(client, user, share, item)
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'
        assert body(response) == copy
    events = AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED).order_by("pk")
    assert [(e.actor, e.object_type, e.object_id, e.purpose, e.department_code, e.application_id, e.subject_id)
            for e in events] == [
        (user, "opinionattachment", str(item.pk), "opinion_file", code, share.application_id, citizen.pk)
        for user, code in readers]


def test_a_third_department_and_the_citizen_get_a_404_on_record(client, answered, officers, citizen):
    share, item = answered
    for outsider, object_type in ((officers["tax"], "opinionattachment"), (officers["fire_supervisor"],
                                                                           "opinionattachment"),
                                  (citizen, "url")):
        assert download(client, outsider, share, item).status_code == 404
        denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=outsider).get()
        assert (denied.object_type, denied.details["path"]) == (
            object_type, reverse("departments:opinion_file", args=[share.pk, item.pk]))
    assert not AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED).exists()


def test_the_file_must_be_the_shares_and_the_department_asked_loses_it_with_the_share(client, answered, officers,
                                                                                      building, health):
    share, item = answered
    other = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=officers["tax"].memberships.get().department_id, days=7,
                                      reason="And the name?")
    client.force_login(officers["health"])
    assert client.get(reverse("departments:opinion_file", args=[other.pk, item.pk])).status_code == 404
    ApplicationShare.objects.filter(pk=share.pk).update(created_at=timezone.now() - timedelta(days=8),
                                                       expires_at=timezone.now() - timedelta(seconds=1))
    assert download(client, building["officer"], share, item).status_code == 404
    assert download(client, officers["health"], share, item).status_code == 200  # on its review's record


def test_a_plain_officer_of_the_asking_department_sees_the_opinions_on_the_review(client, answered, officers,
                                                                                  health, building):
    share, item = answered
    waiting = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                        department_id=officers["fire"].memberships.get().department_id, days=7,
                                        reason="Fire exits?")
    client.force_login(officers["health"])
    page = client.get(reverse("departments:review", args=[health.pk])).content.decode()
    assert '<h2 id="sharing-title" class="h5">Opinions of other departments</h2>' in page
    assert "Building Bureau" in page and "Agree with conditions" in page and "Fire exits marked" in page
    assert building["supervisor"].get_full_name() in page
    assert f'<a href="{reverse("departments:opinion_file", args=[share.pk, item.pk])}">statement.pdf</a>' in page
    assert "waiting for the opinion" in page  # the share with fire
    # Sharing and revoking stay the supervisor's.
    assert reverse("departments:share", args=[health.pk]) not in page
    assert reverse("departments:share_revoke", args=[waiting.pk]) not in page
    client.force_login(officers["health_supervisor"])
    page = client.get(reverse("departments:review", args=[health.pk])).content.decode()
    assert reverse("departments:share_revoke", args=[waiting.pk]) in page
    assert "Ask another department for an opinion" in page


def test_the_review_page_with_opinions_and_files_keeps_its_query_count(client, application, health, officers, media):
    """One answered share with a file costs the same statements as three with two files each."""
    client.force_login(officers["health"])
    asked = iter(Department.objects.exclude(code="health").order_by("code"))

    def answered_share(files: int):
        department = next(asked)
        share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                          department_id=department.pk, days=7, reason="Your view?")
        give(share, officer(department, email=f"giver.{department.code}@example.gov"),
             [upload(PDF_BYTES, f"statement {n}.pdf") for n in range(files)])

    def count():
        url = reverse("departments:review", args=[health.pk])
        client.get(url)  # the first open of a session also writes it
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return page, queries

    answered_share(1)
    page, one = count()
    assert page.count("statement 0.pdf") == 1
    answered_share(2)
    answered_share(2)
    page, three = count()
    assert page.count("statement 1.pdf") == 2
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_the_department_asked_sees_its_own_opinion_and_files_on_the_opinion_page(client, answered, building):
    share, item = answered
    client.force_login(building["officer"])
    page = client.get(reverse("departments:opinion", args=[share.pk])).content.decode()
    assert "Agree with conditions" in page and "Fire exits marked" in page
    assert f'<a href="{reverse("departments:opinion_file", args=[share.pk, item.pk])}">statement.pdf</a>' in page
    assert 'name="opinion-verdict"' not in page


def test_the_citizen_is_told_of_each_download_in_words_that_fit(client, answered, officers, citizen):
    share, item = answered
    download(client, officers["health"], share, item)
    access = who_viewed_page(citizen).object_list[0]  # the newest
    assert (access.action, access.purpose, access.department, access.reference) == (
        "Downloaded a file a department gave with its opinion on your application",
        "Reading a department's opinion on the application", "Health Bureau", share.application.reference)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_an_auditor_or_administrator_retrieves_the_upload_as_it_came_and_nobody_else(client, answered, officers,
                                                                                    citizen, role):
    share, item = answered
    url = reverse("departments:opinion_file_original", args=[item.pk])
    for user in (officers["health"], building_officer(share), citizen):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="opinionattachment").count() == 3
    staff = UserFactory(email=f"{role}@example.gov", role=role)
    client.force_login(staff)
    response = client.get(url)
    assert (response.status_code, response["Content-Type"]) == (200, "application/octet-stream")
    assert body(response) == PDF_BYTES
    event = AuditEvent.objects.get(action=Action.ATTACHMENT_VIEWED)
    assert (event.actor, event.object_type, event.purpose, event.details, event.application_id) == (
        staff, "opinionattachment", "audit", {"copy": "original"}, share.application_id)


def building_officer(share):
    return share.department.memberships.filter(role="officer").get().user
