"""Once only, in real Chromium, on the demo (seed_demo) with the reference register service run as
its own process: Wang Fang holds the restaurant permit the portal issued her and applies for
outdoor seating. The form shows the company register's details and her permit as already known and
asks no upload for them; after submitting, urban management sees both as verified evidence; the
permit is revoked during the review and the review page says so at once."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from approvals.models import Application
from approvals.permit_flow import permit_revoke
from permits.models import Permit
from tests.browser import steps
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

GOLDEN_DRAGON = "91110105MA01GD8N3Q"  # the reference register's demo company, represented by Wang Fang


def continue_(page):
    page.get_by_role("button", name="Continue").first.click()


def test_a_permit_holder_applies_with_nothing_to_upload_and_the_department_sees_the_revocation_at_once(
        page, assert_accessible, registers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_demo", password=PASSWORD, verbosity=0)
    permit = Permit.objects.get(application__applicant__email="wang.fang@demo.example.org",
                                application__service__slug="open-a-restaurant")
    assert permit.rendered_at is not None and permit.certificate.number == permit.number

    steps.sign_in(page, email="wang.fang@demo.example.org", password=PASSWORD)
    page.goto(reverse("service_detail", args=["outdoor-seating"]))
    page.get_by_role("button", name="Start application").click()

    # Your business: the company's code, then its registered details come back read-only.
    page.get_by_label("Business name").fill("Golden Dragon Noodle House")
    page.get_by_label("Unified social credit code").fill(GOLDEN_DRAGON)
    continue_(page)
    expect(page.get_by_text("Golden Dragon Noodle House Co., Ltd.")).to_be_visible()
    expect(page.get_by_text("From the Company register").first).to_be_visible()
    expect(page.get_by_label("Registered company name")).to_have_count(0)  # no input: read-only
    assert_accessible(page)
    continue_(page)
    for _page in range(6):  # the remaining pages: the site, the seats, the documents
        if "/check/" in page.url:
            break
        if page.get_by_label("Site address").count():
            page.get_by_label("Site address").fill("88 Harbour Road, Central District")
        if page.get_by_label("Outdoor seating area").count():
            page.get_by_label("Outdoor seating area").fill("18")
        if page.get_by_label("Number of outdoor seats").count():
            page.get_by_label("Number of outdoor seats").fill("12")
        if page.get_by_text("We already have your").count():
            # The permit from her wallet, and no file asked for it.
            expect(page.get_by_text(permit.number).first).to_be_visible()
            expect(page.locator('input[type="file"][name="restaurant_permit"]')).to_have_count(0)
            assert_accessible(page)
        continue_(page)
    expect(page).to_have_url(f"{page.url.split('/check/')[0]}/check/")
    expect(page.get_by_text("These will be taken from the registers the government keeps")).to_be_visible()
    page.get_by_label("I declare that my answers are true and complete.", exact=False).check()
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()
    expect(page.get_by_text("you did not have to provide them")).to_be_visible()

    application = Application.objects.get(applicant__email="wang.fang@demo.example.org",
                                          service__slug="outdoor-seating")
    assert application.once_only["documents_reused"] == 1 and application.once_only["fields_taken"] == 2
    review = application.reviews.get(department__code="urban")
    page.get_by_role("button", name="Sign out").click()

    # Urban management: the register's details with their source, the permit as verified evidence.
    steps.sign_in(page, email="officer.urban@demo.example.gov", password=PASSWORD)
    page.goto(reverse("departments:review", args=[review.pk]))
    evidence = page.locator(".evidence").first
    expect(evidence).to_contain_text(permit.number)
    expect(evidence).to_contain_text("Valid")
    expect(page.get_by_text("From the Company register").first).to_be_visible()
    assert_accessible(page)

    # Revoked by the supervisor of registration while urban management reviews: seen at once.
    permit_revoke(permit_id=permit.pk, actor=User.objects.get(email="supervisor.registration@demo.example.gov"),
                  reason="Kitchen closed after the inspection.")
    page.reload()
    expect(page.locator(".evidence").first).to_contain_text("Revoked")
