"""Prometheus metrics: what the processes count as it happens, and what is read at scrape time.

Counted where it happens (prometheus-client, one set of files per process in multiprocess mode):

- requests and latencies by view: django-prometheus's middleware (``django_http_*``);
- Celery tasks: runtime by task and final state, failures by exception, permits rendered
  (portal.task_signals, from the worker's signals and the render task's result).

Read at scrape time (``ScrapeCollector``), because the database and the broker already hold them
and every process would otherwise need to agree on a count:

- applications submitted and permits issued by service, SLA cards (yellow, red) by department:
  summed from the dashboards' day summaries (dashboards.models.DayStat), the figures managers
  see, kept by beat's stats consumer (so up to its 30 s behind). A sum over days × services rows
  (about 16,000 at a million applications), never a count over the applications;
- permits awaiting their file: a count along the ``permit_unrendered`` partial index;
- queue lengths: the Redis broker's list lengths, and the messages delivered but unacknowledged.

One process serves them all when PROMETHEUS_MULTIPROC_DIR is unset (runserver, tests). Under
gunicorn it is set: each worker writes its counts to files there and a scrape of any worker sums
every file (MultiProcessCollector). A Celery worker container does the same for its pool and
serves the sum on its own port (portal.worker_metrics)."""

import hmac
import logging
import os
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Sum
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)
# No "<counter>_created" series beside each counter: half the series, and Prometheus sees resets anyway.
disable_created_metrics()

# Tasks take from milliseconds (routing a batch) to a minute (a permit under load).
TASK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 90.0)
TASK_RUNTIME = Histogram("portal_celery_task_runtime_seconds", "Time a Celery task ran, by task and final state.",
                         ["task", "state"], buckets=TASK_BUCKETS)
TASK_FAILURES = Counter("portal_celery_task_failures", "Celery tasks that raised, by task and exception.",
                        ["task", "exception"])
PERMITS_RENDERED = Counter("portal_permits_rendered", "Permit files produced (rendered, signed and stored).")

# Scrape-time metrics: their names and help, in one place.
SCRAPED = {
    "portal_applications_submitted": "Applications submitted, by service (dashboards' day summaries).",
    "portal_permits_issued": "Permits issued, by service (dashboards' day summaries).",
    "portal_sla_cards": "SLA cards given to reviews, by card and department (dashboards' day summaries).",
    "portal_permits_awaiting_render": "Permits issued whose file is not produced yet.",
    "portal_celery_queue_length": "Messages waiting in a Celery queue on the Redis broker.",
    "portal_celery_unacked_messages": "Messages delivered to a worker and not yet acknowledged.",
    "portal_scrape_source_up": "1 when the source (database, broker) answered this scrape.",
}
BROKER_TIMEOUT_SECONDS = 1.0


def metrics_authorized(header: str | None) -> bool:
    """``Authorization: Bearer <METRICS_TOKEN>``; never when no token is configured."""
    token = settings.METRICS_TOKEN
    scheme, _, given = (header or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def process_registry() -> CollectorRegistry:
    """What this process (or, in multiprocess mode, every process sharing its directory) counted."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition() -> bytes:
    """The web's /metrics: the processes' counts and the scrape-time reads."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Chain(process_registry()))
    registry.register(ScrapeCollector())
    return generate_latest(registry)


class _Chain:
    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()


class ScrapeCollector:
    """Reads the database and the broker at each scrape; a source that fails is reported down,
    never raised (a scrape must answer whatever is broken)."""

    def collect(self):
        up = GaugeMetricFamily("portal_scrape_source_up", SCRAPED["portal_scrape_source_up"], labels=["source"])
        try:
            yield from _database_metrics()
            up.add_metric(["database"], 1)
        except Exception as exc:
            log.warning("metrics: database not read: %s", exc)
            up.add_metric(["database"], 0)
        if urlsplit(settings.CELERY_BROKER_URL).scheme in ("redis", "rediss"):  # not `make run`'s embedded broker
            try:
                yield from _broker_metrics(settings.CELERY_BROKER_URL)
                up.add_metric(["broker"], 1)
            except Exception as exc:
                log.warning("metrics: broker not read: %s", exc)
                up.add_metric(["broker"], 0)
        yield up


def _database_metrics() -> list:
    from catalogue.models import Service
    from dashboards.models import ALL_DEPARTMENTS, DayStat
    from departments.models import Department
    from permits.models import Permit

    services = dict(Service.objects.values_list("pk", "slug"))
    departments = dict(Department.objects.values_list("pk", "code"))
    submitted = CounterMetricFamily("portal_applications_submitted", SCRAPED["portal_applications_submitted"],
                                    labels=["service"])
    issued = CounterMetricFamily("portal_permits_issued", SCRAPED["portal_permits_issued"], labels=["service"])
    per_service = (DayStat.objects.filter(department_id=ALL_DEPARTMENTS).values("service_id")
                   .annotate(submitted=Sum("submitted"), permits=Sum("permits")).order_by("service_id"))
    for row in per_service:
        service = services.get(row["service_id"], str(row["service_id"]))
        submitted.add_metric([service], row["submitted"])
        issued.add_metric([service], row["permits"])
    cards = CounterMetricFamily("portal_sla_cards", SCRAPED["portal_sla_cards"], labels=["card", "department"])
    per_department = (DayStat.objects.exclude(department_id=ALL_DEPARTMENTS).values("department_id")
                      .annotate(yellow=Sum("yellow"), red=Sum("red")).order_by("department_id"))
    for row in per_department:
        department = departments.get(row["department_id"], str(row["department_id"]))
        cards.add_metric(["yellow", department], row["yellow"])
        cards.add_metric(["red", department], row["red"])
    # WHERE, not an aggregate's FILTER: the partial index permit_unrendered holds only these rows.
    waiting = GaugeMetricFamily("portal_permits_awaiting_render", SCRAPED["portal_permits_awaiting_render"],
                                value=Permit.objects.filter(rendered_at__isnull=True).count())
    return [submitted, issued, cards, waiting]


def broker_queues() -> list[str]:
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_PERMITS_QUEUE, settings.CELERY_MAIL_QUEUE})


def _broker_metrics(url: str) -> list:
    import redis
    from kombu.transport.redis import Channel

    client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_SECONDS, socket_connect_timeout=BROKER_TIMEOUT_SECONDS)
    queues = broker_queues()
    # kombu keeps a queue's prioritised messages in lists beside it ("<queue>\x06\x16<priority>").
    keys = {q: [q, *(f"{q}{Channel.sep}{p}" for p in Channel.priority_steps if p)] for q in queues}
    try:
        with client.pipeline(transaction=False) as pipe:
            for q in queues:
                for key in keys[q]:
                    pipe.llen(key)
            pipe.hlen(Channel.unacked_key)
            answers = pipe.execute()
    finally:
        client.close()
    length = GaugeMetricFamily("portal_celery_queue_length", SCRAPED["portal_celery_queue_length"], labels=["queue"])
    at = 0
    for q in queues:
        length.add_metric([q], sum(answers[at:at + len(keys[q])]))
        at += len(keys[q])
    unacked = GaugeMetricFamily("portal_celery_unacked_messages", SCRAPED["portal_celery_unacked_messages"],
                                value=answers[-1])
    return [length, unacked]
