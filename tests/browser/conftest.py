"""Real Chromium (Debian's package) driven by Playwright against pytest-django's live server.

Every page a test visits can be checked with axe-core, injected from node_modules (the pages'
Content Security Policy forbids injected scripts, so the browser context bypasses it for axe
alone)."""

import json
import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.services import require_tool

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# A closed network: no background connections, no first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
# How long an expectation waits for the page, as long as an action may (the context's timeout
# below): on a shared, loaded machine a sign-in with a passkey takes more than the 5 s default.
BROWSER_TIMEOUT_MS = 10_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    require_tool(Path(CHROMIUM).exists() and AXE.exists(),
                 f"Chromium ({CHROMIUM}) and axe-core ({AXE}) are required; run scripts/bootstrap.sh --dev")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it (and the database teardown) are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    context = chromium.new_context(base_url=live_server.url, bypass_csp=True, locale="en-GB")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now, once settled: a colour still
    in its transition (a button just pressed, under the pointer) is not what a person reads. A link
    just followed may still be loading its page: that page is the one checked."""
    page.wait_for_load_state()
    page.add_style_tag(content="*, *::before, *::after {transition: none !important; animation: none !important}")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.fixture
def history(settings, tmp_path):
    """400 generated applications up to now (seed 3) in the demo catalogue, summaries rebuilt: the
    managers' dashboards and the public performance pages have figures to show."""
    from django.core.management import call_command

    from devtools.history import generate_history
    from devtools.management.commands.seed_demo import DEMO_CATALOGUE

    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO_CATALOGUE), stdout=StringIO())
    generate_history(applications=400, seed=3)
    call_command("rebuild_stats", stdout=StringIO())


@pytest.fixture
def assert_accessible():
    def check(page):
        violations = axe_violations(page)
        assert violations == [], f"axe-core on {page.url}:\n" + json.dumps(violations, indent=2, ensure_ascii=False)

    return check
