"""Site chrome in real Chromium: the error pages, the footer's pages, the header at 1280 px and
on a phone, the larger-text mode and wide tables. Every page checked by axe-core."""

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import expect

from accounts.models import User
from approvals.models import Application, ApplicationStatus
from departments.models import MembershipRole
from tests.client import PortalClient
from tests.factories import DepartmentFactory, UserFactory, officer

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


@pytest.mark.parametrize(("status", "heading"), [
    (403, "您无权打开此页面"), (429, "请求过于频繁"), (500, "抱歉，我们这边出了问题"),
])
def test_the_other_error_pages(page, site_pages, assert_accessible, settings, status, heading):
    settings.ROOT_URLCONF = "portal.tests.error_urls"  # views that fail on purpose
    page.goto("/")
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": page.url}])
    response = page.goto(f"/test-errors/{status}/")
    assert response.status == status
    assert page.locator("h1").inner_text() == heading
    assert page.get_by_role("link", name="前往首页").count() == 1
    assert_accessible(page)


def test_the_file_store_unavailable_page(page, site_pages, assert_accessible, settings):
    settings.ROOT_URLCONF = "portal.tests.error_urls"
    response = page.goto("/test-errors/503/")
    assert (response.status, response.headers["retry-after"]) == (503, "120")
    assert page.locator("h1").inner_text() == "Files cannot be stored or opened just now"
    assert page.get_by_role("alert").inner_text() == (
        "The store that keeps files did not answer. Nothing was saved from this request, and nothing saved before was "
        "lost. Try again in a few minutes.")
    assert page.get_by_role("link", name="Go to the home page").count() == 1
    assert_accessible(page)


def test_the_too_large_page(page, site_pages, assert_accessible, settings):
    settings.ROOT_URLCONF = "portal.tests.error_urls"
    response = page.goto("/test-errors/413/")
    assert response.status == 413
    assert page.locator("h1").inner_text() == "What you sent is too large"
    assert page.get_by_role("link", name="Go back to the previous page").get_attribute("href") == "/test-errors/413/"
    assert_accessible(page)


def test_footer_page(page, site_pages, assert_accessible):
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    page.wait_for_url("**/accessibility/")
    assert page.locator("h1").inner_text() == "Accessibility statement"
    assert page.get_by_text("Web Content Accessibility Guidelines (WCAG) 2.1, level AA").count() == 1
    assert_accessible(page)


# --- The header -------------------------------------------------------------------------------

def sign_in_as(page, user):
    """Sign in by session cookie (the sign-in form has tests of its own)."""
    client = PortalClient()
    client.force_login(user)
    page.goto("/")
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": page.url}])


def set_language(page, language):
    page.goto("/")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])


HEADER_ROWS = """() => {
  const header = document.querySelector('.portal-header');
  const items = [...header.querySelectorAll('.navbar-brand, .nav-item')].filter(e => e.offsetParent !== null);
  const centers = items.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
  const rights = items.map(e => e.getBoundingClientRect().right);
  const squeezed = items.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim());
  return {count: items.length, squeezed, spread: Math.max(...centers) - Math.min(...centers),
          height: header.getBoundingClientRect().height, right: Math.max(...rights),
          viewport: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth,
          lineHeight: parseFloat(getComputedStyle(header.querySelector('.nav-link')).lineHeight)};
}"""


def staff_with_most_links():

    supervisor = officer(DepartmentFactory(code="registration"), role=MembershipRole.SUPERVISOR)
    User.objects.filter(pk=supervisor.pk).update(full_name="Supervisor (registration)")
    admin = User.objects.create_superuser(email="admin@example.gov", password="x-very-secret-1",
                                          full_name="Administrator")
    return {"supervisor": User.objects.get(pk=supervisor.pk), "admin": admin}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_header_is_one_line_at_1280(page, language, assert_accessible):
    page.set_viewport_size({"width": 1280, "height": 900})
    people = staff_with_most_links()
    set_language(page, language)
    for who in ["visitor", "supervisor", "admin"]:
        if who != "visitor":
            sign_in_as(page, people[who])
        page.goto("/")
        assert page.locator("html").get_attribute("lang") == language
        header = page.evaluate(HEADER_ROWS)
        # Every item (brand, links, name, sign-out, text size, language) on one row, inside the page.
        assert header["count"] == (8 if who == "visitor" else 12), (who, header)
        assert header["spread"] <= 4, (who, header)
        assert header["squeezed"] == [], (who, header)
        assert header["height"] < 2 * header["lineHeight"] + 40, (who, header)
        assert header["right"] <= header["viewport"] and header["scroll"] == header["viewport"], (who, header)
        assert page.get_by_role("button", name={"en": "Menu", "zh-hans": "菜单"}[language]).is_hidden()
    assert_accessible(page)


def test_header_folds_into_a_menu_on_a_phone(page, assert_accessible):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    menu = page.get_by_role("button", name="Menu")
    search_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Search")
    assert menu.get_attribute("aria-controls") == "portal-nav"
    assert menu.get_attribute("aria-expanded") == "false"
    assert search_link.is_hidden()
    assert_accessible(page)
    # With the keyboard: Tab to the button, Enter opens the menu, Enter again closes it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('navbar-toggler')"):
            break
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(search_link).to_be_visible()
    expect(page.locator("#portal-nav")).to_have_class("navbar-collapse collapse show")  # opened fully
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Services"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(search_link).to_be_hidden()


def test_without_javascript_the_menu_is_open_and_the_language_has_a_button(chromium, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB",
                                   viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto("/")
        assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").is_visible()
        assert page.get_by_role("button", name="Menu").is_hidden()
        page.get_by_label("Language").select_option("zh-hans")
        assert page.locator("html").get_attribute("lang") == "en"  # nothing happens until the button
        page.get_by_role("button", name="Change language").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "zh-hans"
    finally:
        context.close()


# --- Larger text ------------------------------------------------------------------------------

ROOT_FONT = "parseFloat(getComputedStyle(document.documentElement).fontSize)"


def test_larger_text_is_remembered_for_a_visitor_and_on_the_account(page, assert_accessible):

    page.goto("/search/")
    assert page.evaluate(ROOT_FONT) == 16
    switch = page.get_by_role("button", name="Larger text")
    assert switch.get_attribute("aria-pressed") == "false"
    switch.click()
    page.wait_for_url("**/search/")
    assert page.evaluate(ROOT_FONT) == 20
    assert page.get_by_role("button", name="Larger text").get_attribute("aria-pressed") == "true"
    assert_accessible(page)
    page.goto("/")
    assert page.evaluate(ROOT_FONT) == 20  # a cookie remembers it
    page.get_by_role("button", name="Larger text").click()
    page.wait_for_load_state()
    assert page.evaluate(ROOT_FONT) == 16

    citizen = UserFactory(email="reader@example.org")
    sign_in_as(page, citizen)
    page.goto("/")
    page.get_by_role("button", name="Larger text").click()
    page.wait_for_load_state()
    assert page.evaluate(ROOT_FONT) == 20
    assert User.objects.get(pk=citizen.pk).large_text is True
    page.context.clear_cookies()
    sign_in_as(page, citizen)  # another device: the account remembers
    page.goto("/")
    assert page.evaluate(ROOT_FONT) == 20


# --- Wide tables ------------------------------------------------------------------------------

TABLES = """() => [...document.querySelectorAll('main table')].map(t => {
  const box = t.closest('.table-responsive');
  const r = (box || t).getBoundingClientRect();
  const scrolls = box ? box.scrollWidth > box.clientWidth + 1 : false;
  return {caption: (t.caption ? t.caption.textContent.trim() : '').slice(0, 40), inBox: !!box,
          right: r.right, main: document.querySelector('main').getBoundingClientRect().right,
          viewport: document.documentElement.clientWidth, pageScroll: document.documentElement.scrollWidth,
          tableRight: t.getBoundingClientRect().right, scrolls,
          focusable: box ? box.tabIndex === 0 : false, role: box ? box.getAttribute('role') : null,
          label: box ? (box.getAttribute('aria-label') || '') : ''};
})"""


@pytest.fixture
def demo(settings, tmp_path):
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PORTAL_VAR_DIR = str(tmp_path)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("rebuild_stats", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_wide_tables_stay_inside_the_page_at_1280(page, demo, language, assert_accessible):

    page.set_viewport_size({"width": 1280, "height": 900})
    set_language(page, language)
    sign_in_as(page, User.objects.get(email="admin@demo.example.gov"))
    for url in ["/dashboards/", "/dashboards/scorecard/", "/audit/"]:
        page.goto(url)
        tables = page.evaluate(TABLES)
        assert tables, url
        for table in tables:
            assert table["inBox"], (url, table)
            assert table["right"] <= table["main"] <= table["viewport"], (url, table)
            assert table["pageScroll"] == table["viewport"], (url, table)
            # A table wider than its box scrolls inside it, and the box is a labelled keyboard stop.
            if table["scrolls"]:
                assert (table["focusable"], table["role"]) == (True, "region"), (url, table)
                assert table["label"], (url, table)
            else:
                assert table["tableRight"] <= table["right"] + 1, (url, table)
        assert_accessible(page)


# --- 200 % text -------------------------------------------------------------------------------

LAYOUT_PROBLEMS = """() => {
  const visible = e => e.offsetParent !== null && e.getClientRects().length;
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) problems.push('page scrolls sideways: ' + doc.scrollWidth + ' ' +
    [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1)
      .map(e => e.tagName + '.' + e.className).slice(0, 5).join(' | '));
  // Text cut off: a box that hides overflow but whose content is larger (scrolling tables and the
  // header's shortened name, whole in its title, excepted).
  for (const e of document.querySelectorAll('body *')) {
    if (!visible(e) || e.closest('.table-responsive, .visually-hidden, .visually-hidden-focusable')
        || e.matches('.user-name, select, option, input, textarea')) continue;
    const style = getComputedStyle(e);
    if (['hidden', 'clip'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1)
      problems.push('cut off: ' + e.tagName + '.' + e.className + ' ' + e.textContent.trim().slice(0, 30));
  }
  // Overlap: no two interactive elements or headings on top of each other.
  const items = [...document.querySelectorAll('a, button, input, select, textarea, label, h1, h2, h3')]
    .filter(e => visible(e) && !e.closest('.visually-hidden, .visually-hidden-focusable'));
  const rects = items.map(e => e.getBoundingClientRect());
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    if (items[i].contains(items[j]) || items[j].contains(items[i])) continue;
    if (items[i].tagName === 'LABEL' && items[i].control === items[j]) continue;
    if (items[j].tagName === 'LABEL' && items[j].control === items[i]) continue;
    const a = rects[i], b = rects[j];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 2 && h > 2) problems.push('overlap: ' + items[i].textContent.trim().slice(0, 25) + ' / ' +
                                      items[j].textContent.trim().slice(0, 25));
  }
  return problems;
}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_stay_usable_at_200_percent_text(page, demo, language):
    """Text at 200 % (the root font size doubled, as a browser's text-size setting does): the home
    page, a page of the combined form and the officer's queue show everything, nothing on top of
    anything else, at 1280 px and on a phone."""

    draft = Application.objects.filter(status=ApplicationStatus.DRAFT).select_related("applicant").first()
    officer = User.objects.get(email="officer.health@demo.example.gov")
    set_language(page, language)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for who, url in [(None, "/"), (draft.applicant, f"/applications/{draft.pk}/step/1/"),
                         (officer, "/officer/")]:
            page.context.clear_cookies()
            set_language(page, language)
            if who:
                sign_in_as(page, who)
            page.goto(url)
            assert page.locator("html").get_attribute("lang") == language
            page.add_style_tag(content="html { font-size: 200% !important; }")
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == 32
            problems = page.evaluate(LAYOUT_PROBLEMS)
            assert problems == [], (width, url, problems)


def test_menu_and_language_switch_work_under_the_content_security_policy(chromium, live_server, settings):
    """The other tests let axe-core in by bypassing the CSP; this one keeps it, as a visitor has it."""
    settings.ALLOWED_HOSTS = ["*"]
    context = chromium.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        violations = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        response = page.goto("/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        menu = page.get_by_role("button", name="Menu")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("button", name="Change language")).to_be_hidden()
        page.get_by_label("Language").select_option("zh-hans")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        assert violations == []
    finally:
        context.close()
