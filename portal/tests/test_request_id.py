"""Request ids: taken from X-Request-ID when well-formed, made otherwise, returned in the response,
in every JSON log line of the request, and in the headers of the tasks it sends, batched or not
(a worker's side: tests/test_observability_worker.py)."""

import io
import json
import logging
import re

import pytest
from celery.signals import before_task_publish
from django.urls import reverse

from core import nudges
from core.request_id import accepted, bound, current_request_id, joined
from tests.celery_worker import publishing_to

GIVEN = "c0ffee00-1234-4abc-8def-0123456789ab"
MADE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_stream():
    """The stream of the portal's configured console handler (JSON lines, the request-id filter)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def published():
    """The headers of every task this process publishes, as Celery is about to send them."""
    seen = []

    def record(headers=None, **kwargs):
        seen.append(dict(headers or {}))

    before_task_publish.connect(record, weak=False)
    with publishing_to(broker_url="memory://", queue="request-ids"):
        yield seen
    before_task_publish.disconnect(record)


@pytest.mark.django_db
def test_a_well_formed_id_is_kept_and_returned(client):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID=GIVEN)
    assert response["X-Request-ID"] == GIVEN


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "", "short", "has space-1234", "new\nline-1234", "x" * 65, '"quoted"-1234',
                                   "-leading-dash-1234", "ünïcode-12345", "a,b,c,d,e,f,g,h"])
def test_any_other_id_is_replaced_by_a_new_one(client, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    first = client.get(reverse("healthz"), **headers)["X-Request-ID"]
    second = client.get(reverse("healthz"), **headers)["X-Request-ID"]
    assert MADE.fullmatch(first) and MADE.fullmatch(second) and first != second


@pytest.mark.django_db
def test_every_log_line_of_the_request_carries_its_id(client, log_stream):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=GIVEN)
    assert response.status_code == 404
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert [(line["logger"], line["level"], line["message"], line["request_id"]) for line in lines] == [
        ("django.request", "WARNING", "Not Found: /no-such-page/", GIVEN)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", lines[0]["time"])
    logging.getLogger("portal").warning("outside")
    assert json.loads(log_stream.getvalue().splitlines()[-1])["request_id"] == "-"


@pytest.mark.django_db
def test_each_request_ends_with_a_line_of_its_own_without_the_query_string(client, log_stream, caplog):
    caplog.set_level(logging.INFO, logger="portal.requests")
    client.get(reverse("healthz") + "?q=what+someone+typed", HTTP_X_REQUEST_ID=GIVEN)
    line = json.loads(log_stream.getvalue().splitlines()[-1])
    assert line.pop("duration_ms") > 0
    assert {key: line[key] for key in ("logger", "level", "message", "method", "path", "view", "status", "request_id")} == {
        "logger": "portal.requests", "level": "INFO", "message": "GET /healthz 200", "method": "GET", "path": "/healthz",
        "view": "healthz", "status": 200, "request_id": GIVEN}
    assert "what" not in log_stream.getvalue()


def test_a_task_published_at_commit_carries_the_id(published, settings):
    settings.PORTAL_NUDGE_BATCH_SECONDS = 0
    with bound(GIVEN):
        nudges._batcher.add("approvals.tasks.route_application_task", [1, 2])
    nudges.publish("approvals.tasks.route_application_task", [3])
    assert [(h["task"], h.get("request_id")) for h in published] == [
        ("approvals.tasks.route_application_task", GIVEN), ("approvals.tasks.route_application_task", None)]


def test_a_batch_carries_the_ids_of_the_requests_it_serves(published, settings):
    settings.PORTAL_NUDGE_BATCH_SECONDS = 30  # the thread waits; the test flushes
    nudges.flush_nudges()
    with bound("request-aaaa-1111"):
        nudges._batcher.add("approvals.tasks.route_application_task", [1, 2])
        nudges._batcher.add("permits.tasks.permit_render_task", [7], one_per_message=True)
    with bound("request-bbbb-2222"):
        nudges._batcher.add("approvals.tasks.route_application_task", [3])
        nudges._batcher.add("permits.tasks.permit_render_task", [8], one_per_message=True)
    nudges._batcher.add("permits.tasks.permit_render_task", [9], one_per_message=True)  # outside any request
    nudges.flush_nudges()
    assert sorted((h["task"], h["argsrepr"], h.get("request_id")) for h in published) == [
        ("approvals.tasks.route_application_task", "([1, 2, 3],)", "request-aaaa-1111,request-bbbb-2222"),
        ("permits.tasks.permit_render_task", "(7,)", "request-aaaa-1111"),
        ("permits.tasks.permit_render_task", "(8,)", "request-bbbb-2222"),
        ("permits.tasks.permit_render_task", "(9,)", None),
    ]


def test_a_worker_accepts_only_well_formed_ids_from_a_header():
    assert accepted(GIVEN) == GIVEN
    assert accepted(joined([GIVEN, "request-aaaa-1111", GIVEN])) == f"{GIVEN},request-aaaa-1111"
    many = joined(f"request-{n:04d}-xxxx" for n in range(30))
    assert accepted(many) == many and many.count(",") == 19  # at most 20 joined
    for bad in ("", None, "bad id 1234", f"{GIVEN},", f"{GIVEN},bad id", ",".join([GIVEN] * 21)):
        assert accepted(bad) == ""


@pytest.mark.django_db
def test_a_task_run_in_the_process_itself_keeps_the_id_and_is_timed():
    from prometheus_client import REGISTRY

    from portal.celery import app

    task = "approvals.tasks.route_application_task"
    labels = {"task": task, "state": "SUCCESS"}
    before = REGISTRY.get_sample_value("portal_celery_task_runtime_seconds_count", labels) or 0
    with bound(GIVEN):
        assert app.tasks[task].apply(args=[[]]).get() == 0  # nothing to route
        assert current_request_id() == GIVEN
    assert current_request_id() == ""
    assert REGISTRY.get_sample_value("portal_celery_task_runtime_seconds_count", labels) == before + 1
