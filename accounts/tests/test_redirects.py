"""Which ``next`` addresses the sign-in pages follow (accounts.redirects.safe_next)."""

import pytest
from django.test import RequestFactory

from accounts.redirects import safe_next


@pytest.mark.parametrize(("given", "followed"), [
    ("/applications/", "/applications/"),
    ("http://testserver/applications/", "http://testserver/applications/"),
    ("https://evil.example/", ""),
    ("//evil.example/", ""),
    # A bare word would be looked up by redirect() as a view's name (a 500 for "%00"): never followed.
    ("%00", ""),
    ("landing", ""),
    ("javascript:alert(1)", ""),
    ("", ""),
    (None, ""),
])
def test_only_an_address_on_this_site_is_followed(given, followed):
    assert safe_next(RequestFactory().get("/"), given) == followed
