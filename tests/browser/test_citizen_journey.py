"""The citizen's whole journey in real Chromium, on the demo catalogue: find "open a restaurant"
by search, fill the combined form across its pages (with a PDF), leave and resume the draft,
check the answers and submit with the keyboard, follow each department, answer a correction,
and download the permit once every department has approved. axe-core checks every page, in
English and again in Simplified Chinese."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from approvals import workflow
from approvals.models import Application, ApplicationStatus, ReviewStatus
from approvals.permit_flow import permit_render
from approvals.sla import local_today
from catalogue.models import Service
from catalogue.tests.conftest import DEMO
from permits.models import Permit
from tests.browser.steps import confirm_email, register, verification_link
from tests.factories import PASSWORD, PDF_BYTES, UserFactory, officer

pytestmark = pytest.mark.django_db(transaction=True)

NARROW = {"width": 375, "height": 740}
WIDE = {"width": 1280, "height": 900}


def path(page) -> str:
    return urlsplit(page.url).path


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def assert_fits_narrow_screen(page):
    """At 375 px nothing scrolls sideways."""
    page.set_viewport_size(NARROW)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(WIDE)
    assert width <= NARROW["width"], f"{page.url} is {width}px wide at 375px"


def decide(application, code, officers, decision="approve", **kwargs):
    review = application.reviews.get(department__code=code)
    workflow.review_decide(review_id=review.pk, actor=officers[code], decision=decision, **kwargs)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO), verbosity=0)
    service = Service.objects.get(slug="open-a-restaurant")
    return {req.department.code: officer(req.department) for req in service.requirements.select_related("department")}


def test_open_a_restaurant_from_search_to_permit(page, assert_accessible, demo, settings, live_server, tmp_path):
    officers = demo
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = live_server.url
    page.set_viewport_size(WIDE)

    # Register, verify from the mail and sign in, as a new citizen does.
    page.goto("/accounts/register/")
    register(page, email="wang.fang@example.org", full_name="Wang Fang", password="Harbour-lantern-42",
             phone="+86 138 0000 0000")
    confirm_email(page, verification_link(tmp_path / "mail"))  # the button signs the citizen in
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)

    # Find the service.
    page.goto("/")
    assert_accessible(page)
    assert_fits_narrow_screen(page)
    page.get_by_role("searchbox", name="Search for a service").fill("I want to open a restaurant")
    page.get_by_role("button", name="Search", exact=True).click()
    assert "/search/?q=" in page.url
    expect(page.get_by_role("heading", name="1 service found")).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("link", name="Open a restaurant", exact=True).click()
    expect(page.locator("h1")).to_have_text("Open a restaurant")
    assert page.get_by_text("Free").count() >= 1
    assert page.get_by_text("valid for 5 years").count() == 1
    assert_accessible(page)
    assert_fits_narrow_screen(page)
    page.get_by_role("button", name="Start application").click()

    # Step 1: prefilled from the profile.
    expect(page.locator("h1")).to_have_text("Applicant")
    application = Application.objects.get()
    assert path(page) == f"/applications/{application.pk}/step/1/"
    assert page.get_by_text("Step 1 of 5").count() == 1
    assert page.locator('[aria-current="step"]').inner_text() == "Applicant"
    assert page.get_by_label("Legal representative").input_value() == "Wang Fang"
    assert page.get_by_label("Contact phone").input_value() == "+86 138 0000 0000"
    assert page.get_by_text("We filled in 2 answers").count() == 1
    assert_accessible(page)
    assert_fits_narrow_screen(page)
    page.get_by_role("button", name="Save and continue").click()

    # Step 2: the business. A wrong answer first, to see the error summary.
    expect(page.locator("h1")).to_have_text("Your business")
    page.get_by_label("Business name").fill("Golden Dragon Noodle House")
    page.get_by_label("Business scope").fill("Catering services")
    page.get_by_label("Taxpayer type").select_option("small_scale")
    page.get_by_label("Number of employees").fill("0")
    opening = page.get_by_label("Planned opening date (optional)")
    assert page.get_by_text("Type the date as DD/MM/YYYY, for example 27/03/2026.").count() == 1
    opening.fill((local_today() + timedelta(days=90)).strftime("%d/%m/%Y"))
    page.get_by_label("Cuisine").select_option("chinese")
    page.get_by_label("Number of seats").fill("40")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_have_count(1)
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_employee_count" or page.url.endswith("#id_employee_count")
    page.get_by_label("Number of employees").fill("8")
    page.get_by_role("button", name="Save and continue").click()

    # Step 3: the site, then leave.
    expect(page.locator("h1")).to_have_text("The site")
    page.get_by_label("Site address").fill("88 Harbour Road, Central District")
    page.get_by_label("Floor area").fill("120.5")
    page.get_by_label("Gas is used on the site").select_option("true")
    assert_accessible(page)
    page.get_by_role("button", name="Save and come back later").click()
    page.wait_for_url(re.compile(r"/applications/(#.*)?$"))
    assert page.get_by_role("heading", name="Drafts").count() == 1
    assert_accessible(page)
    assert_fits_narrow_screen(page)

    # Resume from My applications: the first page with something missing (the documents);
    # back to the site with the step indicator, and forward to the documents again.
    page.get_by_role("link", name=re.compile("^Open a restaurant")).click()
    page.wait_for_url(re.compile(rf"/applications/{application.pk}/step/4/"))
    expect(page.locator("h1")).to_have_text("Documents")
    page.get_by_role("link", name="The site").click()
    assert page.get_by_label("Site address").input_value() == "88 Harbour Road, Central District"
    page.get_by_role("link", name="Back").click()
    expect(page.locator("h1")).to_have_text("Your business")
    page.get_by_role("navigation", name="Step 2 of 5").get_by_role("link", name="Documents").click()
    expect(page.locator("h1")).to_have_text("Documents")
    page.get_by_label("Floor plan").set_input_files(pdf("floor-plan.pdf"))
    page.get_by_label("Fire escape plan").set_input_files(pdf("escape.pdf"))
    page.get_by_label("Lease contract or proof of ownership").set_input_files(pdf("lease.pdf"))
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()

    # Check your answers; the declaration and submit by keyboard only.
    expect(page.locator("h1")).to_have_text("Check your answers before submitting")
    assert page.get_by_text("Golden Dragon Noodle House").count() == 1
    assert page.get_by_role("link", name="floor-plan.pdf").count() == 1
    assert page.get_by_role("link", name="Change Business name").count() == 1
    assert_accessible(page)
    assert_fits_narrow_screen(page)
    submit = page.get_by_role("button", name="Submit application")
    submit.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # without the declaration
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link", name="Confirm that your answers are true and complete.")).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Change Lease contract")).focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "declaration"
    page.keyboard.press("Space")
    assert page.get_by_label(re.compile("^I declare")).is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Submit application"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Confirmation: reference, departments by stage, expected date, receipt.
    page.wait_for_url(re.compile(r"/submitted/$"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert page.locator(".reference").inner_text() == application.reference
    for name in ("Public Health Bureau", "Taxation Bureau", "Fire and Rescue Department"):
        assert page.get_by_text(name).count() == 1
    assert page.get_by_text("Expected date of the first decisions").count() == 1
    assert_accessible(page)
    assert_fits_narrow_screen(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your receipt (PDF)").click()
    assert download.value.suggested_filename == f"{application.reference}-receipt.pdf"
    with open(download.value.path(), "rb") as receipt:
        assert receipt.read(5) == b"%PDF-"

    # Each department's status.
    page.get_by_role("link", name="Follow your application").click()
    expect(page.locator(".timeline-item")).to_have_count(4)
    assert page.get_by_text("In the department's queue").count() == 3
    assert page.get_by_text("Waiting for an earlier stage").count() == 1
    assert_accessible(page)
    assert_fits_narrow_screen(page)

    # Health asks for a correction; the citizen answers it.
    workflow.application_route(application_ids=[application.pk])
    decide(application, "health", officers, "correction", correction_fields=["seating_capacity", "floor_plan"],
           message="Count the outdoor seats too, and mark them on the plan.")
    decide(application, "tax", officers)
    page.reload()
    assert page.get_by_text("Count the outdoor seats too, and mark them on the plan.").count() >= 1
    assert page.get_by_text("Decision due").count() >= 1
    assert_accessible(page)
    page.get_by_role("link", name="Answer the correction request").click()
    expect(page.locator("h1")).to_have_text("Correct your application")
    assert page.get_by_label("Number of seats").input_value() == "40"
    assert page.get_by_label("Business name").count() == 0
    assert_accessible(page)
    page.get_by_role("button", name="Remove floor-plan.pdf").click()
    expect(page.get_by_text("“floor-plan.pdf” was removed.")).to_have_count(1)
    page.get_by_label("Number of seats").fill("56")
    page.get_by_label("Floor plan").set_input_files(pdf("floor-plan-v2.pdf"))
    page.get_by_role("button", name="Send corrections").click()
    expect(page.get_by_text("Your corrections were sent to the departments.")).to_have_count(1)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.answers["seating_capacity"] == 56
    assert list(application.attachments.filter(field_key="floor_plan").values_list("original_name", flat=True)) == [
        "floor-plan-v2.pdf"]
    assert_accessible(page)

    # Stage 1, then stage 2, approve; the worker would render the permit.
    for code in ("registration", "health"):
        decide(application, code, officers, conditions="Display the licence at the entrance." if code == "health" else "")
    assert application.reviews.get(department__code="fire").status == ReviewStatus.PENDING
    decide(application, "fire", officers)
    permit = Permit.objects.get(application=application)
    assert permit_render(permit_id=permit.pk) == "rendered"

    page.reload()
    assert page.get_by_text("Permit issued").count() >= 1
    assert page.get_by_text("Display the licence at the entrance.").count() == 1
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download your permit {permit.number} (PDF)").click()
    assert download.value.suggested_filename == f"{permit.number}.pdf"
    with open(download.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"

    page.get_by_role("link", name="My applications", exact=True).first.click()
    expect(page.get_by_role("heading", name="Finished")).to_have_count(1)
    assert_accessible(page)

    # The key pages again, in Simplified Chinese.
    page.goto("/")
    page.get_by_label("Language").select_option("zh-hans")  # choosing is enough
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert_accessible(page)
    page.get_by_role("searchbox").fill("开办餐饮店")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.get_by_role("link", name="开办餐饮店")).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("link", name="开办餐饮店").click()
    expect(page.locator("h1")).to_have_text("开办餐饮店")
    assert_accessible(page)
    page.locator("form[action$='/start/open-a-restaurant/'] button").click()
    expect(page.locator("h1")).to_have_text("申请人")
    assert_accessible(page)
    second = Application.objects.exclude(pk=application.pk).get()
    assert second.answers["business_name"] == "Golden Dragon Noodle House"  # from the first application
    page.goto(f"/applications/{second.pk}/check/")
    assert_accessible(page)
    page.goto(f"/applications/{application.pk}/")
    expect(page.locator("h1")).to_have_text(application.reference)
    assert_accessible(page)
    page.goto("/applications/")
    assert_accessible(page)
    assert_fits_narrow_screen(page)


def test_another_citizens_pages_are_not_found(page, demo):
    owner = UserFactory(email="owner@example.org")
    service = Service.objects.get(slug="open-a-restaurant")
    draft = workflow.application_start(applicant=owner, service=service, answers={"business_name": "Mine"})
    UserFactory(email="other@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("other@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for url in (f"/applications/{draft.pk}/", f"/applications/{draft.pk}/step/1/", f"/applications/{draft.pk}/check/",
                f"/applications/{draft.pk}/receipt/"):
        assert page.goto(url).status == 404, url
