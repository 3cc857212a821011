"""A holder renews their permit in real Chromium: the reminder mail's link opens the renewal's
page (following it changes nothing), its button starts the renewal, the form asks only the
renewal question (seats), check-your-answers names the carried answers, only the department that
reviews renewals (health) reviews it, and once it approves the renewed permit is issued; the old
permit's verification then says it was renewed and is superseded from the renewed one's start.
The old permit ended yesterday (within the grace), so the renewed one starts today and the
supersession is visible at once. axe-core checks the new pages."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats
from playwright.sync_api import expect

from approvals.models import Application, ApplicationKind, Notification, NotificationKind, ReviewStatus
from approvals.notifications import notification_send_email
from approvals.permit_life import permit_reminders_send
from approvals.sla import local_today
from approvals.tests.test_permit_renewal import renewing
from permits.models import Permit
from tests.factories import PASSWORD

from .steps import sign_in
from .test_permits import issued_permit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_holder_renews_from_the_reminder_and_only_health_reviews(
        page, assert_accessible, restaurant, citizen, officers, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    renewing(restaurant)
    permit = issued_permit(restaurant, citizen, officers)
    today = local_today()
    Permit.objects.filter(pk=permit.pk).update(valid_until=today + timedelta(days=7))
    assert permit_reminders_send() == 1
    mail.outbox.clear()
    notification_send_email(notification_id=Notification.objects.get(kind=NotificationKind.PERMIT_EXPIRING).pk)
    link = re.search(r"Renew your permit: (\S+)", mail.outbox[0].body).group(1).removeprefix(settings.SITE_URL)
    # Dates arranged: the permit ended yesterday, within the grace.
    Permit.objects.filter(pk=permit.pk).update(valid_until=today - timedelta(days=1))

    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Renew permit {permit.number}")
    expect(page.locator("#renewal-asks")).to_have_text("Seats")
    assert_accessible(page)
    assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()  # the link changed nothing
    page.get_by_role("button", name="Start the renewal").click()

    # Complete already: straight to check your answers; seats is the one question to change.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before submitting")
    expect(page.locator("#renewal-carried")).to_contain_text(f"You are renewing permit {permit.number}.")
    expect(page.locator(".carried")).to_have_count(4)
    assert_accessible(page)
    page.get_by_role("link", name="Change Seats").click()
    page.get_by_label("Seats").fill("60")
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#declaration").check()
    page.get_by_role("button", name="Submit application").click()
    renewal = Application.objects.get(kind=ApplicationKind.RENEWAL)
    assert renewal.answers["seats"] == 60
    assert list(renewal.reviews.values_list("department__code", "status")) == [("health", ReviewStatus.PENDING)]

    page.context.clear_cookies()
    review = renewal.reviews.get()
    sign_in(page, email=officers["health"].email, password=PASSWORD)
    page.goto(reverse("departments:review", args=[review.pk]))
    page.get_by_role("button", name="Claim this review").click()
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("button", name="Record this decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()

    new = Permit.objects.get(application=renewal)
    assert (new.number, new.valid_from) == (f"{permit.number}-2", today)
    page.context.clear_cookies()
    page.goto(reverse("permits:verify_code", args=[permit.number, permit.verify_code]))
    status = page.get_by_role("status")
    expect(status).to_contain_text("Superseded")
    expect(status).to_contain_text(f"Permit {permit.number} was renewed: permit {new.number} replaces it from "
                                   f"{formats.date_format(today, 'SHORT_DATE_FORMAT')}. It is no longer valid.")
    assert_accessible(page)
