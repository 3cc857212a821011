"""Consultation threads: one per application and reviewing department, between the applicant
and that department only."""

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import consultation, workflow
from approvals.models import EmailStatus, Message, MessageSide, Notification, NotificationKind, Review
from approvals.notifications import build_email
from approvals.selectors import department_thread, message_threads_for_citizen
from audit.models import Action, AuditEvent
from citizen.views import feedback_context
from core.errors import InvalidTransition, ValidationFailed
from departments.models import Department
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def review_of(application, code) -> Review:
    return application.reviews.select_related("department").get(department__code=code)


def snapshot():
    """What a refused action must leave untouched."""
    return (Message.objects.count(), Notification.objects.count(),
            AuditEvent.objects.exclude(action__in=[Action.ACCESS_DENIED, Action.SIGNED_IN]).count())


# --- Services ----------------------------------------------------------------------------------


def test_citizen_message_goes_to_the_departments_officers_when_nobody_holds_the_review(submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    message = consultation.message_send_by_citizen(
        application_id=application.pk, department_id=health.department_id, actor=citizen,
        body="  Is a second fire exit required?  \n", ip="203.0.113.7",
    )
    message.refresh_from_db()
    assert message.body == "Is a second fire exit required?"
    assert message.side == MessageSide.CITIZEN
    assert message.author_id == citizen.pk
    assert message.application_id == application.pk
    assert message.department_id == health.department_id
    assert message.read_by_citizen_at == message.created_at
    assert message.read_by_department_at is None

    sent = Notification.objects.get(kind=NotificationKind.MESSAGE_FROM_CITIZEN)
    assert sent.recipient_id == officers["health"].pk  # the officers; the supervisor is not disturbed
    assert sent.review_id == health.pk
    assert sent.application_id == application.pk
    assert sent.email_status == EmailStatus.PENDING
    email = build_email(sent)
    assert email.subject == f"[{application.reference}] New message from an applicant"
    assert f"The applicant of application {application.reference} sent your department a message." in email.body
    assert reverse("departments:review", args=[health.pk]) in email.body

    event = AuditEvent.objects.get(action=Action.MESSAGE_SENT)
    assert (event.actor_id, event.subject_id, event.application_id, event.department_code) == (
        citizen.pk, citizen.pk, application.pk, "health")
    assert (event.object_type, event.object_id, event.ip) == ("message", str(message.pk), "203.0.113.7")


def test_citizen_message_goes_to_the_assignee_of_a_claimed_review(submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    workflow.review_claim(review_id=health.pk, actor=officers["health_supervisor"])
    consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                         actor=citizen, body="Hello")
    assert list(Notification.objects.filter(kind=NotificationKind.MESSAGE_FROM_CITIZEN)
                .values_list("recipient_id", flat=True)) == [officers["health_supervisor"].pk]


def test_department_reply_notifies_and_emails_the_applicant(submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    reply = consultation.message_send_by_department(review_id=health.pk, actor=officers["health_supervisor"],
                                                    body="Yes, one more exit.")
    reply.refresh_from_db()
    assert (reply.side, reply.author_id, reply.department_id) == (
        MessageSide.DEPARTMENT, officers["health_supervisor"].pk, health.department_id)
    assert reply.read_by_department_at == reply.created_at
    assert reply.read_by_citizen_at is None

    notification = Notification.objects.get(kind=NotificationKind.MESSAGE_FROM_DEPARTMENT)
    assert notification.recipient_id == citizen.pk
    assert notification.email_status == EmailStatus.PENDING  # the outbox row of the email
    email = build_email(notification)
    assert email.to == [citizen.email]
    assert email.subject == f"[{application.reference}] New message from a department"
    assert f"Health Bureau sent you a message about application {application.reference}." in email.body
    assert reverse("approvals:detail", args=[application.pk]) in email.body
    assert "Yes, one more exit." not in email.body  # the message itself stays behind the sign-in

    event = AuditEvent.objects.get(action=Action.MESSAGE_SENT)
    assert (event.actor_id, event.subject_id, event.department_code) == (
        officers["health_supervisor"].pk, citizen.pk, "health")


def test_body_is_required_and_limited(submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    before = snapshot()
    with pytest.raises(ValidationFailed) as empty:
        consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                             actor=citizen, body=" \n\t ")
    assert empty.value.errors == {"body": ["Write your message."]}
    with pytest.raises(ValidationFailed) as long:
        consultation.message_send_by_department(review_id=health.pk, actor=officers["health"], body="x" * 4001)
    assert long.value.errors == {"body": ["Keep your message to 4000 characters or fewer (it has 4001)."]}
    assert snapshot() == before
    exact = consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                                 actor=citizen, body="x" * 4000)
    assert len(Message.objects.get(pk=exact.pk).body) == 4000


def test_refusals_write_nothing(submit, restaurant, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    draft = workflow.application_start(applicant=citizen, service=restaurant)
    stranger = UserFactory(email="stranger@example.org")
    elsewhere = DepartmentFactory(code="customs")
    before = snapshot()
    with pytest.raises(InvalidTransition):
        consultation.message_send_by_citizen(application_id=draft.pk, department_id=health.department_id,
                                             actor=citizen, body="Hi")
    with pytest.raises(type(application).DoesNotExist):
        consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                             actor=stranger, body="Hi")
    with pytest.raises(Review.DoesNotExist):
        consultation.message_send_by_citizen(application_id=application.pk, department_id=elsewhere.pk,
                                             actor=citizen, body="Hi")
    with pytest.raises(Review.DoesNotExist):
        consultation.message_send_by_department(review_id=health.pk, actor=officers["tax"], body="Hi")
    with pytest.raises(Review.DoesNotExist):
        consultation.thread_mark_read_by_department(review_id=health.pk, actor=officers["tax"])
    assert snapshot() == before


def test_read_state_per_side(submit, citizen, officers):
    application = submit()
    health, tax = review_of(application, "health"), review_of(application, "tax")
    asked = consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                                 actor=citizen, body="Question")
    answer = consultation.message_send_by_department(review_id=health.pk, actor=officers["health"], body="Answer")
    tax_question = consultation.message_send_by_citizen(application_id=application.pk, department_id=tax.department_id,
                                                        actor=citizen, body="Tax question")
    threads = {t.department.code: t for t in message_threads_for_citizen(application)}
    assert threads["health"].unread == 1
    assert threads["tax"].unread == 0

    assert consultation.thread_mark_read_by_department(review_id=health.pk, actor=officers["health"]) == 1
    assert consultation.thread_mark_read_by_citizen(application_id=application.pk, actor=UserFactory()) == 0
    assert consultation.thread_mark_read_by_citizen(application_id=application.pk, actor=citizen) == 1
    asked.refresh_from_db(), answer.refresh_from_db(), tax_question.refresh_from_db()
    assert asked.read_by_department_at is not None
    assert answer.read_by_citizen_at is not None
    assert tax_question.read_by_department_at is None  # health reading its thread does not read tax's


def test_database_refuses_empty_and_overlong_bodies(submit, citizen):
    application = submit()
    department = Department.objects.get(code="health")
    for body in ("", "y" * 4001):
        with pytest.raises(IntegrityError), transaction.atomic():
            Message.objects.create(application=application, department=department, author=citizen,
                                   side=MessageSide.CITIZEN, body=body)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(application=application, department=department, author=citizen, side="robot", body="x")
    assert Message.objects.count() == 0


# --- Who sees which thread --------------------------------------------------------------------------


def test_each_department_sees_only_its_own_thread(client, submit, citizen, officers):
    application = submit()
    for code, body in [("health", "About the kitchen"), ("tax", "About the invoice")]:
        review = review_of(application, code)
        consultation.message_send_by_citizen(application_id=application.pk, department_id=review.department_id,
                                             actor=citizen, body=body)
    health = review_of(application, "health")
    assert [m.body for m in department_thread(health)] == ["About the kitchen"]

    client.force_login(officers["health"])
    page = client.get(reverse("departments:review", args=[health.pk])).content.decode()
    assert "About the kitchen" in page
    assert "About the invoice" not in page
    assert "Messages with the applicant" in page
    client.force_login(officers["tax"])
    page = client.get(reverse("departments:review", args=[review_of(application, "tax").pk])).content.decode()
    assert "About the invoice" in page
    assert "About the kitchen" not in page


def test_citizen_sees_every_thread_grouped_by_department(submit, citizen, officers):
    application = submit()
    health, fire = review_of(application, "health"), review_of(application, "fire")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                         actor=citizen, body="First")
    consultation.message_send_by_department(review_id=health.pk, actor=officers["health"], body="Reply")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=fire.department_id,
                                         actor=citizen, body="To fire")
    context = feedback_context(application, citizen)
    assert [(t.department.code, [m.body for m in t.messages]) for t in context["threads"]] == [
        ("health", ["First", "Reply"]), ("registration", []), ("tax", []), ("fire", ["To fire"]),
    ]
    assert dict(context["message_form"].fields["department"].choices)[health.department_id] == "Health Bureau"
    assert context["rating"] is None and context["rating_form"] is None

    request = RequestFactory().get("/")
    request.user = citizen
    html = render_to_string("approvals/includes/thread.html", {"application": application, **context}, request=request)
    assert html.index("First") < html.index("Reply") < html.index("To fire")
    assert "1 new message" in html
    assert reverse("approvals:message_send", args=[application.pk]) in html
    with pytest.raises(Http404):
        feedback_context(application, officers["health"])


def test_draft_has_no_threads_and_no_form(restaurant, citizen):
    draft = workflow.application_start(applicant=citizen, service=restaurant)
    context = feedback_context(draft, citizen)
    assert context == {"threads": [], "unread_up_to": None, "rating": None, "message_form": None, "rating_form": None}
    assert render_to_string("approvals/includes/thread.html", {"application": draft, **context}).strip() == ""


# --- Through the web -----------------------------------------------------------------------------


def test_citizen_writes_from_the_application_page(client, submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    client.force_login(citizen)
    response = client.post(reverse("approvals:message_send", args=[application.pk]),
                           {"department": health.department_id, "body": "When will you visit?"})
    assert response.status_code == 302
    assert response.url == reverse("approvals:detail", args=[application.pk]) + "#messages"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Your message was sent to Health Bureau."]
    message = Message.objects.get()
    assert (message.body, message.department_id, message.side) == ("When will you visit?", health.department_id, "citizen")


@pytest.mark.parametrize(("body", "error"), [
    ("   ", "This field is required."),
    ("z" * 4001, "Ensure this value has at most 4000 characters (it has 4001)."),
])
def test_invalid_message_shows_the_error_and_writes_nothing(client, submit, citizen, body, error):
    application = submit()
    health = review_of(application, "health")
    client.force_login(citizen)
    before = snapshot()
    response = client.post(reverse("approvals:message_send", args=[application.pk]),
                           {"department": health.department_id, "body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert error in page
    assert snapshot() == before


def test_message_to_a_department_not_reviewing_is_refused(client, submit, citizen):
    application = submit()
    elsewhere = DepartmentFactory(code="customs")
    client.force_login(citizen)
    before = snapshot()
    response = client.post(reverse("approvals:message_send", args=[application.pk]),
                           {"department": elsewhere.pk, "body": "Hello"})
    assert response.status_code == 400
    assert snapshot() == before


def test_message_on_a_draft_is_refused_with_a_clear_message(client, restaurant, citizen):
    draft = workflow.application_start(applicant=citizen, service=restaurant)
    client.force_login(citizen)
    before = snapshot()
    response = client.post(reverse("approvals:message_send", args=[draft.pk]), {"department": "1", "body": "Hello"})
    assert response.status_code == 302
    assert response.url == reverse("approvals:detail", args=[draft.pk]) + "#messages"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You can write to the departments once the application is submitted."]
    assert snapshot() == before


def test_message_on_another_citizens_application_is_404_and_logged(client, submit, citizen):
    application = submit()
    health = review_of(application, "health")
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    before = snapshot()
    url = reverse("approvals:message_send", args=[application.pk])
    assert client.post(url, {"department": health.department_id, "body": "Hello"}).status_code == 404
    assert snapshot() == before
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert (denied.actor_id, denied.object_type, denied.object_id) == (stranger.pk, "application", str(application.pk))
    assert denied.details == {"path": url}


def test_message_endpoints_are_post_only(client, submit, citizen, officers):
    application = submit()
    client.force_login(citizen)
    assert client.get(reverse("approvals:message_send", args=[application.pk])).status_code == 405
    client.force_login(officers["health"])
    assert client.get(reverse("departments:message", args=[review_of(application, "health").pk])).status_code == 405


def test_officer_replies_from_the_review_page(client, submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                         actor=citizen, body="Question?")
    client.force_login(officers["health"])
    url = reverse("departments:review", args=[health.pk])
    page = client.get(url).content.decode()
    assert "Question?" in page
    assert f'action="{reverse("departments:message", args=[health.pk])}"' in page
    assert Message.objects.get(body="Question?").read_by_department_at is None  # read by "Mark as read" (a POST)

    response = client.post(reverse("departments:message", args=[health.pk]), {"body": "  Answer.  "})
    assert response.status_code == 302
    assert response.url == url + "#messages"
    reply = Message.objects.get(side=MessageSide.DEPARTMENT)
    assert (reply.body, reply.author_id) == ("Answer.", officers["health"].pk)
    assert Notification.objects.get(kind=NotificationKind.MESSAGE_FROM_DEPARTMENT).recipient_id == citizen.pk

    before = snapshot()
    response = client.post(reverse("departments:message", args=[health.pk]), {"body": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert snapshot() == before


def test_officer_of_another_department_cannot_post_to_the_thread(client, submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    recorded = AuditEvent.objects.exclude(action__in=[Action.ACCESS_DENIED, Action.SIGNED_IN])  # signing in is not posting
    before = (*snapshot(), recorded.count())
    client.force_login(officers["tax"])
    assert client.post(reverse("departments:message", args=[health.pk]), {"body": "Sneaky"}).status_code == 404
    client.force_login(officers["tax_supervisor"])
    assert client.post(reverse("departments:message", args=[health.pk]), {"body": "Sneaky"}).status_code == 404
    assert (*snapshot(), recorded.count()) == before
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="review").count() == 2


# --- Query counts ----------------------------------------------------------------------------------


def test_review_page_query_count_does_not_grow_with_the_thread(client, submit, citizen, officers):
    application = submit()
    health = review_of(application, "health")
    url = reverse("departments:review", args=[health.pk])
    consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                         actor=citizen, body="One")
    client.force_login(officers["health"])
    client.get(url)  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    consultation.message_send_by_department(review_id=health.pk, actor=officers["health_supervisor"], body="Two")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                         actor=citizen, body="Three")
    with CaptureQueriesContext(connection) as three:
        page = client.get(url).content.decode()
    assert page.index("One") < page.index("Two") < page.index("Three")
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_citizen_threads_query_count_does_not_grow_with_messages(submit, citizen, officers):
    application = submit()
    request = RequestFactory().get("/")
    request.user = citizen

    def render():
        with CaptureQueriesContext(connection) as queries:
            html = render_to_string("approvals/includes/thread.html",
                                    {"application": application, **feedback_context(application, citizen)}, request=request)
        return html, queries

    health, tax = review_of(application, "health"), review_of(application, "tax")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                         actor=citizen, body="m1")
    _html, one = render()
    consultation.message_send_by_department(review_id=health.pk, actor=officers["health"], body="m2")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=tax.department_id,
                                         actor=citizen, body="m3")
    html, three = render()
    assert all(body in html for body in ("m1", "m2", "m3"))
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)
