"""The 500 page renders with the database down: the test has no database access at all, so any
query (a context processor, the signed-in user) fails it."""

from django.test import RequestFactory
from django.utils import translation

from portal import errors


def test_server_error_page_needs_no_database():
    """The 500 page renders with the database down: no query, no context processor."""
    request = RequestFactory().get("/anything/", HTTP_REFERER="http://testserver/")

    class Unreachable:
        def __getattr__(self, name):
            raise AssertionError("the 500 page touched the user (a database query)")

    request.user = Unreachable()
    with translation.override("zh-hans"):
        response = errors.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>抱歉，我们这边出了问题</h1>" in html
    assert 'href="/contact/"' in html
