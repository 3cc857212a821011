"""Checking a permit in real Chromium, as an inspector would: open the address of its QR code
(number and verification code: what the permit prints), type its number (valid or not, nothing
more), upload its file; a supervisor revokes it from the staff page and the same address then
says revoked. Two supervisors correct a permit (four eyes), by keyboard. axe-core checks every
page on the way."""

import re
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from playwright.sync_api import expect

from approvals.permit_flow import permit_render
from permits.models import Permit, PermitStatus
from permits.tests.conftest import approve_all, local_copy
from tests.engine_fixtures import submitted_application
from tests.factories import PASSWORD

from .steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def issued_permit(restaurant, citizen, officers):

    permit = approve_all(submitted_application(restaurant, citizen), officers)
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()
    return permit


def test_an_inspector_checks_a_permit_and_a_supervisor_revokes_it(
        page, assert_accessible, restaurant, citizen, officers, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    permit = issued_permit(restaurant, citizen, officers)
    permit_file = local_copy(permit, tmp_path)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", permit_file, str(tmp_path / "page")], check=True)
    qr = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True).stdout.strip()
    path = qr.removeprefix(settings.SITE_URL)
    assert path == reverse("permits:verify_code", args=[permit.number, permit.verify_code])

    page.goto(path)
    expect(page.get_by_role("status")).to_contain_text(f"Permit {permit.number} was issued by this portal and is valid.")
    expect(page.locator("dl")).to_contain_text("Wang Fang")
    expect(page.locator("dl")).to_contain_text("1 Harbour Road")
    assert_accessible(page)

    page.get_by_role("link", name="Check another permit, or a permit file").click()
    page.get_by_label("Permit number").fill("p-2026-99999")
    page.get_by_role("button", name="Check the number").click()
    expect(page.get_by_role("alert").first).to_contain_text("This is not a permit number.")
    assert_accessible(page)
    page.get_by_label("Permit number").fill(permit.number.lower())
    page.get_by_role("button", name="Check the number").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("permits:verify", args=[permit.number])) + "$"))
    expect(page.get_by_role("status")).to_contain_text(f"Permit {permit.number} was issued by this portal and is valid.")
    expect(page.locator("main")).not_to_contain_text("Wang Fang")
    expect(page.locator("main")).not_to_contain_text("Harbour Road")
    assert_accessible(page)

    page.goto(reverse("permits:verify_start"))
    page.get_by_label("The permit file (PDF)").set_input_files(permit_file)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status").first).to_contain_text("Yes: this file is exactly the one this portal issued.")
    assert_accessible(page)

    sign_in(page, email=officers["health_supervisor"].email, password=PASSWORD)
    page.get_by_role("link", name="Permits").click()
    assert_accessible(page)
    page.get_by_role("link", name=permit.number).click()
    assert_accessible(page)
    page.get_by_label("Reason for the revocation").fill("Kitchen closed by the inspection of 2 December.")
    page.get_by_role("button", name="Revoke the permit").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Permit {permit.number} is revoked.")
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.REVOKED

    page.goto(path)
    expect(page.get_by_role("status")).to_contain_text(f"Permit {permit.number} was revoked on")
    expect(page.locator("main")).not_to_contain_text("Kitchen closed by the inspection of 2 December.")
    assert_accessible(page)
    assert default_storage.exists(permit.file.name)  # a revoked permit's file is kept
    page.goto(reverse("permits:verify", args=[permit.number]))
    expect(page.get_by_role("alert")).to_contain_text(f"No valid permit has the number {permit.number}")


def test_two_supervisors_correct_a_permit_by_keyboard(
        page, assert_accessible, restaurant, citizen, officers, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    permit = issued_permit(restaurant, citizen, officers)

    sign_in(page, email=officers["registration_supervisor"].email, password=PASSWORD)
    page.goto(reverse("permits:manage", args=[permit.number]))
    page.get_by_label("Holder").fill("Li Lei")
    page.get_by_label("What was corrected, and why").fill("The business was sold to Li Lei.")
    page.get_by_role("button", name="Propose the correction").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text(
        f"Your correction of permit {permit.number} waits for the approval of a second supervisor.")
    expect(page.get_by_role("status").last).to_contain_text("A correction of this permit waits for a second supervisor")
    assert_accessible(page)
    page.get_by_role("link", name="Open the correction").click()
    expect(page.get_by_role("button", name="Approve and issue the corrected permit")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, email=officers["fire_supervisor"].email, password=PASSWORD)
    page.goto(reverse("permits:manage_list"))
    page.get_by_role("link", name="1 correction waits for a second supervisor").click()
    assert_accessible(page)
    page.get_by_role("link", name=f"Review the correction of permit {permit.number}").click()
    expect(page.get_by_role("table")).to_contain_text("Wang Fang")
    expect(page.get_by_role("table")).to_contain_text("Li Lei")
    assert_accessible(page)
    page.get_by_role("button", name="Approve and issue the corrected permit").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("is issued in place of the old one")
    new = Permit.objects.get(replaces=permit)
    expect(page.locator(".alert-success")).to_contain_text(f"Permit {new.number} is issued in place of the old one")
    expect(page.locator("dl")).to_contain_text("Li Lei")
    assert_accessible(page)
