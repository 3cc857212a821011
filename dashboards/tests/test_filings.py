"""The managers' dashboard shows the filings after approval not acknowledged: how many, the oldest,
per department, and how many are past their acknowledge-by day (FILING_ACKNOWLEDGE_DAYS working
days after the approval); a supervisor sees their own department's."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from approvals.filings import filing_acknowledge
from approvals.models import Filing
from tests.factories import UserFactory
from tests.filing_fixtures import approve

pytestmark = pytest.mark.django_db

TZ = ZoneInfo(settings.TIME_ZONE)


@pytest.fixture
def three_approvals(told_submit, told_staff, time_machine):
    """Approved on Monday 7, Thursday 10 and Monday 14 December 2026 (to acknowledge by Monday 14,
    Thursday 17 and Monday 21); the sub-district office acknowledged the second."""
    approved = []
    for day in (7, 10, 14):
        time_machine.move_to(datetime(2026, 12, day, 10, 0, tzinfo=TZ), tick=False)
        approved.append(approve(told_submit(), told_staff))
    filing_acknowledge(filing_id=Filing.objects.get(application=approved[1], department__code="subdistrict").pk,
                       actor=told_staff["subdistrict"])
    time_machine.move_to(datetime(2026, 12, 18, 9, 0, tzinfo=TZ), tick=False)  # Friday 18: two are past their day
    return approved


def test_the_manager_sees_the_unacknowledged_filings_per_department(client, three_approvals):
    manager = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    client.force_login(manager)

    response = client.get(reverse("dashboards:dashboard"))

    figures = response.context["figures"]["filings"]
    first = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)
    assert [(r["department"].code, r["count"], r["oldest"], r["overdue"]) for r in figures["departments"]] == [
        ("statistics", 3, first, 2), ("subdistrict", 2, first, 1)]
    assert (figures["count"], figures["overdue"], figures["oldest"], figures["days"]) == (5, 3, first, 5)
    page = response.content.decode()
    assert '<dd class="fs-3" id="filings-count">5</dd>' in page
    assert '<dd class="fs-3" id="filings-overdue"><span class="text-danger">3</span></dd>' in page
    assert '<dd class="fs-3" id="filings-oldest">7 Dec 2026</dd>' in page
    assert "within 5 working days of the approval" in page

    export = client.get(reverse("dashboards:export", args=["filings"]))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows == [["Department", "Not acknowledged", "Oldest filed", "Past their acknowledge-by day"],
                    ["Statistics Bureau", "3", "2026-12-07 10:00:00+08:00", "2"],
                    ["Subdistrict Bureau", "2", "2026-12-07 10:00:00+08:00", "1"]]


def test_the_filters_and_a_supervisors_scope_apply(client, three_approvals, told_staff):
    manager = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    client.force_login(manager)
    figures = client.get(reverse("dashboards:dashboard"), {"department": "subdistrict"}).context["figures"]["filings"]
    assert [(r["department"].code, r["count"]) for r in figures["departments"]] == [("subdistrict", 2)]

    client.force_login(told_staff["statistics_supervisor"])
    figures = client.get(reverse("dashboards:dashboard")).context["figures"]["filings"]
    assert [(r["department"].code, r["count"], r["overdue"]) for r in figures["departments"]] == [("statistics", 3, 2)]
    assert figures["count"] == 3


def test_nothing_to_acknowledge_reads_zero(client, db):
    client.force_login(UserFactory(email="manager@example.gov", role=Role.MANAGER))
    response = client.get(reverse("dashboards:dashboard"))
    figures = response.context["figures"]["filings"]
    assert (figures["departments"], figures["count"], figures["overdue"], figures["oldest"]) == ([], 0, 0, None)
    assert '<dd class="fs-3" id="filings-oldest">–</dd>' in response.content.decode()
