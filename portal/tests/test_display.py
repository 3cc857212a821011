"""The header's larger-text switch and language switch, without a browser."""

import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_visitor_larger_text_is_a_cookie(client):
    response = client.post("/text-size/", {"large_text": "1", "next": "/search/?q=food"})
    assert (response.status_code, response.url) == (302, "/search/?q=food")
    assert response.cookies["portal_large_text"].value == "1"
    assert response.cookies["portal_large_text"]["httponly"] is True
    assert '<html lang="en" class="text-large">' in client.get("/").content.decode()
    response = client.post("/text-size/", {"large_text": "0", "next": "/"})
    assert response.cookies["portal_large_text"].value == ""
    assert '<html lang="en">' in client.get("/").content.decode()


def test_signed_in_larger_text_is_on_the_account(client):
    user = UserFactory(email="reader@example.org")
    client.force_login(user)
    response = client.post("/text-size/", {"large_text": "1", "next": "/"})
    assert "portal_large_text" not in response.cookies
    assert User.objects.get(pk=user.pk).large_text is True
    html = client.get("/").content.decode()
    assert '<html lang="en" class="text-large">' in html
    assert 'aria-pressed="true">Larger text</button>' in html
    client.post("/text-size/", {"large_text": "0", "next": "/"})
    assert User.objects.get(pk=user.pk).large_text is False


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_switch_never_redirects_off_site(client, target):
    response = client.post("/text-size/", {"large_text": "1", "next": target})
    assert (response.status_code, response.url) == (302, "/")


def test_switch_is_post_only(client):
    assert client.get("/text-size/").status_code == 405


def test_header_menu_button_and_language_switch(client):
    html = client.get("/").content.decode()
    assert ('<button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#portal-nav"\n'
            '            aria-controls="portal-nav" aria-expanded="false">Menu</button>') in html
    assert '<div class="collapse navbar-collapse" id="portal-nav">' in html
    assert 'data-submit-on-change' in html
    assert '<script src="/static/js/portal.js" defer></script>' in html
    assert '<noscript><link rel="stylesheet" href="/static/css/nojs.css"></noscript>' in html
    assert "<script>" not in html  # no inline script: the CSP allows none
