"""The permit finder in real Chromium on a catalogue built for the test (conditions from the
factories, not the demo's): exactly the permits that apply to a 20-seat noodle shop and why fire
safety is not needed; 80 seats with gas cooking adds it; the keyboard alone; without JavaScript;
printed; axe-core on every page in English and Chinese."""

import pytest
from playwright.sync_api import expect

from finder.tests.catalogue import noodle_catalogue

from .test_keyboard_journey import press_button, tab_to

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/finder/open-a-restaurant/"
FIRE_NOT_NEEDED = "Fire Safety review not needed: Number of seats is 50 or less and Gas cooking: no"


@pytest.fixture
def finder():
    return noodle_catalogue()


def permits(page) -> list[str]:
    return page.locator(".finder-permit h4").all_inner_texts()


def reviewers(page, index: int = 0) -> str:
    return page.locator(".finder-permit").nth(index).locator("dd").first.inner_text()


def test_a_20_seat_noodle_shop_then_80_seats_with_gas(page, finder, assert_accessible):
    page.goto("/finder/")
    assert_accessible(page)
    page.get_by_role("link", name="Open a restaurant").click()
    assert page.locator("h1").inner_text() == "Open a restaurant"
    assert_accessible(page)

    page.get_by_role("group", name="What will you serve?").get_by_label("Chinese").check()
    page.get_by_label("Number of seats").fill("20")
    page.get_by_role("group", name="Gas cooking").get_by_label("No").check()
    page.get_by_role("group", name="Will you put up a shop sign?").get_by_label("No").check()
    page.get_by_role("button", name="Show what applies").click()

    assert permits(page) == ["Open a restaurant"]
    assert reviewers(page).splitlines() == [
        "Business Registration (up to 3 working days)", "Public Health (up to 5 working days)",
        "Taxation (up to 2 working days)"]
    expect(page.locator(".finder-not-needed li")).to_have_text([FIRE_NOT_NEEDED])
    expect(page.locator(".finder-not-applying li")).to_have_text(["Put up a shop sign: Will you put up a shop sign?: no"])
    expect(page.locator("#finder-result-title")).to_be_focused()
    expect(page.locator("#finder-link")).to_have_value(
        f"{page.url.split('?')[0]}?cuisine=chinese&seats=20&uses_gas=false&plans_sign=false")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-finder-copied]")).to_have_text("Link copied")
    assert_accessible(page)

    # Changing answers changes the list: the answers stay in the form.
    expect(page.get_by_label("Number of seats")).to_have_value("20")
    page.get_by_label("Number of seats").fill("80")
    page.get_by_role("group", name="Gas cooking").get_by_label("Yes").check()
    page.get_by_role("button", name="Show what applies").click()

    assert permits(page) == ["Open a restaurant"]
    assert reviewers(page).splitlines() == [
        "Business Registration (up to 3 working days)", "Public Health (up to 5 working days)",
        "Taxation (up to 2 working days)", "Fire Safety (up to 5 working days)"]
    expect(page.locator(".finder-not-needed")).to_have_count(0)
    expect(page.get_by_text("Up to 10 working days from the day you submit")).to_be_visible()
    assert_accessible(page)


def test_the_finder_with_the_keyboard_alone(page, finder, assert_accessible):
    page.goto(URL)

    tab_to(page, "#id_cuisine_0")
    page.keyboard.press("Space")  # Chinese
    tab_to(page, "#id_seats")
    page.keyboard.type("80")
    tab_to(page, "#id_uses_gas_0")
    page.keyboard.press("Space")  # Yes
    tab_to(page, "#id_plans_sign_0")
    page.keyboard.press("ArrowDown")  # No
    press_button(page, "button[name=show]")

    expect(page.locator("#finder-result-title")).to_be_focused()
    assert permits(page) == ["Open a restaurant"]
    assert "Fire Safety (up to 5 working days)" in reviewers(page)
    assert page.url.endswith("?cuisine=chinese&seats=80&uses_gas=true&plans_sign=false&show=1")
    # The permit's page and its "Apply" are reached by Tab too.
    tab_to(page, ".finder-permit a[href$='?cuisine=chinese&seats=80&uses_gas=true&plans_sign=false']")
    assert_accessible(page)


def test_a_mistake_is_summarised_and_focused(page, finder, assert_accessible):
    page.goto(f"{URL}?seats=5000")

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Enter the number of seats between 1 and 2000."])
    summary.get_by_role("link").click()
    expect(page.get_by_label("Number of seats")).to_be_focused()
    assert_accessible(page)


def test_the_finder_speaks_chinese(page, finder, assert_accessible):
    page.goto("/finder/")
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.locator("h1").inner_text() == "办事指引"
    assert_accessible(page)

    page.goto(f"{URL}?cuisine=chinese&seats=20&uses_gas=false&plans_sign=false")
    assert page.locator("h1").inner_text() == "开办餐饮店"
    assert permits(page) == ["开办餐饮店"]
    expect(page.locator(".finder-not-needed li")).to_have_text(["无需消防救援审核：座位数不超过50且使用燃气烹饪：否"])
    assert_accessible(page)


def test_without_javascript_and_printed(chromium, live_server, finder, settings):
    settings.ALLOWED_HOSTS = ["*"]
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(URL)
        page.get_by_label("Number of seats").fill("20")
        page.get_by_role("group", name="Gas cooking").get_by_label("No").check()
        page.get_by_role("button", name="Show what applies").click()
        expect(page.locator(".finder-not-needed li")).to_have_text([FIRE_NOT_NEEDED])
        # Copy and Print need JavaScript: the link is shown instead, and the browser prints.
        expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
        expect(page.locator("#finder-link")).to_be_visible()

        page.emulate_media(media="print")
        expect(page.locator("form.finder-form")).to_be_hidden()
        expect(page.locator(".portal-header")).to_be_hidden()
        expect(page.locator(".finder-result")).to_be_visible()
        expect(page.get_by_role("link", name="Apply: Open a restaurant")).to_be_hidden()
    finally:
        context.close()
