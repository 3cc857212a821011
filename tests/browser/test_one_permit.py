"""One combined permit (一业一证), in Chromium: a citizen applies once for the convenience store
bundle, each department approves its own part, and one permit is issued for both: downloaded from
the bundle's page, its QR code leads to the verification page listing both permits it stands for.
axe-core checks each new or changed page, in English and in Chinese."""

import re
import subprocess

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import workflow
from approvals.models import Application, BundleApplication
from approvals.permit_flow import permit_render
from departments.models import Department
from permits.models import Permit
from tests.browser.steps import sign_in
from tests.bundle_fixtures import STORE_ANSWERS, demo_bundle
from tests.factories import PASSWORD, PDF_BYTES, UserFactory, officer

pytestmark = pytest.mark.django_db(transaction=True)

CHOSEN = {"taxpayer_type", "cuisine", "plans_sign", "uses_gas"}
FILES = {"floor_plan", "lease_contract"}


def form_names(page) -> list[str]:
    return page.eval_on_selector_all(
        'form[enctype="multipart/form-data"] [name]:not([type=hidden]):not(button)',
        "els => [...new Set(els.map(e => e.name))]")


def in_chinese(page, live_server, path, assert_accessible) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert_accessible(page)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_one_combined_permit_for_opening_a_convenience_store(page, assert_accessible, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_bundle()
    citizen = UserFactory(email="wang.fang@example.org", full_name="Wang Fang")

    page.goto("/life-events/open-a-convenience-store/")
    expect(page.locator(".one-permit-note")).to_contain_text("one combined permit is issued for all of them")
    assert_accessible(page)
    in_chinese(page, live_server, "/life-events/open-a-convenience-store/", assert_accessible)
    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto("/life-events/open-a-convenience-store/")
    page.get_by_role("button", name="Start application").click()
    while "/check/" not in page.url:
        for name in form_names(page):
            field = page.locator(f'[name="{name}"]')
            if name in FILES:
                field.set_input_files({"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
            elif name in CHOSEN:
                field.select_option(STORE_ANSWERS[name])
            elif name in STORE_ANSWERS:
                field.fill(STORE_ANSWERS[name])
        page.get_by_role("button", name="Save and continue").click()
        expect(page.locator(".error-summary")).to_have_count(0)
    page.get_by_label(re.compile("^I declare that my answers are true")).check()
    page.get_by_role("button", name="Submit application").click()
    row = BundleApplication.objects.get()
    expect(page.locator(".bundle-reference")).to_have_text(row.reference)
    expect(page.locator("main")).to_contain_text("Once every part is approved you receive one combined permit")
    assert_accessible(page)
    page.get_by_role("link", name="Your receipt").click()
    expect(page.locator(".one-permit-note")).to_be_visible()
    assert_accessible(page)

    # Each department decides its own part; the last approval issues the one permit.
    for child in Application.objects.filter(bundle_application=row).order_by("pk"):
        for review in child.reviews.select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officer(Department.objects.get(pk=review.department_id)),
                                   decision="approve")
    permit = Permit.objects.get()
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()

    detail = reverse("bundles:detail", args=[row.pk])
    page.goto(detail)
    panel = page.locator(".combined-permit")
    expect(panel).to_contain_text("Your permit is ready")
    with page.expect_download() as download:
        panel.get_by_role("link", name=f"Download your permit {permit.number} (PDF)").click()
    pdf = tmp_path / "permit.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes() == permit.file.open("rb").read()
    assert_accessible(page)
    in_chinese(page, live_server, detail, assert_accessible)
    page.goto("/applications/")
    expect(page.locator(".bundle-item")).to_contain_text(f"Combined permit{permit.number}")
    assert_accessible(page)
    in_chinese(page, live_server, "/applications/", assert_accessible)

    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    qr = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True).stdout.strip()
    path = qr.removeprefix(settings.SITE_URL)
    assert path == reverse("permits:verify_code", args=[permit.number, permit.verify_code])
    page.goto(path)
    expect(page.get_by_role("status")).to_contain_text(f"Permit {permit.number} was issued by this portal and is valid.")
    members = page.locator(".combined-members li")
    expect(members).to_have_count(2)
    expect(members.nth(0)).to_contain_text("Business licence")
    expect(members.nth(1)).to_contain_text("Food operating permit (")
    expect(members.nth(1)).to_contain_text("approved by Public Health Bureau")
    assert_accessible(page)
    in_chinese(page, live_server, path, assert_accessible)
