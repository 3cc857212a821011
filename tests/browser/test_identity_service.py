"""A citizen signs in with the national identity service in real Chromium: the local OpenID
Connect provider (tests/oidc_provider, its own process) asks for the person's user name and
password, the portal makes a verified account on the first sign-in, the citizen applies, signs
out of both, and the next sign-in lands on the same account."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Assurance, ExternalIdentity, User
from approvals.models import Application, ApplicationStatus
from tests.factories import PDF_BYTES, UserFactory
from tests.oidc_provider.fixtures import CHEN_JING_NUMBER, LI_MEI_NUMBER, PASSWORD, configure_portal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def identity_service(settings, oidc_provider, live_server):
    oidc_provider.allow(live_server.url)
    configure_portal(settings, oidc_provider, site_url=live_server.url)
    return oidc_provider


def sign_in_with_the_identity_service(page, provider, *, login: str) -> None:
    """From the portal's sign-in page, through the provider's pages, back to the portal."""
    page.get_by_role("button", name="Sign in with National e-ID").click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + "/interaction/"))
    page.get_by_label("User name").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if page.url.startswith(provider.issuer):  # the provider asks to share the details once
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)


def test_first_sign_in_applies_and_the_next_sign_in_lands_on_the_same_account(
        page, assert_accessible, identity_service, restaurant, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with National e-ID")).to_be_visible()
    assert_accessible(page)
    sign_in_with_the_identity_service(page, identity_service, login="chen.jing")
    expect(page.get_by_text("Welcome. Your account is made from the details National e-ID holds about you.")
           ).to_be_visible()
    user = User.objects.get()
    assert (user.email, user.full_name, user.id_number, user.assurance) == (
        "chen.jing@example.cn", "Chen Jing", CHEN_JING_NUMBER, Assurance.SUBSTANTIAL)

    # The profile shows who verified the person; the number is not a field.
    page.goto("/accounts/profile/")
    expect(page.get_by_text(CHEN_JING_NUMBER)).to_be_visible()
    expect(page.get_by_text("Substantial (identity service)")).to_be_visible()
    assert page.locator('input[name="id_number"]').count() == 0
    assert_accessible(page)

    # Apply: the restaurant service's three pages, then check and submit.
    page.goto("/services/open-a-restaurant/")
    page.locator('form[action$="/start/open-a-restaurant/"] button[type="submit"]').click()
    page.get_by_label("Business name").fill("Harbour Noodles")
    page.get_by_label("Cuisine").select_option("chinese")
    page.get_by_label("Seats").fill("30")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Site address").fill("12 Harbour Road")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Floor plan").set_input_files({"name": "plan.pdf", "mimeType": "application/pdf",
                                                       "buffer": PDF_BYTES})
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("h1")).to_have_text("Check your answers before submitting")
    page.get_by_label(re.compile("^I declare")).check()
    page.get_by_role("button", name="Submit application").click()
    page.wait_for_url(re.compile(r"/submitted/$"))
    application = Application.objects.get(applicant=user)
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.answers["business_name"] == "Harbour Noodles"

    # Signing out ends the provider's session too, and comes back to the portal.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(identity_service.issuer) + "/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/(\?state=.*)?$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    # The next sign-in asks the provider again and lands on the same account and its application.
    page.goto("/accounts/login/")
    sign_in_with_the_identity_service(page, identity_service, login="chen.jing")
    assert (User.objects.count(), ExternalIdentity.objects.count()) == (1, 1)
    page.goto("/applications/")
    expect(page.get_by_text(application.reference).first).to_be_visible()
    assert_accessible(page)


def test_the_questions_of_a_first_sign_in_are_accessible(page, assert_accessible, identity_service):
    UserFactory(email="li.mei@example.cn", full_name="Someone Else")
    page.goto("/accounts/register/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with National e-ID").click()
    page.get_by_label("User name").fill("li.mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Continue").click()

    # The service's address has an account: its password, or another address.
    expect(page.locator("h1")).to_have_text("Link your account")
    page.get_by_label("Password of that account").fill("not-the-password")
    page.get_by_role("button", name="Link and sign in").click()
    expect(page.locator(".error-summary")).to_contain_text("The password is not right.")
    assert_accessible(page)
    page.get_by_role("link", name="It is not my account: use another email address").click()
    expect(page.locator("h1")).to_have_text("Your email address")
    assert_accessible(page)
    page.get_by_label("Email address").fill("mei.li@example.org")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)
    assert User.objects.get(email="mei.li@example.org").id_number == LI_MEI_NUMBER
