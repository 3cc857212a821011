"""The account pages in real Chromium, checked by axe-core: sign-in with its errors, registration,
the lockout page, password reset and the profile."""

import json

import pytest
from django.test import override_settings

from tests.factories import PASSWORD, UserFactory

from .conftest import AXE

pytestmark = pytest.mark.django_db(transaction=True)


def main_violations(tab) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations inside <main>, the part these pages own."""
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate(
        "async () => await axe.run({include: ['main']}, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


def assert_main_accessible(tab) -> None:
    violations = main_violations(tab)
    assert violations == [], f"axe-core on {tab.url}:\n" + json.dumps(violations, indent=2, ensure_ascii=False)


def test_sign_in_register_reset_pages(page):
    UserFactory(email="waiting@example.org", email_verified=False)
    page.goto("/accounts/login/")
    assert_main_accessible(page)
    page.get_by_label("Email address").fill("waiting@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("link", name="Send me a new link.").count() == 1
    assert_main_accessible(page)

    page.goto("/accounts/register/")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Create the account").click()
    assert page.locator(".error-summary").count() == 1
    assert_main_accessible(page)

    for url in ("/accounts/verify/resend/", "/accounts/password-reset/", "/accounts/verify/MQ/1-2/"):
        page.goto(url)
        assert_main_accessible(page)


@override_settings(AXES_FAILURE_LIMIT=1)
def test_lockout_page(page):
    UserFactory(email="c@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("c@example.org")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Sign-in is paused for this account"
    assert_main_accessible(page)


def test_profile_page(page):
    UserFactory(email="c@example.org")
    page.goto("/accounts/login/?next=/accounts/profile/")
    page.get_by_label("Email address").fill("c@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Phone number").fill("call me")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".error-summary").count() == 1
    assert_main_accessible(page)
