"""The officer workspace measured through the Django test client on a generated history
(bench/run.py seeds it with ``manage.py generate_history``): the queue's tabs, a filter, a name
search and a deep keyset page for an officer and a supervisor, the review page and the decision
POST; a citizen's "My applications", application page and "who viewed my data". Prints one
JSON object: per page p50/p95 in ms and the SQL statements of one request.

Run by bench/run.py in the bench database's environment:
``python bench/officer_workspace.py`` (DJANGO_SETTINGS_MODULE and DATABASE_URL set)."""

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, F, Value  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from approvals.models import QUEUE_NEVER_DECIDED, QUEUE_NO_DUE_DATE, Application, ApplicationStatus, Review, ReviewStatus  # noqa: E402
from catalogue.models import Service  # noqa: E402
from departments.models import Department, Membership, MembershipRole  # noqa: E402
from devtools.history import STAFF_DOMAIN  # noqa: E402
from tests.client import PortalClient as Client  # noqa: E402  (force_login completes the second factor)
from workspace.selectors import Cursor  # noqa: E402

RUNS = int(os.environ.get("BENCH_QUEUE_RUNS", "40"))
WARMUP = 3
DEPARTMENT = os.environ.get("BENCH_QUEUE_DEPARTMENT", "registration")
# The deep page starts this far into its tab (default: the middle of the tab).
DEEP_ROW = int(os.environ.get("BENCH_QUEUE_DEEP_ROW", "0"))


def percentile(values, p):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 1)


def measure(client: Client, method: str, url_for, runs: int = RUNS, expect: int = 200) -> dict:
    """Time ``runs`` requests (after a warm-up); ``url_for(i)`` gives (url, data) of request i."""
    timings, statements = [], []
    for i in range(-WARMUP, runs):
        url, data = url_for(i)
        # The log keeps 9000 statements; once full, a capture would see none of a request's.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = getattr(client, method)(url, data)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise SystemExit(f"{method.upper()} {url} {data}: {response.status_code}, expected {expect}")
        if i >= 0:
            timings.append(elapsed)
            statements.append(len(queries))
    return {"p50": round(statistics.median(timings), 1), "p95": percentile(timings, 95),
            "queries": sorted(set(statements))}


def deep_cursors(department: Department) -> dict[str, tuple[int, str]]:
    """Keyset cursors far into the pending and decided tabs (found once, not timed): tab → (row, cursor)."""
    result = {}
    for tab, statuses, key, order in (
        ("pending", [ReviewStatus.PENDING], Coalesce(F("due_date"), Value(QUEUE_NO_DUE_DATE)), ("sort_key", "pk")),
        ("decided", [ReviewStatus.APPROVED, ReviewStatus.REJECTED], Coalesce(F("decided_at"), Value(QUEUE_NEVER_DECIDED)),
         ("-sort_key", "-pk")),
    ):
        rows = Review.objects.filter(department=department, status__in=statuses)
        row_number = DEEP_ROW or rows.count() // 2
        sort_key, pk = rows.annotate(sort_key=key).order_by(*order).values_list("sort_key", "pk")[row_number]
        if tab == "pending":
            cursor = Cursor(sort_key.toordinal(), pk)
        else:
            cursor = Cursor((sort_key - QUEUE_NEVER_DECIDED) // timedelta(microseconds=1), pk)
        result[tab] = (row_number, cursor.encode())
    return result


def main():
    department = Department.objects.get(code=DEPARTMENT)
    staff = Membership.objects.filter(department=department, user__email__endswith=f"@{STAFF_DOMAIN}")
    officer_id = (Review.objects.filter(department=department, status=ReviewStatus.IN_PROGRESS,
                                        assignee__in=staff.filter(role=MembershipRole.OFFICER).values("user"))
                  .values("assignee").annotate(n=Count("pk")).order_by("-n", "assignee")[0]["assignee"])
    officer = staff.get(user_id=officer_id).user
    supervisor = staff.filter(role=MembershipRole.SUPERVISOR).order_by("user_id").first().user
    service = Service.objects.get(slug="open-a-restaurant")
    queue = reverse("departments:queue")
    # A full name as an officer would type it, and a bare common surname (thousands of matches).
    full_name = (Review.objects.filter(department=department, status=ReviewStatus.PENDING)
                 .order_by("pk").values_list("application__applicant__full_name", flat=True).first())
    surname = "Zhou"

    results = {"officer": {}, "supervisor": {}}
    pages = {
        "queue: pending": {"tab": "pending"},
        "queue: in progress (mine)": {"tab": "mine"},
        "queue: in progress (everyone's)": {"tab": "in_progress"},
        "queue: waiting on citizen": {"tab": "waiting"},
        "queue: decided": {"tab": "decided"},
        "queue: filter service + overdue": {"tab": "pending", "service": service.pk, "overdue": "1"},
        f"queue: name search “{full_name}”": {"tab": "pending", "q": full_name},
        f"queue: name search “{surname}”": {"tab": "pending", "q": surname},
        f"queue: name search “{surname}”, decided": {"tab": "decided", "q": surname},
        # Two characters, no trigram: the whole-word index past the walk; a name no one has.
        "queue: name search “王芳”, decided": {"tab": "decided", "q": "王芳"},
        "queue: name search of no one, decided": {"tab": "decided", "q": "Nobody Here"},
        "queue: reference search": {"tab": "decided", "q": Application.objects.filter(
            reviews__department=department, status=ApplicationStatus.ISSUED).order_by("pk").first().reference},
    }
    for tab, (row_number, cursor) in deep_cursors(department).items():
        pages[f"queue: {tab}, keyset page after row {row_number}"] = {"tab": tab, "after": cursor}
    for who, user in (("officer", officer), ("supervisor", supervisor)):
        client = Client()
        client.force_login(user)
        for name, params in pages.items():
            results[who][name] = measure(client, "get", lambda i, params=params: (queue, params))

    client = Client()
    client.force_login(officer)
    held = list(Review.objects.filter(department=department, status=ReviewStatus.IN_PROGRESS, assignee=officer,
                                      application__status=ApplicationStatus.IN_REVIEW).order_by("pk")[:1])
    results["officer"]["review page"] = measure(
        client, "get", lambda i: (reverse("departments:review", args=[held[0].pk]), {}))
    # Each decision uses up a pending review of an application in review.
    pending = list(Review.objects.filter(department=department, status=ReviewStatus.PENDING,
                                         application__status=ApplicationStatus.IN_REVIEW)
                   .order_by("pk").values_list("pk", "version")[:RUNS + WARMUP])
    results["officer"]["decision POST (approve)"] = measure(
        client, "post", lambda i: (reverse("departments:decide", args=[pending[i + WARMUP][0]]),
                                   {"decision": "approve", "version": pending[i + WARMUP][1], "confirm": "1"}), expect=302)
    # The budget's "My applications" page, with the citizen of the most applications, and the
    # pages that citizen reads next: one application and who looked at their data.
    citizen_id = (Application.objects.values("applicant").annotate(n=Count("pk")).order_by("-n", "applicant")
                  .first()["applicant"])
    client = Client()
    client.force_login(Application.objects.filter(applicant_id=citizen_id).first().applicant)
    newest = Application.objects.filter(applicant_id=citizen_id).order_by("-created_at").first()
    results["citizen"] = {
        "my applications": measure(client, "get", lambda i: (reverse("approvals:my_applications"), {})),
        "application page": measure(client, "get", lambda i: (reverse("approvals:detail", args=[newest.pk]), {})),
        "who viewed my data": measure(client, "get", lambda i: (reverse("approvals:who_viewed"), {})),
    }
    results["context"] = {
        "department": DEPARTMENT, "applications": Application.objects.count(), "reviews": Review.objects.count(),
        "department_reviews": Review.objects.filter(department=department).count(),
        "pending_in_department": Review.objects.filter(department=department, status=ReviewStatus.PENDING).count(),
        "officer": officer.email, "supervisor": supervisor.email, "runs": RUNS,
        "citizen_applications": Application.objects.filter(applicant_id=citizen_id).count(),
    }
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
