"""A service guide with its materials and a downloadable template; the printable guide; a progress
check by the reference and code a receipt shows. Real Chromium, axe-core on each page in both
languages."""

import hashlib
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from approvals import workflow
from catalogue.models import GuideFile
from catalogue.tests.conftest import DEMO
from tests.browser.steps import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def in_chinese(page):
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_a_guide_lists_its_materials_and_a_template_downloads(page, assert_accessible, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO), verbosity=0)

    page.goto("/services/open-a-restaurant/")
    page.get_by_role("link", name="Read the service guide").click()
    expect(page.get_by_role("heading", name="Service guide", level=2)).to_be_visible()
    table = page.get_by_role("table", name=re.compile("^Materials for “Open a restaurant”"))
    expect(table.get_by_role("rowheader")).to_have_text([
        "Identity document of the legal representative", "Lease contract or proof of ownership of the premises",
        "Declaration on the use of leased premises", "Floor plan of the premises, to scale", "Fire escape plan"])
    expect(page.get_by_text("This guide is not yet complete")).to_have_count(0)
    assert_accessible(page)

    with page.expect_download() as download:
        table.get_by_role("link", name=re.compile("^Download floor-plan-sample.pdf")).click()
    saved = download.value
    assert saved.suggested_filename == "floor-plan-sample.pdf"
    content = open(saved.path(), "rb").read()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == GuideFile.objects.get(
        service__slug="open-a-restaurant", name="floor-plan-sample.pdf").sha256

    page.get_by_role("link", name="Printable version of the guide").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a restaurant")
    page.emulate_media(media="print")
    expect(page.locator("header.portal-header, .portal-header").first).to_be_hidden()
    expect(page.get_by_role("table", name=re.compile("^Materials for"))).to_be_visible()
    page.emulate_media(media="screen")
    assert_accessible(page)

    in_chinese(page)
    expect(page.get_by_role("heading", name="办事指南", level=2)).to_be_visible()
    assert_accessible(page)
    page.goto("/services/open-a-restaurant/")
    expect(page.get_by_role("table", name=re.compile("^“开办餐饮店”的申请材料")).get_by_role("rowheader")).to_have_count(5)
    assert_accessible(page)


def test_a_progress_check_with_the_code_from_the_receipt(page, assert_accessible, submit, citizen, officers):
    application = submit()
    review = application.reviews.get(department__code="registration")
    workflow.review_decide(review_id=review.pk, actor=officers["registration"], decision="approve")

    # The citizen reads the reference and the code on the receipt.
    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(f"/applications/{application.pk}/submitted/")
    reference = page.locator(".reference").inner_text()
    code = page.locator(".check-code").inner_text()
    assert (reference, code.replace("-", "")) == (application.reference, application.check_code)
    assert_accessible(page)
    page.goto(f"/applications/{application.pk}/")
    expect(page.locator(".check-code")).to_have_text(code)
    assert_accessible(page)
    in_chinese(page)
    assert_accessible(page)
    page.goto(f"/applications/{application.pk}/submitted/")
    expect(page.locator(".check-code")).to_have_text(code)
    expect(page.get_by_text(re.compile("^凭受理编号和此查询码，任何人无需登录即可在"))).to_have_count(1)
    assert_accessible(page)
    page.context.clear_cookies()

    # Anyone holding them, without signing in.
    page.goto("/progress/")
    assert_accessible(page)
    page.get_by_label("Application reference").fill(reference)
    page.get_by_label("Check code").fill(code.lower())
    page.get_by_role("button", name="Check progress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Progress of {reference}")
    assert "code" not in page.url and code not in page.url
    table = page.get_by_role("table", name="Each department's review of “Open a restaurant”")
    expect(table.get_by_role("row")).to_have_text([
        "Department Status", "Registration Bureau Approved", "Health Bureau Pending", "Tax Bureau Pending",
        "Fire Bureau Pending"], use_inner_text=True)
    body = page.locator("main").inner_text()
    for personal in (citizen.full_name, citizen.email, "Golden Dragon", "1 Harbour Road", "plan.pdf"):
        assert personal not in body
    assert_accessible(page)

    page.goto("/progress/")
    in_chinese(page)
    page.get_by_label("受理编号").fill(reference)
    page.get_by_label("查询码").fill("K7PM2QXD" if application.check_code != "K7PM2QXD" else "K7PM2QXE")
    page.get_by_role("button", name="查询进度").click()
    expect(page.get_by_role("alert")).to_have_text("没有与该受理编号和查询码相符的申请。请对照回执核对后重试。")
    assert_accessible(page)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询进度").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{reference} 的办理进度")
    assert_accessible(page)
