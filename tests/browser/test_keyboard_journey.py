"""The citizen journey with the keyboard alone: no click, no fill. Tab moves the focus, keys type
and press; a test that cannot reach a control by Tab fails, as a keyboard user would."""

import pytest
from playwright.sync_api import expect

from approvals.models import Application, ApplicationStatus
from tests.factories import PASSWORD, PDF_BYTES, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MAX_TABS = 80


def tab_to(page, selector: str) -> None:
    """Press Tab until the focused element matches ``selector`` (as a keyboard user would)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector!r} cannot be reached with Tab on {page.url}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press_button(page, selector: str) -> None:
    """Tab to a link or button and press Enter; it leads to a new page."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def intercept_file_choosers(page) -> list:
    """Collect the page's file choosers from now on. Playwright turns interception on when the first
    listener is added, without waiting for it; a chooser opened before that is a native dialog that
    headless Chromium never shows, and it blocks the next ones. So listen from the test's start."""
    choosers: list = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    return choosers


def choose_file_with_keyboard(page, choosers: list, file: dict) -> None:
    """Open the focused file input's chooser with Space (Enter if Space did not open it, as a
    person would try) and pick ``file``."""
    opened = len(choosers)
    for key in ("Space", "Enter"):
        page.keyboard.press(key)
        for _ in range(50):
            if len(choosers) > opened:
                choosers[-1].set_files(file)
                return
            page.wait_for_timeout(100)
    raise AssertionError("the file chooser did not open from the keyboard")


def test_apply_with_the_keyboard_alone(page, assert_accessible, restaurant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    UserFactory(email="keyboard.user@example.org", full_name="Zhou Min")
    choosers = intercept_file_choosers(page)

    page.goto("/")
    # The first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"

    press_button(page, 'a[href="/accounts/login/"]')
    type_into(page, 'input[name="username"]', "keyboard.user@example.org")
    type_into(page, 'input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)

    press_button(page, 'a[href="/services/open-a-restaurant/"]')
    expect(page.locator("h1")).to_have_text("Open a restaurant")
    press_button(page, 'form[action$="/start/open-a-restaurant/"] button[type="submit"]')

    # Step 1: the business.
    type_into(page, 'input[name="business_name"]', "Keyboard Kitchen")
    tab_to(page, 'select[name="cuisine"]')
    page.keyboard.press("ArrowDown")  # the first real choice after "—"
    type_into(page, 'input[name="seats"]', "24")
    assert_accessible(page)
    press_button(page, 'button[type="submit"][name="continue"], button[type="submit"]:not([name])')

    # Step 2: the site.
    type_into(page, 'input[name="site_address"]', "9 Lantern Lane")
    press_button(page, 'button[type="submit"][name="continue"], button[type="submit"]:not([name])')

    # Step 3: the document, chosen through the file chooser the keyboard opens.
    tab_to(page, 'input[type="file"][name="floor_plan"]')
    choose_file_with_keyboard(page, choosers, {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
    press_button(page, 'button[type="submit"][name="continue"], button[type="submit"]:not([name])')

    # Check your answers, declare and submit.
    expect(page.locator("h1")).to_have_text("Check your answers before submitting")
    assert_accessible(page)
    tab_to(page, 'input[name="declaration"]')
    page.keyboard.press("Space")
    press_button(page, 'form button[type="submit"].btn-primary')

    application = Application.objects.get(applicant__email="keyboard.user@example.org")
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.answers["business_name"] == "Keyboard Kitchen"
    assert application.answers["cuisine"] == "chinese"
    assert application.answers["seats"] == 24
    assert application.attachments.count() == 1
    expect(page.get_by_text(application.reference).first).to_be_visible()
    assert_accessible(page)
