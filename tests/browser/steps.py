"""Steps several browser tests take the same way a person does."""

import re
from pathlib import Path

from django.contrib.auth import get_user_model

from accounts import factors
from accounts.second_factor import second_factor_required
from tests.totp import unused_code

# The authenticator app of staff who sign in through the pages (as `add_staff --totp-secret` gives one).
STAFF_TOTP_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def register(page, *, email: str, full_name: str, password: str, phone: str = "") -> None:
    """Fill in and send the registration form (the page is open)."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Full name").fill(full_name)
    if phone:
        page.get_by_label("Phone number (optional)").fill(phone)
    page.locator("#id_password").fill(password)
    page.get_by_label("Confirm the password").fill(password)
    page.get_by_role("button", name="Create the account").click()
    assert page.url.endswith("/accounts/register/done/")


def verification_link(mail_dir: Path) -> str:
    """The link in the one verification mail written to ``mail_dir`` (EMAIL_FILE_PATH)."""
    mails = list(mail_dir.iterdir())
    assert len(mails) == 1
    return re.search(r"(http://\S+/accounts/verify/\S+)", mails[0].read_text()).group(1)


def confirm_email(page, link: str) -> None:
    """Open the verification link and press its page's one button: opening the link alone changes
    nothing (a mail scanner may open it first)."""
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()


def sign_in(page, *, email: str, password: str) -> None:
    """The password, then, for staff, the code their authenticator app shows (computed with
    django-otp's TOTP). Staff without a second factor get the tests' app first."""
    user = get_user_model().objects.filter(email__iexact=email).first()
    staff = user is not None and second_factor_required(user)
    if staff and not factors.has_factor(user):
        factors.totp_device_set(user=user, secret=STAFF_TOTP_SECRET)
    password_step(page, email=email, password=password)
    if staff:
        enter_code(page, factors.totp_devices(user).first())


def password_step(page, *, email: str, password: str, next_url: str = "") -> None:
    """The sign-in page's e-mail address and password (for staff, the first of two steps)."""
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def enter_code(page, device) -> None:
    """Answer "Sign in: second step" or "Confirm it is you" with the app's code."""
    page.get_by_label("Code from your authenticator app").fill(unused_code(device))
    page.get_by_role("button", name="Continue").click()
