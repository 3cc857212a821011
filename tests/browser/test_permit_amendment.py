"""A holder changes the address on their permit in real Chromium: the application page's "Change
details" link opens a page saying what may change and who reviews a change of each detail, its
button starts the amendment, check-your-answers says nothing is changed yet, the address is the
one answer changed, the page names the one department that reviews addresses (fire) and only
fire reviews it; once it approves the amended permit is issued in the same series, and the old
permit's verification says it was amended and is superseded. axe-core checks the new pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats
from playwright.sync_api import expect

from approvals.models import Application, ApplicationKind, ReviewStatus
from approvals.sla import local_today
from approvals.tests.test_permit_amendment import amending
from permits.models import Permit
from tests.factories import PASSWORD

from .steps import sign_in
from .test_permits import issued_permit

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_amendment_of_the_address_goes_only_to_the_departments_that_review_addresses(
        page, assert_accessible, restaurant, citizen, officers, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    amending(restaurant)
    permit = issued_permit(restaurant, citizen, officers)
    today = local_today()
    Permit.objects.filter(pk=permit.pk).update(valid_until=today + timedelta(days=300))

    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:detail", args=[permit.application_id]))
    page.get_by_role("link", name=f"Change details of permit {permit.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Change details of permit {permit.number}")
    table = page.locator("#amendable-details")
    expect(table.get_by_role("row", name="Site address")).to_contain_text("Fire Bureau")
    expect(table.get_by_role("row", name="Cuisine")).to_contain_text("No review: recorded at once")
    assert_accessible(page)
    assert not Application.objects.filter(kind=ApplicationKind.AMENDMENT).exists()  # the page changed nothing
    page.get_by_role("button", name="Start changing details").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before submitting")
    expect(page.locator("#amendment-summary")).to_contain_text("You have not changed anything yet.")
    page.get_by_role("link", name="Change Site address").click()
    page.get_by_label("Site address").fill("8 Garden Street")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#amendment-summary")).to_contain_text("The departments that review these changes: Fire Bureau.")
    expect(page.locator(".changed")).to_have_count(1)
    assert_accessible(page)
    page.locator("#declaration").check()
    page.get_by_role("button", name="Submit application").click()
    amendment = Application.objects.get(kind=ApplicationKind.AMENDMENT)
    assert list(amendment.reviews.values_list("department__code", "status")) == [("fire", ReviewStatus.PENDING)]

    page.context.clear_cookies()
    sign_in(page, email=officers["fire"].email, password=PASSWORD)
    page.goto(reverse("departments:review", args=[amendment.reviews.get().pk]))
    page.get_by_role("button", name="Claim this review").click()
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("button", name="Record this decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()

    new = Permit.objects.get(application=amendment)
    assert (new.number, new.valid_from, new.valid_until) == (f"{permit.number}-2", today, today + timedelta(days=300))
    page.context.clear_cookies()
    page.goto(reverse("permits:verify_code", args=[permit.number, permit.verify_code]))
    status = page.get_by_role("status")
    expect(status).to_contain_text("Superseded")
    expect(status).to_contain_text(f"Permit {permit.number} was amended by its holder: permit {new.number}, with the "
                                   f"changed details, replaces it from {formats.date_format(today, 'SHORT_DATE_FORMAT')}.")
    assert_accessible(page)
