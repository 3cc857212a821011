"""Managers' pages in real Chromium on a generated history: the dashboard, its filters, the
scorecard, bottlenecks and the auditor's log, each with axe-core finding no violation; the dashboard
is photographed (DASHBOARD_SCREENSHOT_DIR=docs/screenshots to refresh the README's picture)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from audit.models import Action, AuditEvent
from tests.factories import UserFactory

from .test_officer_journey import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_manager_reads_the_dashboard_scorecard_and_bottlenecks(page, assert_accessible, history, tmp_path):
    manager = UserFactory(email="manager@example.gov", full_name="Zhou Min", role=Role.MANAGER)
    sign_in(page, manager.email)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.get_by_role("img", name="Submissions per week")).to_be_visible()
    expect(page.get_by_role("table").first).to_be_visible()
    assert_accessible(page)
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(folder / "dashboard-en-1280.png"), full_page=True)

    page.get_by_label("Department", exact=True).select_option("fire")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table", name="Backlog by department and stage")).to_contain_text("Fire")
    page.get_by_label("From", exact=True).fill("2026-05-01")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("is after the end date")
    assert_accessible(page)

    page.get_by_role("link", name="Department scorecard").click()
    expect(page.get_by_text("0.4 × decided in time %")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Bottlenecks").click()
    expect(page.get_by_role("table", name="Open reviews waiting longest")).to_be_visible()
    assert_accessible(page)
    # Every look is on record, the refused (reversed dates) one too.
    looks = AuditEvent.objects.filter(actor=manager, action=Action.DASHBOARD_VIEWED).order_by("id")
    # Signing in lands a manager on the dashboard: that is the first look; opening it again within
    # the minute is the same visit (audit.services.access_record), the filtered and refused looks are others.
    assert [e.object_id for e in looks] == ["dashboard", "dashboard", "dashboard", "scorecard", "bottlenecks"]
    assert looks[2].details == {"refused": "invalid filters"}


def test_auditor_browses_the_audit_log(page, assert_accessible, history):
    auditor = UserFactory(email="auditor@example.gov", full_name="Qian Li", role=Role.AUDITOR)
    sign_in(page, auditor.email)
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("h1")).to_have_text("Audit log")
    page.get_by_label("Action", exact=True).select_option("dashboard.viewed")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table")).to_contain_text("No event matches these filters.")
    assert_accessible(page)
    # Signing in lands an auditor on the log, and the link opens it again within the minute: one
    # visit (audit.services.access_record); the filtered look is another.
    assert AuditEvent.objects.filter(actor=auditor, action=Action.AUDIT_LOG_VIEWED).count() == 2
