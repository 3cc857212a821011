"""/metrics: only for the bearer of METRICS_TOKEN; requests counted by view; the figures read at
scrape time equal the raw tables' and cost the same few queries however many services and
departments there are; queue lengths come from the Redis broker, and a broken source is reported,
never a 500."""

import socket
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from approvals import workflow
from approvals.models import Review
from approvals.sla import local_today, sla_scan
from audit.chain import audit_seal
from dashboards.stats import stats_consume
from permits.models import Permit
from portal.celery import app
from tests.celery_worker import publishing_to, redis_client
from tests.engine_fixtures import submitted_application
from tests.factories import identity_asking_service
from tests.services import redis_url
from tests.test_worker_reliability import approve_everything

pytestmark = [pytest.mark.django_db]

TOKEN = "metrics-token-for-tests-0123456789abcdef"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token=TOKEN) -> dict:
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples}


def test_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404
    assert b"portal_" not in response.content and b"django_http" not in response.content


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                           f"Bearer {TOKEN[:-1]}"])
def test_refused_without_the_token(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get(reverse("metrics"), **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"portal_" not in response.content and b"django_http" not in response.content


def test_only_get(client, token):
    assert client.post(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_requests_are_counted_by_view_method_and_status(client, token):
    key = ("django_http_responses_total_by_status_view_method_total", (("method", "GET"), ("status", "200"), ("view", "healthz")))
    latency = ("django_http_requests_latency_seconds_by_view_method_count", (("method", "GET"), ("view", "healthz")))
    before = scrape(client)
    for _ in range(3):
        client.get(reverse("healthz"))
    after = scrape(client)
    assert after[key] - before.get(key, 0) == 3
    assert after[latency] - before.get(latency, 0) == 3


@pytest.mark.postgres
def test_figures_read_at_scrape_time_equal_the_raw_tables(client, token, submit, officers, restaurant, settings):
    settings.CELERY_BROKER_URL = "memory://"  # no broker to read: the scrape leaves queues out
    first, second = submit(), submit()
    workflow.application_route(application_ids=[first.pk, second.pk])
    approve_everything(first, officers)
    fired = sla_scan(today=local_today() + timedelta(days=120))
    audit_seal()
    stats_consume()

    metrics = scrape(client)
    assert metrics[("portal_applications_submitted_total", (("service", restaurant.slug),))] == 2
    assert metrics[("portal_permits_issued_total", (("service", restaurant.slug),))] == 1
    assert metrics[("portal_permits_awaiting_render", ())] == 1 == Permit.objects.filter(rendered_at__isnull=True).count()
    for card in ("yellow", "red"):
        carded = Review.objects.filter(**{f"{card}_at__isnull": False})
        assert carded.count() == fired[card] > 0
        for code in {r.department.code for r in carded.select_related("department")}:
            assert metrics[("portal_sla_cards_total", (("card", card), ("department", code)))] == carded.filter(
                department__code=code).count()
    assert metrics[("portal_scrape_source_up", (("source", "database"),))] == 1
    assert not any(name == "portal_celery_queue_length" for name, _ in metrics)


@pytest.mark.postgres
def test_scrape_queries_do_not_grow_with_services_and_departments(client, token, submit, citizen, settings, tmp_path):
    settings.CELERY_BROKER_URL = "memory://"
    submit()
    audit_seal()
    stats_consume()
    with CaptureQueriesContext(connection) as one:
        metrics = scrape(client)
    assert sum(1 for name, _ in metrics if name == "portal_applications_submitted_total") == 1

    other = submitted_application(identity_asking_service(), citizen)  # one more service
    workflow.application_route(application_ids=[other.pk])
    sla_scan(today=local_today() + timedelta(days=120))  # cards for its departments too
    audit_seal()
    stats_consume()
    with CaptureQueriesContext(connection) as two:
        metrics = scrape(client)
    assert sum(1 for name, _ in metrics if name == "portal_applications_submitted_total") == 2
    assert sum(1 for name, _ in metrics if name == "portal_sla_cards_total") > 0
    assert len(two) == len(one) == 5, "\n".join(q["sql"] for q in two.captured_queries)


def test_queue_lengths_come_from_the_redis_broker(client, token, settings):
    redis_client().flushdb()
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = redis_url()
    settings.CELERY_TASK_DEFAULT_QUEUE = settings.CELERY_PERMITS_QUEUE = queue
    settings.CELERY_MAIL_QUEUE = f"{queue}-mail"
    with publishing_to(broker_url=redis_url(), queue=queue):
        for n in range(3):
            app.send_task("approvals.tasks.route_application_task", args=[[n]])
        app.send_task("approvals.tasks.route_application_task", args=[[9]], priority=6)
    metrics = scrape(client)
    assert metrics[("portal_celery_queue_length", (("queue", queue),))] == 4
    assert metrics[("portal_celery_queue_length", (("queue", f"{queue}-mail"),))] == 0
    assert metrics[("portal_celery_unacked_messages", ())] == 0
    assert metrics[("portal_scrape_source_up", (("source", "broker"),))] == 1
    redis_client().flushdb()


def test_a_broker_that_does_not_answer_is_reported_down(client, token, settings):
    with socket.socket() as bound_not_listening:  # connections to it are refused
        bound_not_listening.bind(("127.0.0.1", 0))
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{bound_not_listening.getsockname()[1]}/0"
        metrics = scrape(client)
    assert metrics[("portal_scrape_source_up", (("source", "broker"),))] == 0
    assert metrics[("portal_scrape_source_up", (("source", "database"),))] == 1
    assert not any(name == "portal_celery_queue_length" for name, _ in metrics)
