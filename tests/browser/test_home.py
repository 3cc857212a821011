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


def test_a_service_page_says_when_each_review_is_made_and_each_question_asked(page, demo_catalogue, assert_accessible):
    page.goto("/services/open-a-retail-shop/")
    conditions = page.locator("ul.review-conditions > li")
    expect(conditions).to_have_text([
        "Urban Management Bureau: reviews only when Will you put up a shop sign?: yes"
        "Otherwise: Shop sign review not needed: no shop sign is planned",
        "Fire and Rescue Department: reviews only when Floor area (m²) is more than 20"
        "Otherwise: Fire safety check not needed: a floor area of 20 m² or less",
    ])
    sign = page.get_by_role("listitem").filter(has_text="Text on the sign")
    expect(sign.locator(".field-condition")).to_have_text("Asked only when Will you put up a shop sign?: yes")
    assert_accessible(page)

    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(conditions.last).to_contain_text("消防救援大队：仅在经营面积（平方米）超过20时审核")
    expect(sign.locator(".field-condition")).to_have_count(0)  # the item is worded in Chinese now
    expect(page.get_by_role("listitem").filter(has_text="招牌文字").locator(".field-condition")).to_have_text(
        "仅在是否设置店招标牌？：是时询问")
    assert_accessible(page)
