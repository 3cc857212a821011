"""The load test's scenario (bench/load/locustfile.py) against a live gunicorn on the test
database, for a few seconds: no request fails and every page it names is requested, so the
scenario keeps up with the portal's pages and forms. It takes over 30 s on this machine (a
history, gunicorn, Locust), so it runs with -m load: `make bench-load` runs it before measuring."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import Role
from devtools.history import generate_history
from devtools.management.commands.seed_demo import DEMO_CATALOGUE
from tests.celery_worker import _database_url
from tests.services import wait_until_answering

pytestmark = [pytest.mark.postgres, pytest.mark.load]

ROOT = Path(__file__).resolve().parents[1]
LOAD = ROOT / "bench" / "load"
BIN = Path(sys.executable).parent
PAGES = {
    "home", "service page", "search", "finder list", "finder", "guide (print)", "verify permit", "performance",
    "sign in (page)", "sign in", "start application", "answer page", "answer page (upload)", "check and submit",
    "my applications", "application", "notifications",
    "officer queue", "review", "claim", "decide", "decide (confirm)",
    "dashboard", "scorecard", "bottlenecks", "performance (department or service)", "published tables",
}


def load_module(name: str):
    spec = importlib.util.spec_from_file_location(f"load_{name}", LOAD / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def plan(transactional_db, tmp_path, settings):
    """The catalogue, a small history (reviews waiting, permits to verify) and the runner's plan."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO_CATALOGUE), stdout=StringIO())
    generate_history(applications=300, seed=5)
    call_command("rebuild_stats", stdout=StringIO())
    get_user_model().objects.create(email="manager@demo.example.gov", full_name="Manager", role=Role.MANAGER,
                                    email_verified=True)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(load_module("prepare").main(12, 4)))
    return path


@pytest.fixture
def gunicorn(plan, tmp_path, settings):
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "DATABASE_URL": _database_url(),
           "PORTAL_VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": settings.MEDIA_ROOT, "PROXY_COUNT": "1",
           "CELERY_BROKER_URL": "", "SECRET_KEY": settings.SECRET_KEY}
    env.pop("MIGRATE_DATABASE_URL", None)
    with open(tmp_path / "gunicorn.log", "wb") as log:
        process = subprocess.Popen([str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
                                    "--workers", "2", "--timeout", "30"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", seconds=60, what="gunicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_every_page_of_the_scenario_answers_without_a_failure(gunicorn, plan, tmp_path):
    prefix = tmp_path / "scenario"
    # 20 people: 12 visitors, 5 citizens, 2 officers, 1 manager (the weights); each does every task once first.
    result = subprocess.run(
        [str(BIN / "locust"), "-f", str(LOAD / "locustfile.py"), "--headless", "-H", gunicorn, "-u", "20", "-r", "20",
         "-t", "12s", "--csv", str(prefix), "--only-summary", "--stop-timeout", "20", "--loglevel", "WARNING"],
        cwd=tmp_path, env={**os.environ, "LOAD_PLAN": str(plan), "LOAD_EVERY_TASK": "1"},
        capture_output=True, text=True, timeout=120)
    stats = load_module("report").stats(prefix)
    assert stats["Aggregated"]["failures"] == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert set(stats) - {"Aggregated"} == PAGES, result.stderr[-4000:]
    assert result.returncode == 0
