"""Request ids and metrics through a real `celery -A portal worker` (tests.celery_worker): a web
submission's X-Request-ID is in the worker's log lines of the task it sent, and the worker's own
metrics port sums what its pool processes counted."""

import json
import socket
import urllib.error
import urllib.request

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from approvals.models import Application, ApplicationStatus
from approvals.tasks import notification_email_task, route_application_task
from core.nudges import publish
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)
from tests.celery_worker import wait_for
from tests.engine_fixtures import filled_in_through_the_web
from tests.test_worker_reliability import approve_everything, idle_twice, stage_one_routed, state_summary

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TOKEN = "worker-metrics-token-0123456789abcdef"
REQUEST_ID = "3f1c2a9e-7b4d-4e0a-9c5f-1d2e3f4a5b6c"
ROUTE = route_application_task.name
MAIL = notification_email_task.name
RENDER = "permits.tasks.permit_render_task"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int, token: str | None = TOKEN) -> dict:
    """The worker's metrics as {(name, sorted labels): value}."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (a fixed local address)
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def submit_through_the_web(client, citizen, restaurant, request_id: str):
    application = filled_in_through_the_web(client, restaurant, citizen)
    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"},
                           HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 302
    assert response["X-Request-ID"] == request_id
    return application


def worker_lines(worker) -> list[dict]:
    return [json.loads(line) for line in worker.log_path.read_text().splitlines() if line.startswith("{")]


def succeeded_lines(lines: list[dict], task: str) -> list[dict]:
    return [line for line in lines if line["message"].startswith(f"Task {task}[") and " succeeded in " in line["message"]]


def test_request_id_reaches_the_worker_and_the_worker_port_sums_its_pool(
        client, restaurant, citizen, officers, start_worker, celery_queue, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"")  # left by an earlier run: emptied at start
    port = free_port()
    worker = start_worker(log_level="info", env={
        "LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": TOKEN,
        "METRICS_WORKER_PORT": str(port), "METRICS_WORKER_ADDRESS": "127.0.0.1"})
    assert not (metrics_dir / "counter_999999.db").exists()

    application = submit_through_the_web(client, citizen, restaurant, REQUEST_ID)
    wait_for(lambda: stage_one_routed([application]) and idle_twice(celery_queue), timeout=60,
             what="the submission's routing", details=worker.log)

    succeeded = [line for line in succeeded_lines(worker_lines(worker), ROUTE) if line["request_id"] == REQUEST_ID]
    assert len(succeeded) == 1, worker.log()
    assert {line["logger"] for line in succeeded} == {"celery.app.trace"}
    assert succeeded[0]["pid"] != worker.process.pid  # logged by a pool process, not the main one

    # Three more routings (idempotent) and one mail task that fails, spread over the pool.
    for _ in range(3):
        publish(ROUTE, [application.pk])
    publish(MAIL, None)
    approve_everything(application, officers)
    wait_for(lambda: Application.objects.get(pk=application.pk).status == ApplicationStatus.ISSUED
             and idle_twice(celery_queue), timeout=90, what="the permit rendered", details=state_summary)

    lines = worker_lines(worker)
    routed = succeeded_lines(lines, ROUTE)
    # The submission's routing, the three published outside any request (no id) and stage 2's, routed
    # by the approval of stage 1 in this process (no request either).
    assert [line["request_id"] for line in routed].count(REQUEST_ID) == 1
    assert len(routed) == 5 and [line["request_id"] for line in routed].count("-") == 4
    rendered = succeeded_lines(lines, RENDER)
    assert [line["message"].rsplit(": ", 1)[1] for line in rendered].count("'rendered'") == 1

    metrics = scrape(port)
    assert metrics[("portal_celery_task_runtime_seconds_count", (("state", "SUCCESS"), ("task", ROUTE)))] == len(routed)
    assert metrics[("portal_celery_task_runtime_seconds_count", (("state", "SUCCESS"), ("task", RENDER)))] == len(rendered)
    assert metrics[("portal_celery_task_runtime_seconds_count", (("state", "FAILURE"), ("task", MAIL)))] == 1
    assert metrics[("portal_celery_task_failures_total", (("exception", "TypeError"), ("task", MAIL)))] == 1
    assert metrics[("portal_permits_rendered_total", ())] == 1

    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(port, token=None)
    assert refused.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(port, token="not-the-token-0123456789abcdef")
    assert refused.value.code == 401
