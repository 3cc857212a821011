"""Reading messages in real Chromium: opening the application page marks nothing read until its
messages have been on screen, then portal.js sends "Mark as read" by itself and its button goes;
without JavaScript the button does it. axe-core checks the page with the button."""

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import consultation
from approvals.models import Message
from tests.browser import steps
from tests.engine_fixtures import submitted_application
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
SHORT = {"width": 1280, "height": 400}  # the messages start below the fold


@pytest.fixture
def answered(restaurant, citizen, officers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    application = submitted_application(restaurant, citizen)
    health = application.reviews.get(department__code="health")
    answer = consultation.message_send_by_department(review_id=health.pk, actor=officers["health"],
                                                     body="Please send the plan again.")
    return application, answer


def read_by_citizen(message, *, within: float = 5.0) -> bool:
    """Whether the applicant has read ``message`` now or within the next ``within`` seconds."""
    deadline = time.monotonic() + within
    while Message.objects.get(pk=message.pk).read_by_citizen_at is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_messages_are_read_once_they_have_been_on_screen(page, assert_accessible, answered, citizen):
    application, answer = answered
    page.set_viewport_size(SHORT)
    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:detail", args=[application.pk]))
    button = page.get_by_role("button", name="Mark messages as read")
    expect(button).to_be_attached()
    assert_accessible(page)
    assert not read_by_citizen(answer, within=1.5)  # opened, but not seen yet

    page.locator("#messages").scroll_into_view_if_needed()
    assert read_by_citizen(answer)
    expect(button).to_be_hidden()
    page.reload()
    expect(page.get_by_role("button", name="Mark messages as read")).to_have_count(0)


def test_without_javascript_the_button_marks_them_read(chromium, live_server, settings, assert_accessible, answered,
                                                       citizen):
    settings.ALLOWED_HOSTS = ["*"]
    application, answer = answered
    context = chromium.new_context(base_url=live_server.url, bypass_csp=True, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        steps.sign_in(page, email=citizen.email, password=PASSWORD)
        page.goto(reverse("approvals:detail", args=[application.pk]))
        page.locator("#messages").scroll_into_view_if_needed()
        assert not read_by_citizen(answer, within=1.0)
        page.get_by_role("button", name="Mark messages as read").click()
        expect(page.get_by_text("Marked as read.")).to_be_visible()
        assert read_by_citizen(answer, within=0)
        expect(page.locator("#messages").get_by_text("New", exact=True)).to_have_count(0)
    finally:
        context.close()
