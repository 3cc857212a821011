"""A body told of an approval in real Chromium: the sub-district officer follows the queue's link to
the filings, opens one (exactly what it lists), and acknowledges it with the keyboard alone; the
applicant then reads that it did. axe-core checks the list, the filing and the applicant's page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.models import Filing
from tests.browser import steps
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sub_district_officer_reads_and_acknowledges_a_filing(page, assert_accessible, approved, told_staff,
                                                                  citizen):
    filing = Filing.objects.get(application=approved, department__code="subdistrict")
    steps.sign_in(page, email=told_staff["subdistrict"].email, password=PASSWORD)
    page.goto(reverse("departments:queue"))
    page.get_by_role("link", name="Filings after approval").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Filings after approval")
    assert_accessible(page)

    page.get_by_role("link", name=approved.reference).click()
    expect(page.get_by_text("Golden Dragon")).to_be_visible()
    expect(page.get_by_text("Wang Fang")).to_be_visible()
    expect(page.get_by_text("wang.fang@example.org")).to_have_count(0)
    assert_accessible(page)
    button = page.get_by_role("button", name="Acknowledge")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The filing is acknowledged.")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    filing.refresh_from_db()
    assert filing.acknowledged_by == told_staff["subdistrict"]

    page.get_by_role("button", name="Sign out").click()
    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:detail", args=[approved.pk]))
    told = page.locator("#told")
    expect(told).to_contain_text("Subdistrict Bureau")
    expect(told).to_contain_text("acknowledged on")
    expect(told).to_contain_text("not acknowledged yet")  # the statistics bureau
    assert_accessible(page)
