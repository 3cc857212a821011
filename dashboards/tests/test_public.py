"""The published performance tables (dashboards.public): exact figures from known summary rows,
suppression of small counts and of the figures derived from them, the differencing rule, and the
same figures as the managers' dashboard on a generated history."""

from datetime import date

import pytest
import time_machine

from approvals import complaints
from catalogue.models import Service
from dashboards import public, selectors
from dashboards.forms import add_months
from dashboards.models import ALL_DEPARTMENTS, DayStat
from departments.models import Department
from tests.complaint_fixtures import application_grounds
from tests.factories import restaurant_service

from .conftest import NOVEMBER, OCTOBER, day_rows

DECEMBER = date(2026, 12, 1)

pytestmark = pytest.mark.django_db


# The dashboards' own figures; complaints and rectifications are columns of their own (tested below).
PERFORMANCE = [m.name for m in public.PERFORMANCE_MEASURES]


def cells(table, rows, subject, month, names=PERFORMANCE) -> dict:
    row = next(r for r in rows if r.subject.pk == subject.pk and r.month == month)
    return {name: (row.cells[name].value, row.cells[name].reason) for name in names}


def test_exact_figures_and_small_counts(known):
    table = public.published([OCTOBER, NOVEMBER])
    assert table.threshold == 5
    assert [m.name for m in table.measures][:6] == ["received", "decided", "decided_in_time_percent",
                                                    "median_working_days", "ratings", "average_rating"]
    # Health reviews every application of "big" and "small": 15 − big's published 12 would give away
    # small's suppressed 3, so health's 15 is withheld too. Its 12 decisions are published: its share of
    # big's 13 cannot be read off (fire decided some), so 12 − that share says nothing of small's 2.
    assert cells(table, table.departments, known["health"], OCTOBER) == {
        "received": (15, "complementary"), "decided": (12, None),
        "decided_in_time_percent": (75.0, None), "median_working_days": (2, None),
        "ratings": (6, None), "average_rating": (4.0, None)}
    # Fire decided 3: a small count, and its share in time and median with it.
    assert cells(table, table.departments, known["fire"], OCTOBER) == {
        "received": (12, None), "decided": (3, "small_count"), "decided_in_time_percent": (100.0, "derived"),
        "median_working_days": (4, "derived"), "ratings": (6, None), "average_rating": (4.0, None)}
    # A service's decisions are all its departments': 13, 11 in time; median of 1,1,1,2,2,2,2,4,4,4,5,5,5.
    assert cells(table, table.services, known["big"], OCTOBER) == {
        "received": (12, None), "decided": (13, None), "decided_in_time_percent": (84.6, None),
        "median_working_days": (2, None), "ratings": (6, None), "average_rating": (4.0, None)}
    # A zero is published (nobody is in it); the average of no rating is no figure, and not suppressed.
    assert cells(table, table.services, known["small"], OCTOBER) == {
        "received": (3, "small_count"), "decided": (2, "small_count"), "decided_in_time_percent": (50.0, "derived"),
        "median_working_days": (3, "derived"), "ratings": (0, None), "average_rating": (None, None)}
    # November: "small" had nothing, so health's counts are safe to publish.
    assert cells(table, table.departments, known["health"], NOVEMBER) == {
        "received": (20, None), "decided": (7, None), "decided_in_time_percent": (100.0, None),
        "median_working_days": (6, None), "ratings": (5, None), "average_rating": (5.0, None)}
    assert cells(table, table.services, known["small"], NOVEMBER)["received"] == (0, None)
    # Published: a suppressed cell gives no value.
    row = next(r for r in table.departments if r.subject.pk == known["fire"].pk and r.month == OCTOBER)
    assert [row.cells[name].published for name in PERFORMANCE] == [12, None, None, None, 6, 4.0]


def test_the_threshold_is_a_setting(known, settings):
    settings.OPEN_DATA_MIN_COUNT = 3
    table = public.published([OCTOBER])
    # 3 is no longer small, so health's 15 no longer tells a small count; "small"'s 2 decisions still are.
    assert cells(table, table.services, known["small"], OCTOBER)["received"] == (3, None)
    assert cells(table, table.departments, known["health"], OCTOBER)["received"] == (15, None)
    assert cells(table, table.services, known["small"], OCTOBER)["decided"] == (2, "small_count")
    assert cells(table, table.departments, known["fire"], OCTOBER)["decided"] == (3, None)


def test_a_department_deciding_a_service_alone_protects_its_small_count(known):
    """Fire alone decides "solo" (2 decisions) and shares big's 13 with health: fire's 3 + 2 = 5 is not
    small, but 5 − (a share of big nobody can read) is no threat; with big decided by fire alone
    (13 = fire's 13) it would be: 15 − 13 = 2."""
    solo = restaurant_service(slug="solo", reviews=[("fire", 1, 5, ["seats"])])
    day_rows(date(2026, 10, 12), solo, (known["fire"].pk, {"decided": 2, "approved": 2}))
    table = public.published([OCTOBER])
    assert cells(table, table.departments, known["fire"], OCTOBER)["decided"] == (5, None)
    DayStat.objects.filter(service_id=known["big"].pk, department_id=known["health"].pk).update(decided=0)
    DayStat.objects.filter(service_id=known["big"].pk, department_id=known["fire"].pk, decided=3).update(decided=13)
    table = public.published([OCTOBER])
    assert cells(table, table.services, solo, OCTOBER)["decided"] == (2, "small_count")
    assert cells(table, table.services, known["big"], OCTOBER)["decided"] == (13, None)
    assert cells(table, table.departments, known["fire"], OCTOBER)["decided"] == (15, "complementary")
    assert cells(table, table.departments, known["fire"], OCTOBER)["median_working_days"] == (4, "derived")


def test_hidden_parts_adding_up_to_the_threshold_keep_the_department_published(known):
    """Two suppressed service counts of 3 and 4 together: the department's 7 + 12 tells only their sum."""
    other = restaurant_service(slug="other", reviews=[("health", 1, 5, ["business_name"])])
    day_rows(date(2026, 10, 10), other, (ALL_DEPARTMENTS, {"submitted": 4}), (known["health"].pk, {"submitted": 4}))
    table = public.published([OCTOBER])
    assert cells(table, table.services, other, OCTOBER)["received"] == (4, "small_count")
    assert cells(table, table.departments, known["health"], OCTOBER)["received"] == (19, None)


def test_every_department_and_service_has_a_row_per_month(known):
    table = public.published([OCTOBER, NOVEMBER])
    departments = list(Department.objects.order_by("code"))
    assert [(r.month, r.subject.code) for r in table.departments] == [
        (month, d.code) for month in (OCTOBER, NOVEMBER) for d in departments]
    assert [r.month for r in table.of(known["big"])] == [OCTOBER, NOVEMBER]
    assert len(table.services) == 2 * Service.objects.count()


# --- The same figures as the managers' dashboard, on a generated history ---------------------------------

def dashboard_figures(month, *, department=None, service=None) -> dict:
    filters = selectors.Filters(date_from=month, date_to=public.month_end(month),
                                service_id=service.pk if service else None,
                                department_id=department.pk if department else None)
    figures = selectors.dashboard(filters, selectors.Scope(None))
    t = figures["totals"]
    return {"received": t["submitted"], "decided": t["decided"], "decided_in_time_percent": t["sla_rate"],
            "median_working_days": figures["times_overall"]["p50"], "ratings": t["ratings"],
            "average_rating": t["average_rating"]}


@pytest.mark.postgres
def test_every_published_figure_equals_the_dashboards(history, settings):
    settings.OPEN_DATA_MIN_COUNT = 0  # every figure shown: compare them all
    months = [date(2026, m, 1) for m in (7, 8, 9, 10, 11)]
    table = public.published(months)
    compared = 0
    for rows, kind in ((table.departments, "department"), (table.services, "service")):
        for row in rows:
            want = dashboard_figures(row.month, **{kind: row.subject})
            assert {name: row.cells[name].value for name in PERFORMANCE} == want, (row.subject, row.month)
            assert not any(cell.suppressed for cell in row.cells.values())
            compared += bool(want["decided"])
    assert compared >= 30


@pytest.mark.postgres
def test_the_demo_history_publishes_most_department_figures(history):
    """At the default threshold the generated history's busy months are published, and what is
    suppressed says why."""
    year = public.published([add_months(date(2026, 11, 1), -n) for n in range(11, -1, -1)])
    assert len(year.departments) == 12 * Department.objects.count()
    table = public.published([date(2026, 10, 1)])
    received = [row.cells["received"] for row in table.departments]
    assert sum(not cell.suppressed for cell in received) >= len(received) // 2
    assert {cell.reason for row in table.departments + table.services for cell in row.cells.values()} <= {
        None, *public.REASONS}


def test_complaints_and_rectifications_are_published_with_the_same_rules(routed_application, rated, citizen, office,
                                                                         officers, settings):
    """A complaint received and upheld in time in November, a rating of 1 in December (a case for each
    of the two deciding departments): their own columns, per department and per service, counted by
    the engine's selectors; below the threshold they are small counts like every other."""
    with time_machine.travel("2026-11-20 12:00 +0800", tick=False):
        complaint = complaints.complaint_file(complainant=citizen, grounds=application_grounds(routed_application))
        complaints.complaint_answer(complaint_id=complaint.pk, actor=officers["health_supervisor"],
                                    text="We are sorry: the review waited for a colleague's return.", upheld=True)
    health, registration = (Department.objects.get(code=code) for code in ("health", "registration"))
    service = rated.service
    settings.OPEN_DATA_MIN_COUNT = 1
    with time_machine.travel("2026-12-07 12:00 +0800", tick=False):  # the cases are not yet overdue
        table = public.published([NOVEMBER, DECEMBER])
    assert [m.name for m in table.measures][6:] == [
        "complaints", "complaints_answered_in_time", "complaints_upheld",
        "rectifications_opened", "rectifications_closed_in_time", "rectifications_overdue"]

    def accountability(rows, subject, month):
        names = [m.name for m in table.measures[6:]]
        return [value for value, reason in cells(table, rows, subject, month, names).values() if reason is None]

    assert accountability(table.departments, health, NOVEMBER) == [1, 1, 1, 0, 0, 0]
    assert accountability(table.departments, health, DECEMBER) == [0, 0, 0, 1, 0, 0]
    assert accountability(table.departments, registration, DECEMBER) == [0, 0, 0, 1, 0, 0]
    assert accountability(table.services, service, NOVEMBER) == [1, 1, 1, 0, 0, 0]
    assert accountability(table.services, service, DECEMBER) == [0, 0, 0, 2, 0, 0]
    settings.OPEN_DATA_MIN_COUNT = 5
    table = public.published([NOVEMBER])
    assert cells(table, table.departments, health, NOVEMBER, ["complaints"]) == {"complaints": (1, "small_count")}
