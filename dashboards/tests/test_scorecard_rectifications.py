"""The scorecard's rectifications of bad ratings: open now, overdue now (red, and said in words),
closed in time in the month."""

import pytest
import time_machine
from django.urls import reverse

from approvals import rectifications
from dashboards.tests.test_views import rows
from tests.rectification_fixtures import ACCOUNT, case_of

pytestmark = pytest.mark.django_db


def test_open_overdue_and_closed_in_time_per_department(client, rated, officers):
    with time_machine.travel("2026-12-09 10:00 +0800", tick=False):
        rectifications.rectification_close(rectification_id=case_of(rated, "registration").pk,
                                           actor=officers["registration_supervisor"], account=ACCOUNT)
    with time_machine.travel("2026-12-14 10:00 +0800", tick=False):
        client.force_login(officers["health_supervisor"])  # signed in then: sessions end
        response = client.get(reverse("dashboards:scorecard") + "?month=2026-12")
    assert {row["department"].code: row["rectifications"] for row in response.context["rows"]} == {
        "health": {"open": 1, "overdue": 1, "closed_in_time": 0}}
    assert '<span class="text-danger fw-bold">1 overdue</span>' in response.content.decode()
    with time_machine.travel("2026-12-14 10:00 +0800", tick=False):
        client.force_login(officers["registration_supervisor"])
        response = client.get(reverse("dashboards:scorecard") + "?month=2026-12")
    assert {row["department"].code: row["rectifications"] for row in response.context["rows"]} == {
        "registration": {"open": 0, "overdue": 0, "closed_in_time": 1}}


def test_the_scorecard_csv_carries_the_rectification_figures(client, rated, officers):
    with time_machine.travel("2026-12-14 10:00 +0800", tick=False):
        client.force_login(officers["health_supervisor"])
        page = client.get(reverse("dashboards:scorecard") + "?month=2026-12").content.decode()
        export = client.get(reverse("dashboards:export", args=["scorecard"]), {"month": "2026-12"})
    header, row = rows(export)
    figures = dict(zip(header, row, strict=True))
    assert header[-3:] == ["Rectifications open", "Rectifications overdue", "Rectified in time this month"]
    assert (figures["Department"], [figures[name] for name in header[-3:]]) == ("Health Bureau", ["1", "1", "0"])
    # On the page they stand in the rectifications table, not twice.
    assert page.count("<th scope=\"col\">Rectifications open</th>") == 0
