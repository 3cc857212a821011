"""In real Chromium: the scorecard's month picker is a named-month list used with the keyboard
alone, in English and Chinese; the auditor starts a chain check and the page follows it to its
result by itself, or by a link without JavaScript; axe-core finds nothing on either page."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Role
from audit.models import Action, ChainCheck
from audit.services import Event, audit_record, chain_check_run
from dashboards.forms import month_label
from tests.factories import UserFactory

from .test_officer_journey import sign_in, tab_to

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_the_month_picker_names_months_and_works_with_the_keyboard(page, assert_accessible):
    manager = UserFactory(email="manager@example.gov", full_name="Zhou Min", role=Role.MANAGER)
    sign_in(page, manager.email)
    page.goto("/dashboards/scorecard/")
    this_month = timezone.localdate(timezone=timezone.get_default_timezone()).replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    picker = page.get_by_role("combobox", name="Month")
    expect(picker.locator("option:checked")).to_have_text(month_label(this_month))
    expect(picker.locator("option")).to_have_count(60)
    assert_accessible(page)

    tab_to(page, "el.id === 'id_month'")
    page.keyboard.press("ArrowDown")  # a closed select changes its choice; nothing is sent yet
    assert page.url.endswith("/dashboards/scorecard/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("h2", has_text="Ranking for")).to_have_text(f"Ranking for {month_label(last_month)}")
    expect(page.get_by_role("combobox", name="Month").locator("option:checked")).to_have_text(month_label(last_month))

    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": page.url}])
    page.reload()
    with translation.override("zh-hans"):
        chinese = month_label(this_month)
    assert chinese == f"{this_month.year}年{this_month.month}月"
    expect(page.locator("#id_month option").first).to_have_text(chinese)
    assert_accessible(page)


@pytest.fixture
def checking(monkeypatch):
    """The page's nudges go nowhere: the test runs the task's steps itself, one batch at a time."""
    monkeypatch.setattr("audit.views.chain_check_nudge_on_commit", lambda check_id: None)


def _events(n: int) -> None:

    audit_record(*[Event(action=Action.APPLICATION_VIEWED, object_type="application", object_id=i) for i in range(n)])


def test_the_auditor_follows_a_chain_check_to_its_result(page, assert_accessible, checking):
    auditor = UserFactory(email="auditor@example.gov", full_name="Qian Li", role=Role.AUDITOR)
    _events(30)
    sign_in(page, auditor.email)
    page.goto("/audit/")
    page.get_by_role("link", name="Check the whole chain for a broken link").click()
    expect(page.locator("h1")).to_have_text("Check the audit chain")
    page.get_by_role("button", name="Check the whole chain now").click()
    expect(page.get_by_role("status")).to_contain_text("is waiting for a worker to start it.")
    assert_accessible(page)

    check = ChainCheck.objects.get()
    assert chain_check_run(check_id=check.pk, seconds=0, batch=10) == "continue"
    check.refresh_from_db()
    # The page follows by itself: no reload, no click.
    expect(page.get_by_role("status")).to_contain_text(f"Checking the chain: 10 of {check.total} events verified")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", str(check.percent))
    assert_accessible(page)
    while chain_check_run(check_id=check.pk, seconds=0, batch=10) == "continue":
        pass
    check.refresh_from_db()
    expect(page.get_by_text(f"Intact: all {check.total} events of the chain verified.")).to_be_visible()
    expect(page.get_by_role("button", name="Check the whole chain now")).to_be_visible()
    assert_accessible(page)


def test_without_javascript_the_check_is_followed_by_a_link(chromium, live_server, settings, checking):
    settings.ALLOWED_HOSTS = ["*"]
    auditor = UserFactory(email="auditor@example.gov", full_name="Qian Li", role=Role.AUDITOR)
    _events(12)
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, auditor.email)
        page.goto("/audit/check/")
        page.get_by_role("button", name="Check the whole chain now").click()
        expect(page.get_by_text("is waiting for a worker to start it.")).to_be_visible()
        check = ChainCheck.objects.get()
        chain_check_run(check_id=check.pk, seconds=0, batch=5)
        page.get_by_role("link", name="Show the progress now").click()
        check.refresh_from_db()
        expect(page.get_by_text(f"Checking the chain: 5 of {check.total} events verified")).to_be_visible()
        while chain_check_run(check_id=check.pk, seconds=0, batch=5) == "continue":
            pass
        page.get_by_role("link", name="Show the progress now").click()
        expect(page.get_by_text(f"Intact: all {check.total} events of the chain verified.")).to_be_visible()
    finally:
        context.close()
