"""Friendly 404, 403, 429, 503 and 500 pages: in the site's layout, in both languages, with a way back
and a contact link, never Django's debug page."""

import pytest

from tests.client import PortalClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DEBUG_MARKERS = ("Traceback", "Using the URLconf", "SECRET-TRACEBACK-DETAIL", "staff only", "Django tried these URL",
                 "You're seeing this error because you have")

PAGES = {
    # status: (url, English heading, Chinese heading)
    404: ("/no-such-page/", "Page not found", "找不到该页面"),
    403: ("/test-errors/403/", "You cannot open this page", "您无权打开此页面"),
    429: ("/test-errors/429/", "Too many requests", "请求过于频繁"),
    500: ("/test-errors/500/", "Sorry, something went wrong on our side", "抱歉，我们这边出了问题"),
}


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "portal.tests.error_urls"


def fetch(url, language, **headers):
    client = PortalClient(raise_request_exception=False)
    client.cookies["django_language"] = language
    return client.get(url, **headers)


@pytest.mark.parametrize("status", sorted(PAGES))
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_friendly_error_page(status, language, error_urls):
    url, heading_en, heading_zh = PAGES[status]
    response = fetch(url, language, HTTP_REFERER="http://testserver/search/?q=food")
    html = response.content.decode()
    assert response.status_code == status
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading_en if language == 'en' else heading_zh}</h1>" in html
    # The site's layout: header, footer; a way back and a contact link.
    assert 'class="portal-header' in html and "<footer" in html
    assert 'href="/" class="btn btn-primary"' in html
    assert 'href="http://testserver/search/?q=food"' in html
    assert 'href="/contact/"' in html
    for marker in DEBUG_MARKERS:
        assert marker not in html


def test_the_file_store_not_answering_is_a_503_page_never_a_500(error_urls, caplog):
    response = fetch("/test-errors/503/", "en")
    html = response.content.decode()
    assert (response.status_code, response["Retry-After"]) == (503, "120")
    assert "<h1>Files cannot be stored or opened just now</h1>" in html
    assert 'class="portal-header' in html and 'href="/contact/"' in html
    assert "objectstore" not in html
    [record] = [r for r in caplog.records if r.name == "portal.storage_errors"]
    assert record.levelname == "ERROR" and "http://objectstore:9000/portal/attachments/1/x" in record.getMessage()


def test_previous_page_link_only_for_this_site(error_urls):
    html = fetch("/no-such-page/", "en", HTTP_REFERER="https://evil.example/phish").content.decode()
    assert "evil.example" not in html
    assert "Go back to the previous page" not in html
    html = fetch("/no-such-page/", "en", HTTP_REFERER="http://testserver/search/").content.decode()
    assert '<a href="http://testserver/search/">Go back to the previous page</a>' in html


def test_permit_verification_limit_uses_the_friendly_429(client, settings, db):
    settings.PERMIT_VERIFY_RATE = "1/m"
    client.get("/permits/verify/PRM-NOPE/")
    response = client.get("/permits/verify/PRM-NOPE/")
    html = response.content.decode()
    assert response.status_code == 429
    assert "<h1>Too many checks</h1>" in html
    assert "You have checked many permits in a short time. Wait a minute, then try again." in html
    assert 'href="/contact/"' in html and 'href="/" class="btn btn-primary"' in html


def test_too_large_page_in_the_site_layout(error_urls, settings):
    """The 413 page (portal.request_limits) has the same layout, and its way back is the form."""
    response = fetch("/test-errors/413/?step=3", "en")
    html = response.content.decode()
    assert response.status_code == 413
    assert "<h1>What you sent is too large</h1>" in html
    assert "The files you chose come to more than 5.0\xa0MB, the most we accept at once." in html
    assert 'class="portal-header' in html and "<footer" in html and 'href="/contact/"' in html
    assert '<a href="/test-errors/413/?step=3">Go back to the previous page</a>' in html
    for marker in DEBUG_MARKERS:
        assert marker not in html


def test_static_files_are_served_with_debug_off(client, settings):
    """The development profile (and `make run`'s demo) runs with DEBUG off: WhiteNoise serves the
    static files straight from the source folders, no collectstatic needed."""
    assert settings.DEBUG is False
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert b".skip-link" in b"".join(response.streaming_content)
    assert client.get("/static/vendor/bootstrap/bootstrap.bundle.min.js").status_code == 200


def test_sign_in_lockout_is_the_same_429_page(client, settings):
    """django-axes' lockout uses the portal's 429 layout: the same ways on and contact link."""

    UserFactory(email="c@example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "c@example.org", "password": "wrong-password"})
    html = response.content.decode()
    assert response.status_code == 429
    assert "<h1>Sign-in is paused for this account</h1>" in html
    assert 'href="/contact/"' in html and 'href="/" class="btn btn-primary"' in html
    assert 'href="/accounts/password-reset/"' in html or "Reset your password" in html
