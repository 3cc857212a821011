"""The language a person uses is remembered on the account, and the portal's mail speaks it."""

import pytest
from django.core import mail

from accounts.services import language_supported
from approvals.models import Notification, NotificationKind
from approvals.notifications import notification_send_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("code", "expected"), [
    ("zh-hans", "zh-hans"), ("zh-Hans", "zh-hans"), ("en", "en"), ("en-gb", "en"), ("fr", "en"), ("", "en"), (None, "en"),
])
def test_language_codes_map_to_the_portals_languages(code, expected):
    assert language_supported(code) == expected


def test_registering_in_chinese_remembers_chinese(client):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    client.post("/accounts/register/", {
        "email": "li.na@example.org", "full_name": "Li Na", "phone": "",
        "password": "Harbour-lantern-42", "password_confirm": "Harbour-lantern-42",
    })
    assert UserFactory._meta.model.objects.get(email="li.na@example.org").language == "zh-hans"


def test_switching_language_while_signed_in_is_remembered(client):
    user = UserFactory(email="wang@example.org")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert (response.status_code, response.url) == (302, "/")
    user.refresh_from_db()
    assert user.language == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_switching_language_anonymously_changes_no_account(client):
    user = UserFactory(email="wang@example.org")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_notification_mail_is_written_in_the_recipients_language(submit, citizen):
    application = submit()
    type(citizen).objects.filter(pk=citizen.pk).update(language="zh-hans")
    notification = Notification.objects.get(recipient=citizen, kind=NotificationKind.SUBMITTED)
    mail.outbox.clear()
    assert notification_send_email(notification_id=notification.pk) == "sent"
    assert mail.outbox[0].subject == f"[{application.reference}] 申请已接收"
