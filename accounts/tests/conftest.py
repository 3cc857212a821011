import email
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from tests.factories import DepartmentFactory

FILE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@pytest.fixture(autouse=True)
def _no_resend_throttle(settings):
    # The throttle lives in the cache, which outlives a test; tests of the throttle turn it on.
    settings.EMAIL_VERIFICATION_RESEND_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The forms' rate limits count in the cache too: each test starts from none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mail_dir(settings, tmp_path):
    """Mail written to files, as the default configuration does (var/mail/)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def read_mail_files(directory) -> list[email.message.Message]:
    messages = []
    for path in sorted(directory.iterdir()) if directory.exists() else []:
        for chunk in path.read_bytes().split(FILE_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk))
    return messages


def mail_text(message) -> str:
    if isinstance(message, email.message.Message):
        return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return message.body


def link_path(text: str, marker: str) -> str:
    """The path of the only link in ``text`` that contains ``marker``."""
    urls = [u for u in re.findall(r"https?://\S+", text) if marker in u]
    assert len(urls) == 1, text
    return urlsplit(urls[0]).path


def confirm_email(client, link: str, **post):
    """Open a verification link (its path, with any query) as a person does, then press "Confirm
    my email address"; returns the answer to the press."""
    opened = client.get(link)
    assert (opened.status_code, opened.url) == (302, "/accounts/verify/confirm/")
    return client.post(opened.url, **post)


@pytest.fixture
def departments(db):
    return {code: DepartmentFactory(code=code) for code in ("health", "tax", "fire")}
