"""Site chrome in real Chromium: the error pages, the footer's pages, the header at 1280 px and
on a phone, the larger-text mode and wide tables. Every page checked by axe-core."""

import importlib

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_pages():
    importlib.import_module("portal.migrations.0002_site_page_content").seed(apps, None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_not_found_page(page, site_pages, assert_accessible, language):
    page.goto("/")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/search/")
    response = page.goto("/no-such-page/", referer=page.url)
    assert response.status == 404
    heading = {"en": "Page not found", "zh-hans": "找不到该页面"}[language]
    assert page.locator("h1").inner_text() == heading
    assert_accessible(page)
    # The way back leads to where the visitor was.
    back = {"en": "Go back to the previous page", "zh-hans": "返回上一页"}[language]
    page.get_by_role("link", name=back).click()
    page.wait_for_url("**/search/")
    assert "/search/" in page.url


def test_footer_page(page, site_pages, assert_accessible):
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    page.wait_for_url("**/accessibility/")
    assert page.locator("h1").inner_text() == "Accessibility statement"
    assert page.get_by_text("Web Content Accessibility Guidelines (WCAG) 2.1, level AA").count() == 1
    assert_accessible(page)
