"""Checking a permit in real Chromium, as an inspector would: open the address of its QR code,
type its number, upload its file; a supervisor revokes it from the staff page and the same
address then says revoked. axe-core checks every page on the way."""

import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.permit_flow import permit_render
from permits.models import Permit, PermitStatus
from permits.tests.conftest import approve_all
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
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", permit.file.path, str(tmp_path / "page")], check=True)
    qr = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True).stdout.strip()
    path = qr.removeprefix(settings.SITE_URL)
    assert path == reverse("permits:verify", args=[permit.number])

    page.goto(path)
    expect(page.get_by_role("status")).to_contain_text(f"Permit {permit.number} was issued by this portal and is valid.")
    expect(page.locator("dl")).to_contain_text("W*** F***")
    assert_accessible(page)

    page.get_by_role("link", name="Check another permit, or a permit file").click()
    page.get_by_label("Permit number").fill("p-2026-99999")
    page.get_by_role("button", name="Check the number").click()
    expect(page.get_by_role("alert").first).to_contain_text("This is not a permit number.")
    assert_accessible(page)
    page.get_by_label("Permit number").fill(permit.number.lower())
    page.get_by_role("button", name="Check the number").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))

    page.goto(reverse("permits:verify_start"))
    page.get_by_label("The permit file (PDF)").set_input_files(permit.file.path)
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
    expect(page.get_by_role("status")).to_contain_text("Kitchen closed by the inspection of 2 December.")
    assert_accessible(page)
    assert Path(permit.file.path).exists()
