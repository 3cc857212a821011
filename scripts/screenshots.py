#!/usr/bin/env python
"""Screenshots of the citizen's pages for docs/screenshots/, from a fresh demo.

A temporary directory holds a new SQLite database (PORTAL_VAR_DIR): the script migrates it, loads
the demo (seed_demo), routes the submitted applications as the worker would (so due dates show),
starts `manage.py runserver` on a free port and signs in as the demo citizen in Chromium. Each
page is saved at 1280 px and 375 px wide, in English and Simplified Chinese, as
<page>-<language>-<width>.png.

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
CITIZEN = ("wang.fang@demo.example.org", "demo-portal-2026")
WIDTHS = {1280: 800, 375: 812}
LANGUAGES = ("en", "zh-hans")

# Route what seed_demo submitted (the worker is not running) and name the pages to show.
PREPARE = """
import json
from approvals import workflow
from approvals.models import Application, ApplicationStatus
for pk in Application.objects.filter(submitted_at__isnull=False).values_list("pk", flat=True):
    workflow.application_route(application_ids=[pk])
mine = Application.objects.filter(applicant__email="wang.fang@demo.example.org")
print(json.dumps({
    "draft": mine.filter(status=ApplicationStatus.DRAFT).values_list("pk", flat=True).first(),
    "correction": mine.filter(status=ApplicationStatus.NEEDS_CORRECTION).values_list("pk", flat=True).first(),
}))
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


def pages(ids: dict) -> list[tuple[str, str, bool]]:
    """(name, path, full page?)."""
    return [
        ("home", "/", False),
        ("search", "/search/?q=open+a+restaurant", False),
        ("service", "/services/open-a-restaurant/", True),
        ("form-step", f"/applications/{ids['draft']}/step/2/", True),
        ("check-answers", f"/applications/{ids['draft']}/check/", True),
        ("my-applications", "/applications/", True),
        ("application", f"/applications/{ids['correction']}/", True),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as var:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "CACHE_URL")}
        env.update(PORTAL_VAR_DIR=var, DEBUG="1", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
        print("Preparing a fresh demo database …")
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        ids = json.loads(manage(env, "shell", "-c", PREPARE, capture=True).strip().splitlines()[-1])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env["SITE_URL"] = base
        server = subprocess.Popen([PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"{base}/healthz", server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto("/accounts/login/")
                page.locator("#id_username").fill(CITIZEN[0])
                page.locator("#id_password").fill(CITIZEN[1])
                page.locator("main form button[type=submit]").click()
                page.wait_for_url(f"{base}/")
                for language in LANGUAGES:
                    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
                    for width, height in WIDTHS.items():
                        page.set_viewport_size({"width": width, "height": height})
                        for name, path, full_page in pages(ids):
                            page.goto(path)
                            target = out / f"{name}-{language}-{width}.png"
                            page.screenshot(path=str(target), full_page=full_page, animations="disabled")
                            print(f"  {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} "
                                  f"({target.stat().st_size // 1024} KB)")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
