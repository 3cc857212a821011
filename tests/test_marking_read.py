"""Opening a page marks nothing read: the application page, the review page and the notifications
page show what is new and offer "Mark as read", a POST of its own. portal.js sends it by itself
once the section has been on screen in a visible tab (so a prefetch, a link preview or a tab
opened in the background reads nothing); without JavaScript it is a button. What arrived after
the page was drawn stays new."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from approvals import consultation
from approvals.models import Notification, NotificationKind, Review
from approvals.notifications import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def mark_read_form(page: str, action: str) -> dict:
    """The page's "Mark as read" form for ``action``: its hidden ``up_to`` and its button's text."""
    match = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*data-send-when-seen[^>]*>(.*?)</form>',
                      page, re.S)
    assert match, f"no mark-as-read form for {action}"
    up_to = re.search(r'name="up_to" value="(\d+)"', match.group(1))
    button = re.search(r"<button[^>]*>(.*?)</button>", match.group(1), re.S)
    return {"up_to": int(up_to.group(1)), "button": button.group(1).strip()}


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def thread(submit, citizen, officers):
    """An application with a question of the applicant's to health and health's answer, both new."""
    application = submit()
    health = application.reviews.get(department__code="health")
    question = consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                                    actor=citizen, body="Is the plan readable?")
    answer = consultation.message_send_by_department(review_id=health.pk, actor=officers["health"],
                                                     body="Send it again, please.")
    return application, health, question, answer


def unread(message) -> dict:
    message.refresh_from_db()
    return {"citizen": message.read_by_citizen_at is None, "department": message.read_by_department_at is None}


# --- The applicant ---------------------------------------------------------------------------------


def test_the_application_page_leaves_the_departments_answer_new_until_marked_read(client, citizen, officers, thread):
    application, health, _question, answer = thread
    client.force_login(citizen)
    detail = reverse("approvals:detail", args=[application.pk])
    action = reverse("approvals:messages_read", args=[application.pk])

    page = client.get(detail).content.decode()
    assert unread(answer)["citizen"]
    assert client.get(detail).status_code == 200  # a reload, a prefetch: still new
    assert unread(answer)["citizen"]
    assert mark_read_form(page, action) == {"up_to": answer.pk, "button": "Mark messages as read"}

    late = consultation.message_send_by_department(review_id=health.pk, actor=officers["health"], body="And the lease.")
    response = client.post(action, {"up_to": answer.pk})
    assert (response.status_code, response.url) == (302, f"{detail}#messages")
    assert flashed(response) == ["Marked as read."]
    assert not unread(answer)["citizen"]
    assert unread(late)["citizen"]  # sent after the page was drawn: still new
    assert mark_read_form(client.get(detail).content.decode(), action)["up_to"] == late.pk


def test_the_page_sending_it_by_itself_gets_no_content_and_no_message(client, citizen, thread):
    application, _health, _question, answer = thread
    client.force_login(citizen)
    response = client.post(reverse("approvals:messages_read", args=[application.pk]), {"up_to": answer.pk},
                           headers={"X-Requested-With": "fetch"})
    assert (response.status_code, response.content) == (204, b"")
    assert flashed(response) == []
    assert not unread(answer)["citizen"]


def test_nothing_new_no_button(client, citizen, thread):
    application, _health, _question, answer = thread
    consultation.thread_mark_read_by_citizen(application_id=application.pk, actor=citizen)
    client.force_login(citizen)
    page = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert reverse("approvals:messages_read", args=[application.pk]) not in page


def test_marking_read_takes_a_post_of_the_applicant(client, citizen, thread):
    application, _health, _question, answer = thread
    action = reverse("approvals:messages_read", args=[application.pk])
    client.force_login(citizen)
    assert client.get(action, {"up_to": answer.pk}).status_code == 405
    client.force_login(UserFactory(email="stranger@example.org"))
    assert client.post(action, {"up_to": answer.pk}).status_code == 404
    assert unread(answer)["citizen"]


@pytest.mark.parametrize("up_to", ["", "many", "-3", "0"])
def test_a_broken_mark_read_post_marks_nothing_and_says_so(client, citizen, thread, up_to):
    application, _health, _question, answer = thread
    client.force_login(citizen)
    action = reverse("approvals:messages_read", args=[application.pk])
    response = client.post(action, {"up_to": up_to})
    assert (response.status_code, response.url) == (302, reverse("approvals:detail", args=[application.pk]) + "#messages")
    assert flashed(response) == ["Nothing was marked as read: open the page again and use its button."]
    assert client.post(action, {"up_to": up_to}, headers={"X-Requested-With": "fetch"}).status_code == 400
    assert unread(answer)["citizen"]


# --- The department ------------------------------------------------------------------------------


def test_the_review_page_leaves_the_applicants_question_new_until_marked_read(client, citizen, officers, thread):
    application, health, question, _answer = thread
    client.force_login(officers["health"])
    url = reverse("departments:review", args=[health.pk])
    action = reverse("departments:messages_read", args=[health.pk])

    page = client.get(url).content.decode()
    assert unread(question)["department"]
    assert Review.objects.get(pk=health.pk).unread_messages == 1
    assert mark_read_form(page, action) == {"up_to": question.pk, "button": "Mark messages as read"}

    late = consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                                actor=citizen, body="Also: the opening date.")
    response = client.post(action, {"up_to": question.pk})
    assert (response.status_code, response.url) == (302, f"{url}#messages")
    assert flashed(response) == ["Marked as read."]
    assert not unread(question)["department"] and unread(late)["department"]
    assert Review.objects.get(pk=health.pk).unread_messages == 1  # the late one


def test_another_department_marks_nothing(client, officers, thread):
    _application, health, question, _answer = thread
    client.force_login(officers["tax"])
    assert client.post(reverse("departments:messages_read", args=[health.pk]), {"up_to": question.pk}).status_code == 404
    assert client.get(reverse("departments:messages_read", args=[health.pk])).status_code == 405
    assert unread(question)["department"]
    assert Review.objects.get(pk=health.pk).unread_messages == 1


# --- Notifications -------------------------------------------------------------------------------


def test_the_notifications_page_leaves_them_new_until_marked_read(client, submit, citizen):
    application = submit()  # "Application received"
    client.force_login(citizen)
    url, action = reverse("approvals:notifications"), reverse("approvals:notifications_read")
    received = Notification.objects.get(recipient=citizen)

    page = client.get(url).content.decode()
    assert "Application received" in page
    assert Notification.objects.filter(recipient=citizen, read_at__isnull=True).count() == 1
    assert mark_read_form(page, action) == {"up_to": received.pk, "button": "Mark notifications as read"}

    [late] = notify(recipient_ids=[citizen.pk], kind=NotificationKind.APPROVED, application=application)
    response = client.post(action, {"up_to": received.pk})
    assert (response.status_code, response.url) == (302, url)
    assert flashed(response) == ["Marked as read."]
    assert list(Notification.objects.filter(recipient=citizen, read_at__isnull=True)) == [late]
    assert client.get(action).status_code == 405


def test_nobody_marks_anothers_notifications(client, submit, citizen):
    submit()
    received = Notification.objects.get(recipient=citizen)
    client.force_login(UserFactory(email="stranger@example.org"))
    assert client.post(reverse("approvals:notifications_read"), {"up_to": received.pk}).status_code == 302
    received.refresh_from_db()
    assert received.read_at is None
