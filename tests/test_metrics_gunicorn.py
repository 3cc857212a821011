"""Multiprocess metrics under a real gunicorn: whichever worker answers /metrics reports what every
worker counted, those recycled by --max-requests included (PROMETHEUS_MULTIPROC_DIR)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.celery_worker import _database_url
from tests.services import wait_until_answering

pytestmark = [pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
TOKEN = "gunicorn-metrics-token-0123456789abcdef"
REQUESTS = 20
MAX_REQUESTS = 5  # each worker serves at most this many: the requests spread over at least four processes


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "DATABASE_URL": _database_url(),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": TOKEN, "LOG_LEVEL": "INFO",
           "LOG_FORMAT": "json", "PORTAL_VAR_DIR": str(tmp_path / "var")}
    env.pop("MIGRATE_DATABASE_URL", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [GUNICORN, "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--max-requests", str(MAX_REQUESTS), "--max-requests-jitter", "0", "--timeout", "30"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", seconds=60, what="gunicorn")
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def served_by(log_path: Path, prefix: str = "") -> list[int]:
    """The pid of each request to /healthz whose id starts with ``prefix``, by its request line (portal.requests)."""
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    return [line["pid"] for line in lines if line["logger"] == "portal.requests" and line["path"] == "/healthz"
            and line["request_id"].startswith(prefix)]


def healthz_count(base: str) -> float:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert response.status_code == 200
    return sum(sample.value for family in text_string_to_metric_families(response.text) for sample in family.samples
               if sample.name == "django_http_responses_total_by_status_view_method_total"
               and sample.labels["view"] == "healthz")


def test_every_worker_counts_into_one_sum(gunicorn):
    base, log_path = gunicorn
    for n in range(REQUESTS):
        with httpx.Client() as fresh:  # a new connection each time, as many clients would
            response = fresh.get(f"{base}/healthz", headers={"X-Request-ID": f"gunicorn-test-{n:04d}"}, timeout=60)
            assert response.status_code in (200, 503)
    pids = served_by(log_path, "gunicorn-test-")
    assert len(pids) == REQUESTS, log_path.read_text()[-3000:]
    assert len(set(pids)) >= 4
    # Every request to /healthz, those that waited for gunicorn to start included, whichever workers
    # answer the scrapes (new ones too).
    served = len(served_by(log_path))
    assert [healthz_count(base) for _ in range(4)] == [served] * 4
