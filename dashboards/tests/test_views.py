"""Who may open the dashboards, what a supervisor sees, bad filters, CSV exports (streamed,
neutralised), audit events of every view, and constant query counts."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from approvals import workflow
from approvals.models import Review
from audit.exports import neutralise
from audit.models import Action, AuditEvent
from dashboards.stats import stats_rebuild
from departments.models import Department
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGES = ["dashboards:dashboard", "dashboards:scorecard", "dashboards:bottlenecks"]


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@example.gov", full_name="Zhou Min", role=Role.MANAGER)


@pytest.fixture
def routed(submit, officers):
    """Two routed applications; one review overdue, held by the registration officer; the second's
    health review approved."""
    applications = [submit(), submit()]
    for application in applications:
        workflow.application_route(application_ids=[application.pk])
    health = applications[1].reviews.get(department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officers["health"], decision="approve")
    review = applications[0].reviews.get(department__code="registration")
    workflow.review_claim(review_id=review.pk, actor=officers["registration"])
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    Review.objects.filter(pk=review.pk).update(due_date=today - timedelta(days=3))
    stats_rebuild()
    return applications


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM):].decode())))


BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: Excel then reads the file as UTF-8


@pytest.mark.parametrize("page", PAGES)
def test_citizens_officers_and_auditors_cannot_open_the_dashboards(client, routed, officers, citizen, page):
    auditor = UserFactory(email="auditor@example.gov", role=Role.AUDITOR)
    for user in (citizen, officers["registration"], auditor):
        client.force_login(user)
        before = AuditEvent.objects.filter(action=Action.DASHBOARD_VIEWED).count()
        assert client.get(reverse(page)).status_code == 404
        assert AuditEvent.objects.filter(action=Action.DASHBOARD_VIEWED).count() == before
        assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=user).exists()
    client.logout()
    assert client.get(reverse(page)).status_code == 302  # to the sign-in page


def test_the_managers_view_is_audited(client, routed, manager):
    client.force_login(manager)
    response = client.get(reverse("dashboards:dashboard"), {"department": "health"})
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action=Action.DASHBOARD_VIEWED, actor=manager).get()
    assert event.details["department"] == "health" and event.object_id == "dashboard"
    assert response.context["figures"]["totals"]["submitted"] == 2
    assert response.context["figures"]["backlog_total"] == 1  # the first application's health review
    assert response.context["figures"]["totals"]["decided"] == 1
    # Every department is offered to a manager.
    assert {d.code for d in response.context["form"].departments.values()} == set(
        Department.objects.values_list("code", flat=True))


def test_a_supervisor_sees_only_their_department(client, routed, officers):
    supervisor = officers["health_supervisor"]
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:dashboard"))
    assert response.status_code == 200
    assert [row["department"].code for row in response.context["figures"]["departments"]] == ["health"]
    assert [row["department"].code for row in response.context["figures"]["backlog"]] == ["health"]
    # Another department is not one of theirs: a clear message, not its figures.
    response = client.get(reverse("dashboards:dashboard"), {"department": "tax"})
    assert response.status_code == 400
    assert "There is no department “tax” you can see" in response.content.decode()
    assert "figures" not in response.context
    assert client.get(reverse("dashboards:overdue", args=["registration"])).status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=supervisor, object_id="registration").exists()
    scorecard = client.get(reverse("dashboards:scorecard"))
    assert [row["department"].code for row in scorecard.context["rows"]] == ["health"]


@pytest.mark.parametrize("params, message", [
    ({"date_from": "2026-05-01", "date_to": "2026-01-01"}, "The start date 2026-05-01 is after the end date 2026-01-01"),
    ({"date_from": "1066-10-14", "date_to": "2026-01-01"}, "Choose dates between 2000-01-01 and a year from today."),
    ({"date_from": "2001-01-01", "date_to": "2026-01-01"}, "Choose a range of at most five years."),
    ({"date_from": "yesterday"}, "Enter a valid date."),
    ({"date_to": "2026-02-30"}, "Enter a valid date."),
    ({"service": "open-a-casino"}, "There is no service “open-a-casino”"),
    ({"department": "nope'><script>"}, "There is no department “nope&#x27;&gt;&lt;script&gt;” you can see"),
])
def test_bad_filters_get_a_clear_message(client, routed, manager, params, message):
    client.force_login(manager)
    for page in ("dashboards:dashboard", "dashboards:bottlenecks"):
        response = client.get(reverse(page), params)
        assert response.status_code == 400
        assert message in response.content.decode()
    response = client.get(reverse("dashboards:export", args=["backlog"]), params)
    assert response.status_code == 400 and not AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOADED).exists()


@pytest.mark.parametrize("month, message", [
    ("2026-13", "Give the month as YYYY-MM"), ("soon", "Give the month as YYYY-MM"),
    ("1999-12", "Choose a month between 2000-01 and this month."), ("2999-01", "Choose a month between"),
])
def test_bad_scorecard_months_get_a_clear_message(client, routed, manager, month, message):
    client.force_login(manager)
    response = client.get(reverse("dashboards:scorecard"), {"month": month})
    assert response.status_code == 400 and message in response.content.decode()


def _month_options(response) -> list[tuple[str, str, bool]]:
    import re

    select = re.search(r'<select name="month" id="id_month"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    return [(value, label, bool(selected)) for value, selected, label in
            re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))]


@pytest.mark.parametrize("language, labels", [
    ("en", ["December 2026", "November 2026", "October 2026", "September 2026"]),
    ("zh-hans", ["2026年12月", "2026年11月", "2026年10月", "2026年9月"]),
])
def test_the_month_picker_names_the_months_in_the_page_language(client, manager, monkeypatch, language, labels):
    monkeypatch.setattr("dashboards.forms.today", lambda: date(2026, 12, 6))
    client.force_login(manager)
    client.cookies["django_language"] = language
    options = _month_options(client.get(reverse("dashboards:scorecard"), HTTP_ACCEPT_LANGUAGE=language))
    assert [label for _value, label, _selected in options[:4]] == labels
    assert [value for value, _label, _selected in options[:4]] == ["2026-12", "2026-11", "2026-10", "2026-09"]
    assert options[-1][:2] == ("2022-01", "January 2022" if language == "en" else "2022年1月")
    assert len(options) == 60 and [o[0] for o in options if o[2]] == ["2026-12"]
    # The month asked for is the one selected, also one older than the list (typed into the address).
    chosen = _month_options(client.get(reverse("dashboards:scorecard"), {"month": "2026-09"}))
    assert [o[0] for o in chosen if o[2]] == ["2026-09"] and len(chosen) == 60
    older = _month_options(client.get(reverse("dashboards:scorecard"), {"month": "2019-03"}))
    assert older[-1] == ("2019-03", "March 2019" if language == "en" else "2019年3月", True)


def test_the_scorecard_heading_names_the_month(client, manager, monkeypatch):
    monkeypatch.setattr("dashboards.forms.today", lambda: date(2026, 12, 6))
    client.force_login(manager)
    body = client.get(reverse("dashboards:scorecard"), {"month": "2026-11"}).content.decode()
    assert "Ranking for November 2026" in body
    assert 'for="id_month">Month</label>' in body and '<button type="submit" class="btn btn-primary">Show</button>' in body


def test_unknown_export_and_overdue_department_answer_404(client, routed, manager):
    client.force_login(manager)
    assert client.get(reverse("dashboards:export", args=["passwords"])).status_code == 404
    assert client.get(reverse("dashboards:overdue", args=["nowhere"])).status_code == 404


@pytest.mark.parametrize("value, safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Wang Fang", "Wang Fang"), (12, "12"), (None, ""),
])
def test_cells_are_neutralised(value, safe):
    assert neutralise(value) == safe


def test_the_overdue_export_streams_named_owners_and_neutralises_names(client, submit, officers, manager):
    sly = UserFactory(email="sly@example.org", full_name="=cmd|'/c calc'!A1")
    application = submit(applicant=sly)
    workflow.application_route(application_ids=[application.pk])
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    Review.objects.filter(application=application).update(due_date=today - timedelta(days=1))
    held = application.reviews.get(department__code="tax")
    workflow.review_claim(review_id=held.pk, actor=officers["tax"])
    client.force_login(manager)
    page = client.get(reverse("dashboards:overdue", args=["tax"]))
    assert officers["tax"].get_full_name() in page.content.decode()
    response = client.get(reverse("dashboards:export", args=["overdue"]), {"department": "tax"})
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = rows(response)
    assert header[:2] == ["Reference", "Applicant"] and header[-1] == "Responsible"
    assert row[1] == "'=cmd|'/c calc'!A1"
    assert row[-1] == officers["tax"].get_full_name()
    unheld = client.get(reverse("dashboards:export", args=["overdue"]), {"department": "health"})
    assert rows(unheld)[1][-1] == f"Nobody yet (supervisors: {officers['health_supervisor'].get_full_name()})"
    assert AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOADED, actor=manager).count() == 2


@pytest.mark.parametrize("name", ["weekly", "daily", "backlog", "times_department", "times_service", "departments",
                                  "waits", "scorecard", "oldest"])
def test_every_table_exports_as_csv(client, routed, manager, name):
    client.force_login(manager)
    response = client.get(reverse("dashboards:export", args=[name]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="{name}.csv"'
    table = rows(response)
    assert len(table) >= 2 and len({len(r) for r in table}) == 1
    event = AuditEvent.objects.get(action=Action.EXPORT_DOWNLOADED, actor=manager)
    assert event.details["table"] == name


def test_csv_starts_with_a_bom_and_chinese_headers_decode(client, routed, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("dashboards:export", args=["backlog"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.streaming
    first = next(iter(response.streaming_content))
    assert first[:3] == BOM
    header = first[3:].decode("utf-8").rstrip("\r\n").split(",")
    assert header[:2] == ["部门", "阶段"]
    assert header == rows(client.get(reverse("dashboards:export", args=["backlog"])))[0]


def test_backlog_table_counts_open_reviews(client, routed, manager):
    client.force_login(manager)
    table = rows(client.get(reverse("dashboards:export", args=["backlog"])))
    assert table[0] == ["Department", "Stage", "Waiting for an earlier stage", "In the queue", "Being reviewed",
                        "Waiting for the applicant", "Total"]
    by_department = {r[0]: r[1:] for r in table[1:]}
    registration = Department.objects.get(code="registration").display_name
    fire = Department.objects.get(code="fire").display_name
    assert by_department[registration] == ["1", "0", "1", "1", "0", "2"]
    assert by_department[fire] == ["2", "2", "0", "0", "0", "2"]


def test_scorecard_shows_the_formula_and_ranks(client, routed, officers, manager):
    review = routed[1].reviews.get(department__code="tax")
    workflow.review_decide(review_id=review.pk, actor=officers["tax"], decision="approve")
    stats_rebuild()
    client.force_login(manager)
    response = client.get(reverse("dashboards:scorecard"))
    body = response.content.decode()
    assert "0.4 × decided in time % + 0.3 × speed score + 0.3 × rating score" in body
    ranked = response.context["rows"]
    # health and tax decided once each, on the day of routing, in time, without a rating: 0.4 × 100 + 0.3 × 100.
    assert [(r["department"].code, r["decided"], r["sla_rate"], r["median_days"], r["score"]) for r in ranked[:2]] == [
        ("health", 1, 100.0, 0, 70.0), ("tax", 1, 100.0, 0, 70.0)]
    assert {r["score"] for r in ranked[2:]} == {0.0}
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_pages_cost_the_same_queries_for_n_and_n_plus_one_rows(client, submit, officers, manager):
    client.force_login(manager)
    today = timezone.localdate(timezone=timezone.get_default_timezone())

    def one_more():
        application = submit()
        workflow.application_route(application_ids=[application.pk])
        Review.objects.filter(application=application).update(due_date=today - timedelta(days=2))
        stats_rebuild()

    one_more()
    urls = [(reverse(p), None) for p in PAGES] + [(reverse("dashboards:overdue", args=["registration"]), None)]
    for url, params in urls:  # warm: the session, the calendar and the catalogue caches
        _queries(client, url, params)
    before = [_queries(client, url, params) for url, params in urls]
    one_more()
    assert [_queries(client, url, params) for url, params in urls] == before


def test_review_tables_name_the_applicant_only_where_the_department_is_shown_the_name(client, submit, officers):
    """Supervisors' tables of reviews are the department's view of them: health's requirement lists
    none of the applicant's identity, tax's lists the name."""
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    Review.objects.filter(application=application).update(due_date=today - timedelta(days=1))

    client.force_login(officers["health_supervisor"])
    assert "Wang Fang" not in client.get(reverse("dashboards:overdue", args=["health"])).content.decode()
    assert "Wang Fang" not in client.get(reverse("dashboards:bottlenecks")).content.decode()
    _header, row = rows(client.get(reverse("dashboards:export", args=["overdue"]), {"department": "health"}))
    assert row[:2] == [application.reference, ""]
    _header, row = rows(client.get(reverse("dashboards:export", args=["oldest"])))
    assert row[:2] == [application.reference, ""]

    client.force_login(officers["tax_supervisor"])
    _header, row = rows(client.get(reverse("dashboards:export", args=["overdue"]), {"department": "tax"}))
    assert row[:2] == [application.reference, "Wang Fang"]
