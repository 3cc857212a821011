"""Bodies larger than their route accepts are refused from their Content-Length, before a byte of
them is read: the citizen's form pages, the API's attachment upload and the public permit-file
check (portal.request_limits). A body without a Content-Length is not read at all, and one that
streams in more than it declared is stopped at the limit while it streams."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIRequest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import resolve, reverse

from api.models import TokenKind
from api.services import api_token_create
from approvals import workflow
from approvals.answers import section_of
from approvals.models import Attachment
from devtools.samples import blank_pdf
from portal.request_limits import FORM_OVERHEAD_BYTES, RequestSizeMiddleware

pytestmark = pytest.mark.django_db

LIMIT = 300_000
PERMIT_LIMIT = 100_000
WITHOUT_LIMITS = "portal.request_limits.RequestSizeMiddleware"


class Tracked(io.BytesIO):
    """A request body that knows how much of it was read."""


@pytest.fixture(autouse=True)
def limits(settings, tmp_path):
    settings.UPLOAD_MAX_REQUEST_BYTES = LIMIT
    settings.PERMIT_VERIFY_UPLOAD_MAX_BYTES = PERMIT_LIMIT
    settings.MEDIA_ROOT = str(tmp_path)


def multipart(**fields) -> bytes:
    return encode_multipart(BOUNDARY, fields)


def pdf_of(size: int) -> SimpleUploadedFile:
    """A real PDF padded with a comment to ``size`` bytes."""
    pdf = blank_pdf()
    return SimpleUploadedFile("plan.pdf", pdf + b"%" + b"0" * (size - len(pdf) - 2) + b"\n", "application/pdf")


def send(client, path: str, body: bytes, *, declared: int | None = None, **extra):
    """POST ``body``, declaring ``declared`` bytes (None: no Content-Length, sent chunked); returns
    the response and how many bytes of the body the portal read."""
    stream = Tracked(body)
    environ = {"wsgi.input": stream, "CONTENT_TYPE": MULTIPART_CONTENT, **extra}
    if declared is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(declared)
    response = client.generic("POST", path, b"", **environ)
    return response, stream.tell()


@pytest.fixture
def draft(client, restaurant, citizen):
    client.force_login(citizen)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    return application, reverse("approvals:edit", args=[application.pk, section_of(application.schema, "floor_plan")])


def test_before_the_limit_the_whole_body_was_read_then_refused(client, draft, settings):
    """The attack: without the check a body of any size is read in full (to a temporary file)
    before the form finds the file too large."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != WITHOUT_LIMITS]
    _application, url = draft
    body = multipart(floor_plan=pdf_of(1_200_000))
    response, read = send(client, url, body, declared=len(body))
    assert read == len(body)
    assert response.status_code == 400
    assert "Upload the floor plan as a file of 1 MB or less." in response.content.decode()


def test_a_form_page_too_large_is_refused_before_it_is_read(client, draft):
    application, url = draft
    body = multipart(floor_plan=pdf_of(LIMIT + 10_000))
    response, read = send(client, url, body, declared=len(body))
    assert (response.status_code, read) == (413, 0)
    html = response.content.decode()
    assert "<h1>What you sent is too large</h1>" in html
    assert ("The files you chose come to more than 293.0\xa0KB, the most we accept at once. Attach them one or two "
            "at a time, or make them smaller (for example, scan at a lower resolution).") in html
    assert "Nothing you sent on that page was saved." in html
    assert f'<a href="{url}">Go back to the previous page</a>' in html  # the form, to choose again
    assert not Attachment.objects.filter(application=application).exists()


def test_a_form_page_within_the_limit_is_read(client, draft):
    application, url = draft
    body = multipart(floor_plan=pdf_of(LIMIT - 10_000))
    response, read = send(client, url, body, declared=len(body))
    assert read == len(body) and response.status_code == 302
    assert Attachment.objects.filter(application=application).count() == 1


def test_a_correction_too_large_is_refused_before_it_is_read(client, draft):
    application, _url = draft
    body = multipart(floor_plan=pdf_of(1000))
    response, read = send(client, reverse("approvals:correct", args=[application.pk]), body, declared=LIMIT + 1)
    assert (response.status_code, read) == (413, 0)


def test_a_body_sent_without_its_length_is_never_read(client, draft):
    application, url = draft
    body = multipart(floor_plan=pdf_of(LIMIT * 3))
    response, read = send(client, url, body, declared=None)
    assert read == 0 and response.status_code in (200, 302)  # a page with nothing chosen
    assert not Attachment.objects.filter(application=application).exists()


def test_the_api_upload_too_large_is_refused_before_it_is_read(client, restaurant, citizen):
    _token, clear = api_token_create(kind=TokenKind.CITIZEN, name="phone", user=citizen)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    body = multipart(field_key="floor_plan", file=pdf_of(1000))
    response, read = send(client, f"/api/v1/applications/{application.pk}/attachments/", body, declared=LIMIT + 1,
                          HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert (response.status_code, read) == (413, 0)
    assert response.json() == {"error": {"code": "too_large", "fields": {},
                                         "message": "The request body is too large: at most 293.0\xa0KB is accepted here."}}


def test_the_api_upload_is_held_to_the_upload_limit_not_the_api_s(client, restaurant, citizen, settings):
    settings.API_MAX_BODY_BYTES = 5_000  # for JSON; a file may be as large as an upload page's
    _token, clear = api_token_create(kind=TokenKind.CITIZEN, name="phone", user=citizen)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    body = multipart(field_key="floor_plan", file=pdf_of(50_000))
    response, _read = send(client, f"/api/v1/applications/{application.pk}/attachments/", body, declared=len(body),
                           HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 201, response.content


def test_the_public_permit_check_refuses_a_large_file_before_it_is_read(client, settings):
    middleware = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = [m for m in middleware if m != WITHOUT_LIMITS]
    body = multipart(file=pdf_of(PERMIT_LIMIT + FORM_OVERHEAD_BYTES + 1000))
    _response, read = send(client, reverse("permits:verify_file"), body, declared=len(body))
    assert read == len(body)  # the attack: anyone, signed in or not, had the whole body read
    settings.MIDDLEWARE = middleware
    response, read = send(Client(), reverse("permits:verify_file"), body, declared=len(body))
    assert (response.status_code, read) == (413, 0)
    assert "The file is larger than 97.7\xa0KB: a permit is much smaller." in response.content.decode()


def test_other_pages_accept_no_more_than_django_s_own_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = multipart(email="a@example.org", password="x" * 20_000)
    response, read = send(client, reverse("accounts:login"), body, declared=len(body))
    assert (response.status_code, read) == (413, 0)


def test_a_body_longer_than_it_said_is_stopped_while_it_streams():
    """Under ASGI the body Django parses is what arrived, whatever Content-Length said: the
    upload handler counts the file bytes as they stream in and stops at the route's limit."""
    body = multipart(file=pdf_of(2_000_000))
    stream = Tracked(body)
    scope = {"type": "http", "method": "POST", "path": "/permits/verify-file/", "query_string": b"",
             "headers": [(b"content-type", MULTIPART_CONTENT.encode()), (b"content-length", b"1000")]}
    request = ASGIRequest(scope, stream)
    request.resolver_match = resolve("/permits/verify-file/")
    request.user = AnonymousUser()
    response = RequestSizeMiddleware(lambda request: None).process_view(request, None, (), {})
    assert response.status_code == 413
    assert stream.tell() <= PERMIT_LIMIT + FORM_OVERHEAD_BYTES + 2 * 64 * 1024  # a chunk or two past the limit
