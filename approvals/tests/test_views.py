"""The minimal loop through the web: a citizen applies, officers decide, the citizen
downloads the permit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Application, ApplicationStatus, ReviewStatus
from audit.models import Action, AuditEvent
from permits.models import Permit
from permits.services import permit_render
from tests.engine_fixtures import pdf_upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def fill_and_submit(client, restaurant):
    response = client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.latest("pk")
    assert response.url == reverse("approvals:edit", args=[application.pk, 1])
    pages = {
        1: {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": "40", "opening_date": ""},
        2: {"site_address": "1 Harbour Road"},
        3: {"floor_plan": pdf_upload()},
    }
    for step, data in pages.items():
        response = client.post(reverse("approvals:edit", args=[application.pk, step]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("approvals:check", args=[application.pk])
    response = client.post(reverse("approvals:check", args=[application.pk]), {})
    assert response.status_code == 400
    assert "Confirm that your answers are true and complete." in response.content.decode()
    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"})
    assert response.url == reverse("approvals:submitted", args=[application.pk])
    application.refresh_from_db()
    return application


def test_apply_decide_download(client, restaurant, citizen, officers, media):
    client.force_login(citizen)
    application = fill_and_submit(client, restaurant)
    assert application.status == ApplicationStatus.IN_REVIEW
    page = client.get(reverse("approvals:submitted", args=[application.pk])).content.decode()
    assert application.reference in page

    for code in ["registration", "health", "tax", "fire"]:
        client.force_login(officers[code])
        review = application.reviews.get(department__code=code)
        response = client.get(reverse("departments:review", args=[review.pk]))
        assert response.status_code == 200
        response = client.post(reverse("departments:decide", args=[review.pk]),
                               {"decision": "approve", "version": review.version, "conditions": f"{code} ok"})
        assert response.status_code == 302
    permit = Permit.objects.get(application=application)
    assert permit_render(permit_id=permit.pk) == "rendered"

    client.force_login(citizen)
    response = client.get(reverse("permits:download", args=[permit.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ISSUED
    assert AuditEvent.objects.filter(action=Action.REVIEW_VIEWED, application_id=application.pk).count() == 4


def test_officer_sees_only_department_fields(client, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="registration")
    client.force_login(officers["registration"])
    page = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    assert "Golden Dragon" in page  # business_name: registration's field
    assert "1 Harbour Road" not in page  # site_address: fire's field only
    assert "plan.pdf" not in page  # floor_plan: not registration's


def test_other_department_and_citizens_get_404(client, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="health")
    client.force_login(officers["tax"])
    assert client.get(reverse("departments:review", args=[review.pk])).status_code == 404
    response = client.post(reverse("departments:decide", args=[review.pk]), {"decision": "approve", "version": 0})
    assert response.status_code == 404
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    assert client.get(reverse("approvals:detail", args=[application.pk])).status_code == 404
    assert client.get(reverse("departments:queue")).status_code == 404
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_tampered_decision_is_refused(client, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="registration")
    client.force_login(officers["registration"])
    url = reverse("departments:decide", args=[review.pk])
    assert client.post(url, {"decision": "promote", "version": review.version}).status_code == 400
    response = client.post(url, {"decision": "correction", "correction_fields": ["site_address"], "message": "x",
                                 "version": review.version})
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_my_applications_query_count_is_constant(client, submit, citizen):
    submit()
    client.force_login(citizen)
    client.get(reverse("approvals:my_applications"))  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("approvals:my_applications")).status_code == 200
    submit()
    submit()
    with CaptureQueriesContext(connection) as three:
        assert client.get(reverse("approvals:my_applications")).status_code == 200
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_queue_query_count_is_constant(client, submit, officers):
    submit()
    client.force_login(officers["health"])
    client.get(reverse("departments:queue"))  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("departments:queue")).status_code == 200
    submit()
    submit()
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("departments:queue"))
    assert page.content.decode().count("A-") >= 3
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_notifications_page_marks_read(client, submit, citizen):
    submit()
    client.force_login(citizen)
    home = client.get(reverse("home")).content.decode()
    assert '1<span class="visually-hidden"> unread</span>' in home
    page = client.get(reverse("approvals:notifications")).content.decode()
    assert "Application received" in page
    assert citizen.notifications.filter(read_at__isnull=True).count() == 0
    assert "unread</span>" not in client.get(reverse("home")).content.decode()
