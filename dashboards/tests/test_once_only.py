"""Once only on the managers' dashboard: per service, for the applications submitted in the range,
the answers asked and those taken from registers, the documents uploaded and those reused from
wallets, from the summaries (the same counts the application's receipt shows)."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from approvals.models import Application
from dashboards.stats import stats_rebuild
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo(settings.TIME_ZONE)


@pytest.fixture
def counted(submit, time_machine):
    """Three applications submitted on 7 December 2026, counted as the engine counts them."""
    time_machine.move_to(datetime(2026, 12, 7, 10, 0, tzinfo=TZ), tick=False)
    figures = [{"fields_asked": 5, "fields_taken": 2, "documents_uploaded": 1, "documents_reused": 1},
               {"fields_asked": 7, "fields_taken": 0, "documents_uploaded": 2, "documents_reused": 0},
               {}]  # submitted before the portal counted: nothing
    applications = []
    for once_only in figures:
        application = submit()
        Application.objects.filter(pk=application.pk).update(once_only=once_only)
        applications.append(application)
    stats_rebuild()
    return applications


def test_the_dashboard_shows_what_citizens_did_not_have_to_provide(client, counted):
    client.force_login(UserFactory(email="manager@example.gov", role=Role.MANAGER))

    response = client.get(reverse("dashboards:dashboard"), {"date_from": "2026-12-01", "date_to": "2026-12-31"})

    figures = response.context["figures"]["once_only"]
    assert [(r["service"].slug, r["fields_asked"], r["fields_taken"], r["documents_uploaded"], r["documents_reused"],
             r["not_provided"], r["fields_taken_rate"], r["documents_reused_rate"]) for r in figures["services"]] == [
        ("open-a-restaurant", 12, 2, 3, 1, 3, 14.3, 25.0)]
    assert figures["totals"]["not_provided"] == 3
    page = response.content.decode()
    assert '<dd class="fs-3" id="once-only-not-provided">3</dd>' in page
    assert 'id="once-only-reused">1 <small class="text-body-secondary">(25.0%)</small></dd>' in page

    export = client.get(reverse("dashboards:export", args=["once_only"]),
                        {"date_from": "2026-12-01", "date_to": "2026-12-31"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Service", "Answers asked", "Answers taken from registers", "Taken from registers %",
                       "Documents uploaded", "Documents reused from wallets", "Reused from wallets %"]
    assert rows[1][1:] == ["12", "2", "14.3", "3", "1", "25.0"]


def test_a_month_without_counts_shows_no_service(client, counted):
    client.force_login(UserFactory(email="manager@example.gov", role=Role.MANAGER))
    response = client.get(reverse("dashboards:dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    assert response.context["figures"]["once_only"]["services"] == []
    assert response.context["figures"]["once_only"]["totals"]["not_provided"] == 0


def test_the_receipt_and_the_submitted_page_show_the_same_figure(client, counted, citizen):
    application = counted[0]
    client.force_login(citizen)
    page = client.get(reverse("approvals:submitted", args=[application.pk])).content.decode()
    assert ("The government already held 3 of the things this application needed: you did not have to provide them."
            in page)
    assert "<th scope=\"row\">Answers taken from registers</th><td>2</td>" in page
    assert "<th scope=\"row\">Documents answered by your e-certificates</th><td>1</td>" in page
    # Counted before nothing was: no section.
    page = client.get(reverse("approvals:submitted", args=[counted[2].pk])).content.decode()
    assert "What you did not have to provide" not in page
