"""The managers' pages measured through the Django test client on a generated history whose
summaries ``manage.py rebuild_stats`` has just rebuilt (bench/run.py does both): the dashboard with
every kind of filter, the scorecard, bottlenecks, the overdue drill-down, an officer appraisal, the
public performance pages and open data files (anonymous), and CSV exports (streamed: time to the
first row and to the last). Also the beat's incremental refresh and the summary sizes.
Prints one JSON object.

Run by bench/run.py in the history database's environment: ``python bench/dashboard.py``."""

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.contrib.auth import get_user_model  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from officer_workspace import RUNS, WARMUP, measure, percentile  # noqa: E402 (sets Django up)

from accounts.models import Role  # noqa: E402
from approvals.models import Application, Review  # noqa: E402
from dashboards.models import ApplicationFact, BacklogStat, DayStat, DurationStat, MonthDurationStat, ReviewFact  # noqa: E402
from dashboards.stats import stats_refresh  # noqa: E402
from departments.models import Membership, MembershipRole  # noqa: E402
from devtools.history import STAFF_DOMAIN  # noqa: E402
from tests.client import PortalClient as Client  # noqa: E402  (force_login completes the second factor)

REFRESH_BATCH = 1000


def streamed(client: Client, url: str, params: dict, runs: int = 10) -> dict:
    """Time to the response (headers and first row) and to the last byte of a streamed CSV."""
    first, whole, size = [], [], 0
    for i in range(-1, runs):
        started = time.perf_counter()
        response = client.get(url, params)
        assert response.status_code == 200 and response.streaming, (url, response.status_code)
        chunks = iter(response.streaming_content)
        next(chunks)
        head = (time.perf_counter() - started) * 1000
        size = sum(len(c) for c in chunks)
        if i >= 0:
            first.append(head)
            whole.append((time.perf_counter() - started) * 1000)
    return {"first_row_p95": percentile(first, 95), "whole_p95": percentile(whole, 95), "bytes": size}


def main():
    User = get_user_model()
    manager, _created = User.objects.get_or_create(
        email=f"manager.bench@{STAFF_DOMAIN}", defaults={"full_name": "Bench Manager", "role": Role.MANAGER,
                                                          "email_verified": True})
    supervisor = (Membership.objects.filter(department__code="registration", role=MembershipRole.SUPERVISOR,
                                            user__email__endswith=f"@{STAFF_DOMAIN}").order_by("user_id").first().user)
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    two_years = {"date_from": (today - timedelta(days=729)).isoformat(), "date_to": today.isoformat()}
    uneven = {"date_from": (today - timedelta(days=500)).replace(day=17).isoformat(),
              "date_to": (today - timedelta(days=40)).replace(day=9).isoformat()}
    dashboard, scorecard = reverse("dashboards:dashboard"), reverse("dashboards:scorecard")
    previous_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    pages = {
        "dashboard: last 90 days (default)": (dashboard, {}),
        "dashboard: two years": (dashboard, two_years),
        "dashboard: uneven range (partial months at both ends)": (dashboard, uneven),
        "dashboard: two years, one service": (dashboard, {**two_years, "service": "open-a-restaurant"}),
        "dashboard: two years, one department": (dashboard, {**two_years, "department": "fire"}),
        "dashboard: uneven range, service + department": (dashboard, {**uneven, "service": "open-a-retail-shop",
                                                                      "department": "tax"}),
        "scorecard: this month": (scorecard, {}),
        f"scorecard: {previous_month}": (scorecard, {"month": previous_month}),
        "bottlenecks: two years": (reverse("dashboards:bottlenecks"), two_years),
        "overdue reviews of registration": (reverse("dashboards:overdue", args=["registration"]), {}),
        "overdue reviews of registration, page 5": (reverse("dashboards:overdue", args=["registration"]),
                                                    {"offset": "200"}),
    }
    pages["appraisal: registration, last month"] = (reverse("dashboards:appraisal", args=["registration"]),
                                                    {"month": previous_month})
    twelve = {"month_to": previous_month}
    public_pages = {
        "performance: every department and service (last month)": (reverse("performance:index"), {}),
        "performance: one department, 12 months": (reverse("performance:department", args=["registration"]), twelve),
        "performance: one service, 12 months": (reverse("performance:service", args=["open-a-restaurant"]), twelve),
        "open data: departments.csv, 12 months": (reverse("performance:csv", args=["departments"]), twelve),
        "open data: services.json, 12 months": (reverse("performance:json", args=["services"]), twelve),
    }
    results = {"manager": {}, "supervisor": {}, "public": {}, "exports": {}}
    client = Client()
    client.force_login(manager)
    for name, (url, params) in pages.items():
        results["manager"][name] = measure(client, "get", lambda i, url=url, params=params: (url, params))
    anonymous = Client()
    for name, (url, params) in public_pages.items():
        results["public"][name] = measure(anonymous, "get", lambda i, url=url, params=params: (url, params))
    supervising = Client()
    supervising.force_login(supervisor)
    results["supervisor"]["dashboard: last 90 days (their department)"] = measure(
        supervising, "get", lambda i: (dashboard, {}))
    results["supervisor"]["dashboard: two years (their department)"] = measure(
        supervising, "get", lambda i: (dashboard, two_years))
    export = "dashboards:export"
    for name, (table, params) in {
        "submissions per day, two years": ("daily", two_years),
        "departments, two years": ("departments", two_years),
        "scorecard": ("scorecard", {}),
        "overdue reviews of registration": ("overdue", {"department": "registration"}),
    }.items():
        results["exports"][name] = streamed(client, reverse(export, args=[table]), params)

    # The beat's work: re-reading a batch of applications and moving their summaries.
    ids = list(Application.objects.filter(submitted_at__isnull=False).order_by("?").values_list("pk", flat=True)
               [:REFRESH_BATCH])
    started = time.perf_counter()
    stats_refresh(application_ids=ids)
    results["refresh"] = {"applications": len(ids), "seconds": round(time.perf_counter() - started, 2)}
    results["context"] = {
        "applications": Application.objects.count(), "reviews": Review.objects.count(), "runs": RUNS,
        "warmup": WARMUP, "today": today.isoformat(),
        "rows": {model.__name__: model.objects.count() for model in (
            DayStat, DurationStat, MonthDurationStat, BacklogStat, ApplicationFact, ReviewFact)},
        "span_days": (today - (DayStat.objects.order_by("day").values_list("day", flat=True).first() or today)).days,
    }
    print(json.dumps(results, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
