"""Fixtures of the dashboards' tests."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from dashboards.models import ALL_DEPARTMENTS, DayStat, MonthDurationStat
from devtools.history import generate_history
from devtools.management.commands.seed_demo import DEMO_CATALOGUE
from tests.factories import DepartmentFactory, restaurant_service

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def history(db, settings, tmp_path):
    """300 generated applications up to NOW (seed 7), loaded through the demo catalogue, summaries rebuilt."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO_CATALOGUE), stdout=StringIO())
    generate_history(applications=300, seed=7, now=NOW)
    call_command("rebuild_stats", stdout=StringIO())


def day_rows(day, service, *rows):
    """DayStat rows of one day and service, as the beat keeps them: (department id or ALL_DEPARTMENTS, counters)."""
    for department_id, counters in rows:
        DayStat.objects.create(day=day, service_id=service.pk, department_id=department_id, **counters)


def histogram(month, service, department, **days):
    for working_days, count in days.items():
        MonthDurationStat.objects.create(month=month, service_id=service.pk, department_id=department.pk, stage=1,
                                         working_days=int(working_days[1:]), count=count)


@pytest.fixture
def known(db):
    """October 2026: "big" is reviewed by health and fire, "small" by health alone.
    big: 12 applications (6 ratings, 24 stars); health decided 10 (8 in time), fire 3 (3 in time).
    small: 3 applications, health decided 2 (1 in time), no rating.
    November: big alone, 20 applications, health decided 7 (7 in time), 5 ratings of 5 stars."""
    health, fire = DepartmentFactory(code="health"), DepartmentFactory(code="fire")
    big = restaurant_service(slug="big", reviews=[("health", 1, 5, ["business_name"]), ("fire", 1, 5, ["seats"])])
    small = restaurant_service(slug="small", reviews=[("health", 1, 5, ["business_name"])])
    ratings = {"ratings": 6, "rating_sum": 24}
    day_rows(date(2026, 10, 5), big, (ALL_DEPARTMENTS, {"submitted": 12, **ratings}),
             (health.pk, {"submitted": 12, **ratings}), (fire.pk, {"submitted": 12, **ratings}))
    day_rows(date(2026, 10, 20), big, (health.pk, {"decided": 10, "approved": 10, "sla_met": 8}),
             (fire.pk, {"decided": 3, "approved": 3, "sla_met": 3}))
    day_rows(date(2026, 10, 9), small, (ALL_DEPARTMENTS, {"submitted": 3}), (health.pk, {"submitted": 3}))
    day_rows(date(2026, 10, 28), small, (health.pk, {"decided": 2, "rejected": 2, "sla_met": 1}))
    histogram(OCTOBER, big, health, d1=3, d2=4, d5=3)
    histogram(OCTOBER, big, fire, d4=3)
    histogram(OCTOBER, small, health, d3=2)
    five = {"ratings": 5, "rating_sum": 25}
    day_rows(date(2026, 11, 3), big, (ALL_DEPARTMENTS, {"submitted": 20, **five}),
             (health.pk, {"submitted": 20, **five}), (fire.pk, {"submitted": 20, **five}))
    day_rows(date(2026, 11, 30), big, (health.pk, {"decided": 7, "approved": 7, "sla_met": 7}))
    histogram(NOVEMBER, big, health, d6=7)
    return {"health": health, "fire": fire, "big": big, "small": small}
