"""What observability costs, on a generated history whose summaries are built (bench/run.py):

- a scrape of /metrics (portal.metrics: the processes' counts, the day summaries' sums, the count
  of permits awaiting their file, the broker's queue lengths), with its SQL statements;
- each request's share: the same request through the whole middleware stack with and without the
  request id, django-prometheus's two middlewares and the request's JSON log line (written, at
  INFO, to /dev/null).

Prints one JSON object. Run by bench/run.py in the history database's environment:
``python bench/metrics.py``."""

import json
import logging
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from officer_workspace import RUNS, WARMUP, measure  # noqa: E402 (sets Django up)

from approvals.models import Application  # noqa: E402
from dashboards.models import DayStat  # noqa: E402
from permits.models import Permit  # noqa: E402

TOKEN = secrets.token_urlsafe(32)
OBSERVABILITY = ["portal.request_id.RequestIdMiddleware", "django_prometheus.middleware.PrometheusBeforeMiddleware",
                 "django_prometheus.middleware.PrometheusAfterMiddleware"]
REQUEST_RUNS = int(os.environ.get("BENCH_REQUEST_RUNS", "2000"))


def request_ms(client: Client, url: str) -> float:
    """Median of REQUEST_RUNS requests' wall time, after a warm-up."""
    timings = []
    for i in range(-50, REQUEST_RUNS):
        started = time.perf_counter()
        client.get(url)
        if i >= 0:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main():
    client = Client()
    result = {"context": {"applications": Application.objects.count(), "day_rows": DayStat.objects.count(),
                          "permits": Permit.objects.count(), "runs": RUNS, "warmup": WARMUP,
                          "request_runs": REQUEST_RUNS}}
    with override_settings(METRICS_TOKEN=TOKEN):
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        result["scrape"] = measure(client, "get", lambda i: (reverse("metrics"), {}))
        result["scrape"]["bytes"] = len(client.get(reverse("metrics")).content)
        del client.defaults["HTTP_AUTHORIZATION"]

    # A page that reads nothing (the 401 of /metrics): what is left is the middleware stack.
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    with open(os.devnull, "w") as null:
        previous = console.setStream(null)
        logging.getLogger("portal.requests").setLevel(logging.INFO)
        url = reverse("metrics")
        with override_settings(METRICS_TOKEN=TOKEN):
            pairs = []
            for _ in range(3):  # alternated, so the machine's drift falls on both sides
                with_all = request_ms(client, url)
                with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in OBSERVABILITY]):
                    without = request_ms(Client(), url)
                pairs.append((with_all, without))
        console.setStream(previous)
    with_ms = statistics.median(p[0] for p in pairs)
    without_ms = statistics.median(p[1] for p in pairs)
    result["request"] = {"with_ms": round(with_ms, 3), "without_ms": round(without_ms, 3),
                         "added_ms": round(with_ms - without_ms, 3), "ratio": round(with_ms / without_ms, 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
