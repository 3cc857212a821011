#!/usr/bin/env python
"""Screenshots for docs/screenshots/, from a fresh demo.

A temporary directory holds a new SQLite database (PORTAL_VAR_DIR): the script migrates it, loads
the demo (seed_demo), routes the submitted applications as the worker would (so due dates show),
fills the dashboards' summaries as the beat would, starts `manage.py runserver` (DEBUG off, so
the error pages are the ones people see) on a free port and signs in to Chromium as the demo
citizen, an officer with work waiting and the manager. Each page is saved at 1280 px and 375 px
wide, in English and Simplified Chinese, as <page>-<language>-<width>.png. The error pages come
from real conditions (an unknown path, an officer asking for a supervisor's action, the public
verification's rate limit), the server error from a path that fails on purpose, served only by
this script's own URL configuration.

    make screenshots            # or: .venv/bin/python scripts/screenshots.py [--out DIR]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "demo-portal-2026"  # noqa: S105 -- the demo accounts' shared password (seed_demo)
CITIZEN = "wang.fang@demo.example.org"
MANAGER = "manager@demo.example.gov"
WIDTHS = {1280: 800, 375: 812}
LANGUAGES = ("en", "zh-hans")

# Route what seed_demo submitted (the worker is not running) and name the pages to show.
PREPARE = """
import json
from django.core.management import call_command
from approvals import workflow
from approvals.models import Application, ApplicationStatus, Review, ReviewStatus
for pk in Application.objects.filter(submitted_at__isnull=False).values_list("pk", flat=True):
    workflow.application_route(application_ids=[pk])
call_command("rebuild_stats", verbosity=0, stdout=open("/dev/null", "w"))
mine = Application.objects.filter(applicant__email="wang.fang@demo.example.org")
issued = mine.filter(status=ApplicationStatus.ISSUED).first()
review = Review.objects.filter(status=ReviewStatus.PENDING).select_related("department").order_by("pk").first()
print(json.dumps({
    "draft": mine.filter(status=ApplicationStatus.DRAFT).values_list("pk", flat=True).first(),
    "correction": mine.filter(status=ApplicationStatus.NEEDS_CORRECTION).values_list("pk", flat=True).first(),
    "issued": issued.pk, "permit": issued.permits.get().number,
    "review": review.pk, "officer": f"officer.{review.department.code}@demo.example.gov",
}))
"""
# The site's own URLs, plus one path that fails, for the server error page.
SHOT_URLS = """
from django.urls import path
from portal import urls as site

def fail(request):
    raise RuntimeError("the server error page, on purpose (screenshots)")

urlpatterns = [path("screenshot-server-error/", fail), *site.urlpatterns]
for name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(site, name):
        globals()[name] = getattr(site, name)
"""
SHOT_SETTINGS = """
from portal.settings.dev import *  # noqa: F403
ROOT_URLCONF = "shot_urls"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args, capture=False) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return result.stdout if capture else ""


def wait_until_up(url: str, server, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("runserver stopped before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 -- our own local server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"runserver did not answer on {url}")


def rate_limited(page, path: str) -> None:
    """Ask the public verification page until its rate limit answers (429)."""
    for _ in range(10):
        if page.goto(path).status == 429:
            return
    raise SystemExit(f"{path} never answered 429")


def forbidden(review_id: int):
    """An officer asks for a supervisor's action (extending a due date): 403."""
    def go(page, path: str) -> None:
        page.goto(path)
        with page.expect_navigation():
            page.evaluate("""action => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                form.appendChild(document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode());
                document.body.appendChild(form);
                form.submit();
            }""", f"/officer/reviews/{review_id}/extend/")
    return go


def sessions(ids: dict) -> list[tuple[str, list[tuple[str, str, bool, object]]]]:
    """(account, [(name, path, full page?, how to get there or None)])."""
    return [
        (CITIZEN, [
            ("home", "/", False, None),
            ("search", "/search/?q=open+a+restaurant", False, None),
            ("service", "/services/open-a-restaurant/", True, None),
            ("form-step", f"/applications/{ids['draft']}/step/2/", True, None),
            ("check-answers", f"/applications/{ids['draft']}/check/", True, None),
            ("my-applications", "/applications/", True, None),
            ("application", f"/applications/{ids['correction']}/", True, None),
            ("application-issued", f"/applications/{ids['issued']}/", True, None),
            ("error-404", "/no-such-page/", False, None),
            ("error-500", "/screenshot-server-error/", False, None),
            ("error-429", f"/permits/verify/{ids['permit']}/", False, rate_limited),
        ]),
        (ids["officer"], [
            ("queue", "/officer/", True, None),
            ("review", f"/officer/reviews/{ids['review']}/", True, None),
            ("error-403", f"/officer/reviews/{ids['review']}/", False, forbidden(ids["review"])),
        ]),
        (MANAGER, [
            ("dashboard", "/dashboards/", True, None),
        ]),
    ]


def sign_in(context, base: str, email: str):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as var:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "CACHE_URL")}
        env.update(PORTAL_VAR_DIR=var, LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
        print("Preparing a fresh demo database …")
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        ids = json.loads(manage(env, "shell", "-c", PREPARE, capture=True).strip().splitlines()[-1])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        (Path(var) / "shot_urls.py").write_text(SHOT_URLS)
        (Path(var) / "shot_settings.py").write_text(SHOT_SETTINGS)
        # DEBUG off: the error pages are the site's own; --insecure serves the static files anyway.
        env.update(SITE_URL=base, DEBUG="0", PYTHONPATH=var, DJANGO_SETTINGS_MODULE="shot_settings",
                   PERMIT_VERIFY_RATE="3/m")
        server = subprocess.Popen([PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"{base}/healthz", server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for account, shots in sessions(ids):
                    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
                    page = sign_in(context, base, account)
                    for language in LANGUAGES:
                        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
                        for width, height in WIDTHS.items():
                            page.set_viewport_size({"width": width, "height": height})
                            for name, path, full_page, go in shots:
                                (go or (lambda page, path: page.goto(path)))(page, path)
                                target = out / f"{name}-{language}-{width}.png"
                                page.screenshot(path=str(target), full_page=full_page, animations="disabled")
                                print(f"  {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} "
                                      f"({target.stat().st_size // 1024} KB)")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
