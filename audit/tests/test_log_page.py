"""The auditor's page names what each event is about (application reference, the review's
department in the page's language, the permit number) at a constant query count, and exports the
filtered log as a streamed CSV whose download is itself on record."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from approvals import workflow
from audit.models import Action, AuditEvent
from audit.services import Event, audit_record
from permits.models import Permit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BOM = b"\xef\xbb\xbf"


def approve_all(application, officers) -> Permit:
    workflow.application_route(application_ids=[application.pk])
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve")
    return Permit.objects.get(application=application)


def rows_of(response) -> list[dict]:
    return [{"object": e.object_label, "application": e.reference, "department": e.department_name}
            for e in response.context["events"]]


def test_each_event_names_its_application_department_and_permit(client, submit, officers, auditor):
    application = submit()
    permit = approve_all(application, officers)
    health = application.reviews.get(department__code="health")
    response = client.get(reverse("audit:log"), {"application": application.reference})
    assert response.status_code == 200
    rows = {(e.action, e.object_id): row for e, row in zip(response.context["events"], rows_of(response), strict=True)}
    assert rows[(Action.REVIEW_APPROVED, str(health.pk))] == {
        "object": "Review by Health Bureau", "application": application.reference, "department": "Health Bureau"}
    assert rows[(Action.PERMIT_ISSUED, str(permit.pk))] == {
        "object": f"Permit {permit.number}", "application": application.reference, "department": ""}
    assert rows[(Action.APPLICATION_SUBMITTED, str(application.pk))] == {
        "object": f"Application {application.reference}", "application": application.reference, "department": ""}
    body = response.content.decode()
    assert f"<td>{application.reference}</td>" in body and "<td>Health Bureau</td>" in body
    assert f"Permit {permit.number}" in body
    # The department's name follows the page's language.
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("audit:log"), {"application": application.reference, "action": "review.approved",
                                                "department": "health"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert [row["department"] for row in rows_of(chinese)] == ["health局"]


def test_objects_that_no_longer_resolve_keep_their_raw_name(client, auditor):
    audit_record(Event(action=Action.ACCESS_DENIED, object_type="permit", object_id="P-2026-999999"),
                 Event(action=Action.REVIEW_VIEWED, object_type="review", object_id=987654, application_id=987654,
                       department_code="gone"))
    rows = rows_of(client.get(reverse("audit:log")))
    assert rows == [{"object": "Review 987654", "application": "987654", "department": "gone"},
                    {"object": "Permit P-2026-999999", "application": "", "department": ""},
                    {"object": f"Account {auditor.pk}", "application": "", "department": ""}]  # signing in


def test_pages_and_purposes_are_named_in_words(client, auditor):
    audit_record(Event(action=Action.DASHBOARD_VIEWED, object_type="dashboard", object_id="scorecard",
                       purpose="supervision"))
    client.get(reverse("audit:log"))
    events = client.get(reverse("audit:log")).context["events"]
    assert [(e.object_label, e.purpose_label) for e in events] == [
        ("Audit log", "Auditing"), ("Department scorecard", "Supervising the departments"), (f"Account {auditor.pk}", "")]


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_the_log_and_its_export_cost_the_same_queries_for_n_and_n_plus_one_applications(
        client, submit, officers, auditor):
    approve_all(submit(), officers)
    urls = [reverse("audit:log"), reverse("audit:export")]
    for url in urls:
        _count(client, url)  # warm the session and caches
    before = [_count(client, url) for url in urls]
    approve_all(submit(), officers)  # new reviews, departments, a second permit on the page
    assert [_count(client, url) for url in urls] == before


def test_the_export_streams_the_filtered_log_with_names_and_is_on_record(client, submit, officers, auditor):
    application = submit()
    approve_all(application, officers)
    audit_record(Event(action=Action.APPLICATION_VIEWED, object_type="application", object_id=1, application_id=1,
                       actor=UserFactory(email="sly@example.org", full_name="=cmd"), purpose="review"))
    params = {"application": application.reference, "action": "review.approved"}
    response = client.get(reverse("audit:export"), params)
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM)
    header, *rows = list(csv.reader(io.StringIO(body[len(BOM):].decode())))
    assert header == ["Event id", "Chain position", "Time", "Actor", "Action", "Object", "Application", "Department",
                      "IP address", "Purpose"]
    assert len(rows) == 4 and {row[4] for row in rows} == {"Review approved"}
    assert {row[6] for row in rows} == {application.reference}
    assert {row[7] for row in rows} == {"Registration Bureau", "Health Bureau", "Tax Bureau", "Fire Bureau"}
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)
    export = AuditEvent.objects.get(action=Action.EXPORT_DOWNLOADED, actor=auditor)
    assert (export.object_type, export.object_id) == ("audit_log", "export")
    assert export.details == {"action": "review.approved", "application": application.pk}
    # Formula characters in a cell are neutralised.
    viewed = b"".join(client.get(reverse("audit:export"), {"action": "application.viewed"}).streaming_content)
    assert [row[3] for row in csv.reader(io.StringIO(viewed[len(BOM):].decode()))][1:] == ["'=cmd <sly@example.org>"]


def test_bad_export_filters_get_the_page_with_a_message_and_export_nothing(client, auditor):
    response = client.get(reverse("audit:export"), {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert response.status_code == 400 and "is after the end date" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOADED).exists()


@pytest.mark.parametrize("name", ["audit:log", "audit:export"])
def test_only_auditors_and_admins_open_the_log_and_its_export(client, db, name):
    audit_record(Event(action=Action.APPLICATION_VIEWED, object_type="application", object_id=1))
    for role in (Role.CITIZEN, Role.OFFICER, Role.SUPERVISOR, Role.MANAGER):
        user = UserFactory(email=f"{role}@example.gov", role=role)
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 404
        assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=user).count() == 1
    assert not AuditEvent.objects.filter(action__in=[Action.AUDIT_LOG_VIEWED, Action.EXPORT_DOWNLOADED]).exists()
    client.force_login(UserFactory(email="admin@example.gov", role=Role.ADMIN))
    assert client.get(reverse(name)).status_code == 200
