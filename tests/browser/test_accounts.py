"""The account pages in real Chromium, checked by axe-core on every page visited: a citizen
registers, confirms the address with the button the mail file's link opens and is signed in;
sign-in errors, the lockout page, password reset and change, the rate-limited form and the profile."""


import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests.browser.steps import register, sign_in, verification_link
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, officer

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_register_reset_pages(page, assert_accessible):
    UserFactory(email="waiting@example.org", email_verified=False)
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill("waiting@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("link", name="Send me a new link.").count() == 1
    assert_accessible(page)

    page.goto("/accounts/register/")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Create the account").click()
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)

    for url in ("/accounts/verify/resend/", "/accounts/password-reset/", "/accounts/verify/MQ/1-2/"):
        page.goto(url)
        assert_accessible(page)


@override_settings(LOGIN_ACCOUNT_FREE_FAILURES=1)
def test_lockout_page(page, assert_accessible):
    UserFactory(email="c@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("c@example.org")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Sign-in is paused for this account"
    assert_accessible(page)


def test_password_change_page(page, assert_accessible):
    person = officer(DepartmentFactory(code="health"), email="officer@example.gov")
    sign_in(page, email="officer@example.gov", password=PASSWORD)
    page.get_by_role("link", name=f"Your account: {person.full_name}").click()  # the name in the header
    assert page.locator("h1").inner_text() == "Sign-in security"
    page.get_by_role("link", name="Change your password").click()
    assert page.locator("h1").inner_text() == "Change your password"
    assert_accessible(page)
    page.get_by_label("Current password").fill("not-my-password")
    page.locator("#id_new_password1").fill("Harbour-lantern-42")
    page.get_by_label("Confirm the new password").fill("Harbour-lantern-42")
    page.get_by_role("button", name="Change the password").click()
    assert page.locator(".error-summary").inner_text().endswith(
        "Current password: Your current password is not right. Enter it again.")
    assert_accessible(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.locator("#id_new_password1").fill("Harbour-lantern-42")
    page.get_by_label("Confirm the new password").fill("Harbour-lantern-42")
    page.get_by_role("button", name="Change the password").click()
    assert page.get_by_text("Your password is changed. Use the new one from now on.").count() == 1


@override_settings(PASSWORD_RESET_RATE_PER_EMAIL="1/h")
def test_rate_limited_form_page(page, assert_accessible):
    for _ in range(2):
        page.goto("/accounts/password-reset/")
        page.get_by_label("Email address").fill("limited.browser@example.org")
        page.get_by_role("button", name="Send the link").click()
    assert page.locator("h1").inner_text() == "Too many requests"
    assert page.get_by_text("We have sent nothing this time.").count() == 1
    assert_accessible(page)


def test_profile_page(page, assert_accessible):
    UserFactory(email="c@example.org")
    page.goto("/accounts/login/?next=/accounts/profile/")
    page.get_by_label("Email address").fill("c@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Phone number").fill("call me")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)


def test_register_from_sign_in_and_the_link_goes_on_to_where_they_were(page, assert_accessible, settings, live_server,
                                                                       tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = live_server.url

    page.goto("/accounts/login/?next=/accounts/profile/")
    page.get_by_role("link", name="No account yet? Register").click()
    assert page.url.endswith("/accounts/register/?next=/accounts/profile/")
    assert_accessible(page)
    register(page, email="zhang.wei@example.org", full_name="Zhang Wei", password="Harbour-lantern-42")
    assert page.get_by_text("The link works for 24 hours and only once.").count() == 1
    assert_accessible(page)

    # Signing in before verifying is refused with a way forward.
    sign_in(page, email="zhang.wei@example.org", password="Harbour-lantern-42")
    assert page.get_by_role("link", name="Send me a new link.").count() == 1

    # Opening the link changes nothing: it shows one button, the heading focused for a screen reader.
    link = verification_link(tmp_path / "mail")
    page.goto(link)
    assert page.url == f"{live_server.url}/accounts/verify/confirm/"  # the token left the address bar
    expect(page.get_by_role("heading", level=1, name="Confirm your email address")).to_be_focused()
    assert page.get_by_text("Press the button to confirm that zhang.wei@example.org is your address.").count() == 1
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert_accessible(page)

    # The button, pressed from the keyboard, signs the citizen in and goes on to the page they came from.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Confirm my email address")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/accounts/profile/")
    assert page.get_by_text("Your email address is confirmed and you are signed in.").count() == 1
    assert page.get_by_role("button", name="Sign out").count() == 1
    assert page.get_by_label("Full name").input_value() == "Zhang Wei"
    assert_accessible(page)

    # The link worked once; a second use is refused clearly and signs nobody in.
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link is not valid"
    assert page.get_by_role("link", name="Ask for a new link").count() == 1
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert_accessible(page)
