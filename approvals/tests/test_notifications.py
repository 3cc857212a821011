"""The mails the applicant receives say who asks what, and where to do it."""

import pytest
from django.core import mail

from approvals import consultation, workflow
from approvals.models import Notification, NotificationKind
from approvals.notifications import notification_send_email
from tests.factories import IDENTITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def correction_mail(submit, citizen, officers, settings):
    """Sends the correction request's mail to the citizen in a language; returns (application, message)."""
    settings.SITE_URL = "https://portal.example.gov"

    def _send(language: str):
        application = submit()
        type(citizen).objects.filter(pk=citizen.pk).update(language=language)
        review = application.reviews.get(department__code="health")
        workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="correction",
                               correction_fields=["seats", "floor_plan"], message="Count the outdoor seats too.")
        notification = Notification.objects.get(recipient=citizen, kind=NotificationKind.CORRECTION_REQUESTED)
        mail.outbox.clear()
        assert notification_send_email(notification_id=notification.pk) == "sent"
        return application, mail.outbox[0]

    return _send


def test_the_correction_mail_names_the_department_the_fields_and_the_page(correction_mail):
    application, message = correction_mail("en")
    url = f"https://portal.example.gov/applications/{application.pk}/correct/"
    assert message.subject == f"[{application.reference}] Correction requested"
    assert message.body == (
        "Dear Wang Fang,\n\n"
        f"The Health Bureau asks you to correct application {application.reference}: Count the outdoor seats too.\n"
        "What to correct: Seats, Floor plan.\n\n"
        f"Correct your application: {url}\n\n"
        "One-stop government service portal\n"
    )
    html = message.alternatives[0][0]
    assert f'<a href="{url}">Correct your application</a>' in html
    assert "What to correct: Seats, Floor plan." in html


def test_the_correction_mail_in_chinese(correction_mail):
    application, message = correction_mail("zh-hans")
    url = f"https://portal.example.gov/applications/{application.pk}/correct/"
    assert message.subject == f"[{application.reference}] 已退回补正"
    assert message.body == (
        "尊敬的Wang Fang：\n\n"
        f"health局要求您补正申请 {application.reference}：Count the outdoor seats too.\n"
        "需补正的内容：seats、floor_plan。\n\n"
        f"补正您的申请：{url}\n\n"
        "一网通办政务服务平台\n"
    )


def test_the_mail_keeps_the_fields_asked_when_sent_after_the_answer(correction_mail, submit, citizen, officers):
    # Sent late (the broker was down), after the citizen already answered: it still says what was asked.
    application, _message = correction_mail("en")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "38"})
    notification = Notification.objects.get(application=application, kind=NotificationKind.CORRECTION_REQUESTED)
    Notification.objects.filter(pk=notification.pk).update(email_status="pending")
    mail.outbox.clear()
    assert notification_send_email(notification_id=notification.pk) == "sent"
    assert "What to correct: Seats, Floor plan.\n" in mail.outbox[0].body


def test_mails_to_a_department_carry_no_identity_of_the_applicant(officers, identity_application, citizen, settings):
    """A department's officers hear which application needs them and open it on the review page,
    where need to know applies: the mail itself names no one."""
    settings.SITE_URL = "https://portal.example.gov"
    health = identity_application.reviews.select_related("department").get(department__code="health")
    health_officer = officers["health"]  # a member before the application was routed
    consultation.message_send_by_citizen(application_id=identity_application.pk, department_id=health.department_id,
                                         actor=citizen, body="When will you visit?")
    sent = {}
    for notification in Notification.objects.filter(recipient=health_officer):
        mail.outbox.clear()
        assert notification_send_email(notification_id=notification.pk) == "sent"
        sent[notification.kind] = mail.outbox[0]
    reference, url = identity_application.reference, f"https://portal.example.gov/officer/reviews/{health.pk}/"

    assert {kind: message.body for kind, message in sent.items()} == {
        NotificationKind.REVIEW_ROUTED: (
            f"Dear {health_officer.get_short_name()},\n\n"
            f"Application {reference} is in your department's queue, due {health.due_date.isoformat()}.\n\n"
            f"{url}\n\nOne-stop government service portal\n"),
        NotificationKind.MESSAGE_FROM_CITIZEN: (
            f"Dear {health_officer.get_short_name()},\n\n"
            f"The applicant of application {reference} sent your department a message. Open the review to read and "
            f"answer it.\n\n{url}\n\nOne-stop government service portal\n"),
    }
    for message in sent.values():
        for text in IDENTITY.values():
            assert text not in message.subject and text not in message.alternatives[0][0]
