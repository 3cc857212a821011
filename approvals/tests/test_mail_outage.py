"""A mail server that refuses or does not answer delays mail, it does not lose it: such a send is
tried again (by the reconciler) as often as it takes and counts no attempt; only a message the
server itself refuses counts toward giving up. Against a real SMTP server (aiosmtpd)."""

import socket

import pytest
from aiosmtpd.controller import Controller

from approvals.models import EmailStatus, Notification, NotificationKind
from approvals.notifications import MAX_EMAIL_ATTEMPTS, notification_send_email
from approvals.tasks import notification_email_task
from tests.postgres_servers import free_port

pytestmark = pytest.mark.django_db


class Keep:
    def __init__(self, refuse_recipients=False):
        self.received, self.refuse_recipients = [], refuse_recipients

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.refuse_recipients:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return settings.EMAIL_PORT


@pytest.fixture
def notices(citizen, submit):
    application = submit()
    Notification.objects.all().delete()
    return Notification.objects.bulk_create([Notification(recipient=citizen, kind=NotificationKind.SUBMITTED,
                                                          application=application, params={"n": i}) for i in range(3)])


def states(rows):
    return list(Notification.objects.filter(pk__in=[n.pk for n in rows]).order_by("pk")
                .values_list("email_status", "email_attempts"))


def test_a_refusing_server_delays_mail_and_counts_no_attempt(smtp, notices):
    for _ in range(MAX_EMAIL_ATTEMPTS + 2):  # nothing listens: connection refused
        assert notification_send_email(notification_id=notices[0].pk) == "deferred"
    assert states(notices[:1]) == [(EmailStatus.PENDING, 0)]
    keep = Keep()
    controller = Controller(keep, hostname="127.0.0.1", port=smtp)
    controller.start()
    try:
        assert notification_send_email(notification_id=notices[0].pk) == "sent"
        assert notification_send_email(notification_id=notices[0].pk) == "skipped"
    finally:
        controller.stop()
    assert len(keep.received) == 1
    assert states(notices[:1]) == [(EmailStatus.SENT, 0)]


def test_a_server_that_never_answers_stops_the_batch_at_its_first_mail(smtp, notices):
    with socket.create_server(("127.0.0.1", smtp)) as silent:  # accepts, never answers
        assert notification_email_task([n.pk for n in notices]) == ["deferred"]
        silent.close()
    assert states(notices) == [(EmailStatus.PENDING, 0)] * 3


def test_a_message_the_server_refuses_is_given_up_after_the_attempts(smtp, notices):
    controller = Controller(Keep(refuse_recipients=True), hostname="127.0.0.1", port=smtp)
    controller.start()
    try:
        results = [notification_send_email(notification_id=notices[0].pk) for _ in range(MAX_EMAIL_ATTEMPTS)]
    finally:
        controller.stop()
    assert results == ["failed"] * MAX_EMAIL_ATTEMPTS
    assert states(notices[:1]) == [(EmailStatus.FAILED, MAX_EMAIL_ATTEMPTS)]
