"""Steps several browser tests take the same way a person does."""

import re
from pathlib import Path


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


def sign_in(page, *, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
