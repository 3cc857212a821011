"""A holder gives up their permit in real Chromium: from the application page, a reason and a
date (a missing reason and a past date are refused, with the error summary); the permit's
verification address then says it was cancelled by its holder from that day, and the department
the catalogue names is told. axe-core checks the new page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats
from playwright.sync_api import expect

from approvals.models import Notification, NotificationKind
from approvals.sla import local_today
from catalogue.models import Requirement
from permits.models import Permit, PermitStatus
from tests.factories import PASSWORD

from .steps import sign_in
from .test_permits import issued_permit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_holder_cancels_their_permit_and_verification_says_so(
        page, assert_accessible, restaurant, citizen, officers, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    Requirement.objects.filter(service=restaurant, department__code="registration").update(told_of_cancellation=True)
    permit = issued_permit(restaurant, citizen, officers)
    today = local_today()

    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:detail", args=[permit.application_id]))
    assert_accessible(page)
    page.get_by_role("link", name="Cancel this permit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel permit {permit.number}")
    assert_accessible(page)

    page.get_by_label("Cancel it from").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Cancel the permit").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Why are you giving up the permit?: Give the reason.")
    expect(summary).to_contain_text("Cancel it from: The date cannot be in the past: give today or a later day.")
    assert_accessible(page)
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.VALID

    page.get_by_label("Why are you giving up the permit?").fill("The restaurant is closing.")
    page.get_by_label("Cancel it from").fill(today.isoformat())
    page.get_by_role("button", name="Cancel the permit").click()
    shown = formats.date_format(today, "SHORT_DATE_FORMAT")
    expect(page.locator(".alert-success")).to_contain_text(f"Permit {permit.number} is cancelled from {shown}.")
    expect(page.locator("main")).to_contain_text(f"You cancelled your permit {permit.number} from {shown}")
    expect(page.get_by_role("link", name="Cancel this permit")).to_have_count(0)
    assert_accessible(page)

    page.goto(reverse("permits:verify_code", args=[permit.number, permit.verify_code]))
    status = page.get_by_role("status")
    expect(status).to_contain_text("Cancelled by the holder")
    expect(status).to_contain_text(f"Permit {permit.number} was cancelled by its holder from {shown}. "
                                   "It is no longer valid.")
    expect(page.locator("main")).not_to_contain_text("The restaurant is closing.")
    assert_accessible(page)
    page.goto(reverse("permits:verify", args=[permit.number]))
    expect(page.get_by_role("alert")).to_contain_text(f"No valid permit has the number {permit.number}")

    told = Notification.objects.filter(kind=NotificationKind.PERMIT_CANCELLED)
    assert [(n.recipient_id, n.params["cancelled_from"]) for n in told] == [
        (officers["registration"].pk, today.isoformat())]
