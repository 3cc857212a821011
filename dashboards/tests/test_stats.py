"""The dashboard's figures equal counts computed independently from the raw tables of a generated
history (time percentiles and SLA included); rebuild_stats finds no drift; the beat that follows
the audit chain keeps the summaries exact and is harmless when run twice."""

import math
from collections import Counter, defaultdict
from datetime import date
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Role
from approvals import ratings, workflow
from approvals.models import REVIEW_UNDECIDED, Application, Rating, Review
from audit.chain import audit_seal
from audit.models import Action, AuditEvent
from catalogue.calendar import load_calendar
from catalogue.models import Service
from dashboards import selectors
from dashboards.models import DayStat, ReviewFact
from dashboards.stats import stats_consume, stats_rebuild
from departments.models import Department
from permits.models import Permit
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
DECIDED = ("approved", "rejected")


@pytest.fixture
def manager(client):
    user = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    client.force_login(user)
    return user


def local(moment):
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date() if moment else None


def nearest_rank(values, p):
    values = sorted(values)
    return values[max(1, math.ceil(p * len(values) / 100)) - 1] if values else None


def expected(start: date, end: date, service_id=None, department_id=None) -> dict:
    """The dashboard's figures, counted straight from the raw tables with the catalogue calendar."""
    calendar = load_calendar()
    apps = Application.objects.filter(submitted_at__isnull=False)
    reviews = Review.objects.filter(application__submitted_at__isnull=False)
    if service_id:
        apps, reviews = apps.filter(service_id=service_id), reviews.filter(application__service_id=service_id)
    if department_id:
        apps = apps.filter(reviews__department_id=department_id)
        reviews = reviews.filter(department_id=department_id)
    app_ids = set(apps.values_list("pk", flat=True))
    within = lambda day: day is not None and start <= day <= end  # noqa: E731
    out = Counter()
    out["submitted"] = sum(within(local(a.submitted_at)) for a in apps)
    out["permits"] = sum(within(local(p.issued_at)) for p in Permit.objects.filter(application_id__in=app_ids))
    rated = [r.score for r in Rating.objects.filter(application_id__in=app_ids) if within(local(r.created_at))]
    out["ratings"], out["low_ratings"] = len(rated), sum(s <= 2 for s in rated)
    out["average_rating"] = round(sum(rated) / len(rated), 2) if rated else None
    times, by_department, by_service = [], defaultdict(list), defaultdict(list)
    backlog = Counter()
    asked = AuditEvent.objects.filter(action=Action.REVIEW_CORRECTION).values_list("object_id", "at")
    in_scope = set(reviews.values_list("pk", flat=True))
    out["correction_requested"] = sum(int(pk) in in_scope and within(local(at)) for pk, at in asked)
    for r in reviews.select_related("application"):
        if r.status in REVIEW_UNDECIDED:
            backlog[(r.department_id, r.stage)] += 1
        out["yellow"] += within(local(r.yellow_at))
        out["red"] += within(local(r.red_at))
        day = local(r.decided_at)
        if r.status not in DECIDED or not within(day):
            continue
        out["decided"] += 1
        out[r.status] += 1
        out["sla_met"] += bool(r.due_date and day <= r.due_date)
        # Net of the working days the clock waited on the applicant.
        days = calendar.working_days_between(local(r.routed_at), day) - r.paused_days
        times.append(days)
        by_department[r.department_id].append(days)
        by_service[r.application.service_id].append(days)
    out["p50"], out["p90"] = nearest_rank(times, 50), nearest_rank(times, 90)
    out["departments"] = {d: (len(v), nearest_rank(v, 50), nearest_rank(v, 90)) for d, v in by_department.items()}
    out["services"] = {s: (len(v), nearest_rank(v, 50), nearest_rank(v, 90)) for s, v in by_service.items()}
    out["backlog"] = dict(backlog)
    return out


def shown(response) -> dict:
    figures = response.context["figures"]
    t = figures["totals"]
    return {
        **{k: t[k] for k in ("submitted", "permits", "ratings", "low_ratings", "average_rating", "yellow", "red",
                             "decided", "sla_met")},
        "approved": t["approved"], "rejected": t["rejected"], "correction_requested": t["corrections"],
        "p50": figures["times_overall"]["p50"], "p90": figures["times_overall"]["p90"],
        "departments": {r["department"].pk: (r["n"], r["p50"], r["p90"]) for r in figures["times_department"]},
        "services": {r["service"].pk: (r["n"], r["p50"], r["p90"]) for r in figures["times_service"]},
        "backlog": {(r["department"].pk, r["stage"]): r["total"] for r in figures["backlog"]},
    }


def without_zero(counter):
    return {k: v for k, v in counter.items() if v}


@pytest.mark.parametrize("start, end, service, department", [
    (date(2024, 11, 1), date(2026, 11, 30), None, None),  # the whole history
    (date(2025, 3, 17), date(2026, 2, 9), None, None),  # partial months at both ends
    (date(2025, 1, 1), date(2026, 11, 30), "open-a-restaurant", None),
    (date(2025, 6, 5), date(2026, 11, 30), None, "fire"),
    (date(2026, 9, 1), date(2026, 9, 30), "open-a-retail-shop", "tax"),  # one whole month
])
def test_the_dashboard_equals_counts_from_the_raw_tables(history, manager, client, start, end, service, department):
    service_id = Service.objects.get(slug=service).pk if service else None
    department_id = Department.objects.get(code=department).pk if department else None
    response = client.get(reverse("dashboards:dashboard"), {
        "date_from": start.isoformat(), "date_to": end.isoformat(), "service": service or "",
        "department": department or ""})
    assert response.status_code == 200
    want, got = expected(start, end, service_id, department_id), shown(response)
    assert want["decided"] > 0 and want["submitted"] > 0
    for key in ("submitted", "permits", "ratings", "low_ratings", "average_rating", "yellow", "red", "decided",
                "sla_met", "approved", "rejected", "correction_requested", "p50", "p90", "departments", "services"):
        assert got[key] == want[key], key
    assert got["backlog"] == without_zero(want["backlog"])


def test_the_bottlenecks_page_shows_the_dashboards_waits(history, manager, client):
    params = {"date_from": "2025-03-17", "date_to": "2026-11-30", "department": "fire"}
    dashboard = client.get(reverse("dashboards:dashboard"), params).context["figures"]["waits"]
    bottlenecks = client.get(reverse("dashboards:bottlenecks"), params).context["waits"].rows
    key = ("department", "stage", "n", "mean", "p50", "p90")
    assert dashboard and [[r[k] for k in key] for r in bottlenecks] == [[r[k] for k in key] for r in dashboard]


def test_the_history_has_what_the_dashboard_shows(history):
    # The generated history is not trivial: every kind of figure has data to count.
    want = expected(date(2024, 11, 1), date(2026, 11, 30))
    assert all(want[k] > 0 for k in ("permits", "ratings", "low_ratings", "yellow", "red", "rejected",
                                     "correction_requested"))
    assert want["p90"] > want["p50"]
    # Some decisions came after an answered correction: their processing time is net of the wait.
    assert Review.objects.filter(status__in=DECIDED, paused_days__gt=0).count() > 10


def test_rebuild_finds_no_drift_and_reports_a_tampered_summary(history):
    out = StringIO()
    call_command("rebuild_stats", "--check", stdout=out)
    assert out.getvalue().startswith("drift: 0 summary rows")
    row = DayStat.objects.filter(submitted__gt=0).order_by("day", "service_id", "department_id").first()
    DayStat.objects.filter(pk=row.pk).update(submitted=row.submitted + 3)
    drift = stats_rebuild(dry_run=True)
    assert (drift.total, drift.day) == (1, 1)
    assert f"kept {row.submitted + 3}, raw tables {row.submitted}" in drift.examples[0]
    assert stats_rebuild().total == 1  # reported, then repaired
    assert stats_rebuild(dry_run=True).total == 0


def test_the_beat_follows_the_audit_chain_exactly_once(submit, officers, restaurant):
    """Real workflow changes reach the summaries through the sealed audit chain; consuming again
    (or a rebuild) changes nothing."""
    stats_rebuild()
    first, second = submit(), submit()
    workflow.application_route(application_ids=[first.pk])
    workflow.application_route(application_ids=[second.pk])
    registration = first.reviews.get(department__code="registration")
    workflow.review_decide(review_id=registration.pk, actor=officers["registration"], decision="correction",
                           correction_fields=["business_name"], message="As registered, please.")
    workflow.application_resubmit(application_id=first.pk, actor=first.applicant, data={"business_name": "Jade Ltd"})
    for code in ("registration", "health", "tax"):
        review = first.reviews.get(department__code=code)
        workflow.review_decide(review_id=review.pk, actor=officers[code], decision="approve")
    review = second.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="reject", reason="No ventilation")
    ratings.rating_give(application_id=second.pk, actor=second.applicant, score=1, comment="")
    sealed = audit_seal()
    # A run stops after its batches; the next continues from the committed cursor.
    assert stats_consume(batch=3, max_batches=1) == 3
    assert stats_consume() == sealed - 3
    assert stats_rebuild(dry_run=True).total == 0
    kept = list(DayStat.objects.order_by("pk").values())
    assert stats_consume() == 0
    audit_seal()
    assert list(DayStat.objects.order_by("pk").values()) == kept
    totals = DayStat.objects.filter(department_id=0).values_list("submitted", "ratings", "low_ratings")
    assert [sum(col) for col in zip(*totals, strict=True)] == [2, 1, 1]
    health = Department.objects.get(code="health").pk
    assert DayStat.objects.filter(department_id=health).values_list("rejected", flat=True).get() == 1
    # The correction request is counted once, on its own; the decision after it is the one decision.
    assert DayStat.objects.filter(department_id=registration.department_id).values_list(
        "corrections", "decided", "approved").get() == (1, 1, 1)
    today = DayStat.objects.filter(department_id=registration.department_id).values_list("day", flat=True).get()
    figures = selectors.dashboard(selectors.Filters(today, today), selectors.Scope(None))
    row = next(r for r in figures["departments"] if r["department"].pk == registration.department_id)
    assert (row["answers"], row["approval_rate"], row["rejection_rate"], row["correction_rate"], row["sla_rate"]) == (
        2, 50.0, 0.0, 50.0, 100.0)


def test_the_upgrade_forgets_open_correction_requests_counted_as_decisions(db):
    from importlib import import_module

    from django.apps import apps as django_apps

    common = {"application_id": 1, "department_id": 1, "service_id": 1, "stage": 1, "decision_day": date(2026, 11, 2),
              "working_days": 3, "sla_met": True}
    ReviewFact.objects.create(review_id=1, status="correction_requested", **common)
    ReviewFact.objects.create(review_id=2, status="approved", **common)
    import_module("dashboards.migrations.0002_review_fact_correction_days").forget_correction_decisions(django_apps, None)
    assert list(ReviewFact.objects.order_by("review_id").values_list("decision_day", "working_days", "sla_met")) == [
        (None, None, False), (date(2026, 11, 2), 3, True)]
