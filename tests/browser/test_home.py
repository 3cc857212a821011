"""The home page and a service page in both languages, in real Chromium, checked by axe-core."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalogue.tests.conftest import DEMO

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_catalogue():
    call_command("load_catalogue", str(DEMO), verbosity=0)


def test_home_and_service_page_in_english_and_chinese(page, demo_catalogue, assert_accessible):
    page.goto("/")
    assert page.locator("h1").first.inner_text() != ""
    assert page.get_by_role("link", name="Open a restaurant", exact=True).count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Open a restaurant", exact=True).click()
    assert page.locator("h1").inner_text() == "Open a restaurant"
    assert_accessible(page)

    # Choosing Chinese in the language switch is enough: the same pages speak Chinese.
    page.goto("/")
    expect(page.get_by_role("button", name="Change language")).to_be_hidden()
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.get_by_role("link", name="开办餐饮店", exact=True).count() == 1
    assert_accessible(page)
    page.get_by_role("link", name="开办餐饮店", exact=True).click()
    assert page.locator("h1").inner_text() == "开办餐饮店"
    assert_accessible(page)
