"""Approve and reject are confirmed on a page showing what will be recorded before anything is."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import workflow
from approvals.models import ReviewStatus
from audit.models import Action, AuditEvent
from catalogue.schema import frozen_schema
from departments.models import StandardReason

pytestmark = pytest.mark.django_db

DECISIONS = [Action.REVIEW_APPROVED, Action.REVIEW_REJECTED, Action.REVIEW_CORRECTION]


@pytest.fixture
def health(submit):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    return application.reviews.select_related("department", "application").get(department__code="health")


def summary(html: str) -> list[tuple[str, str]]:
    block = html.split('id="decision-summary">', 1)[1].split("</dl>", 1)[0]
    return re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, re.S)


def decisions() -> int:
    return AuditEvent.objects.filter(action__in=DECISIONS).count()


def test_approve_asks_first_and_records_once_confirmed(client, health, officers):
    client.force_login(officers["health"])
    url = reverse("departments:decide", args=[health.pk])
    data = {"decision": "approve", "conditions": "Keep the exits clear", "version": health.version}
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert summary(html) == [("Application", health.application.reference), ("Department", "Health Bureau"),
                             ("Decision", "Approve"), ("Conditions", "Keep the exits clear")]
    # The entered values ride along, hidden, with a confirm and a back button.
    assert '<input type="hidden" name="conditions" value="Keep the exits clear"' in html
    assert 'name="confirm"' in html and 'name="edit"' in html
    health.refresh_from_db()
    assert (health.status, health.decided_at, decisions()) == (ReviewStatus.PENDING, None, 0)

    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    health.refresh_from_db()
    assert (health.status, health.conditions) == (ReviewStatus.APPROVED, "Keep the exits clear")
    assert decisions() == 1
    # The confirmation posted twice (double click) records nothing more.
    client.post(url, {**data, "confirm": "1"})
    assert decisions() == 1


def test_approve_without_conditions_says_none(client, health, officers):
    client.force_login(officers["health"])
    response = client.post(reverse("departments:decide", args=[health.pk]), {"decision": "approve", "version": health.version})
    assert summary(response.content.decode())[-1] == ("Conditions", "None")


def test_reject_shows_the_reason_as_it_will_be_recorded(client, health, officers, citizen):
    reason = StandardReason.objects.create(department=health.department, position=1,
                                           text={"en": "The floor plan is unreadable", "zh-hans": "平面图无法辨认"})
    citizen.language = "zh-hans"
    citizen.save(update_fields=["language"])
    client.force_login(officers["health"])
    url = reverse("departments:decide", args=[health.pk])
    data = {"decision": "reject", "standard_reason": reason.pk, "reason": "Page 2 is blank.", "version": health.version}
    response = client.post(url, data)
    assert summary(response.content.decode()) == [
        ("Application", health.application.reference), ("Department", "Health Bureau"), ("Decision", "Reject"),
        ("Reason", "平面图无法辨认<br>Page 2 is blank."),
    ]
    assert decisions() == 0
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    health.refresh_from_db()
    assert (health.status, health.reason, decisions()) == (ReviewStatus.REJECTED, "平面图无法辨认\nPage 2 is blank.", 1)


def test_a_reject_without_reason_is_refused_before_the_confirmation(client, health, officers):
    client.force_login(officers["health"])
    response = client.post(reverse("departments:decide", args=[health.pk]), {"decision": "reject", "version": health.version})
    assert response.status_code == 400
    assert "Give the reason for the rejection." in response.content.decode()
    assert 'id="decision-summary"' not in response.content.decode()
    assert decisions() == 0


def test_going_back_keeps_the_entered_text(client, health, officers):
    client.force_login(officers["health"])
    data = {"decision": "reject", "reason": "Plan <unreadable>", "version": health.version, "edit": "1"}
    response = client.post(reverse("departments:decide", args=[health.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<textarea name="reason"[^>]*>\s*Plan &lt;unreadable&gt;</textarea>', html)
    assert re.search(r'<input type="radio"[^>]*name="decision" value="reject"[^>]*checked>', html)
    assert decisions() == 0


def test_a_correction_request_goes_straight_through(client, health, officers):
    client.force_login(officers["health"])
    response = client.post(reverse("departments:decide", args=[health.pk]), {
        "decision": "correction", "correction_fields": ["seats"], "message": "Count again", "version": health.version})
    assert response.status_code == 302
    health.refresh_from_db()
    assert health.status == ReviewStatus.CORRECTION_REQUESTED and decisions() == 1


def test_the_confirmation_in_chinese(client, health, officers):
    client.force_login(officers["health"])
    response = client.post(reverse("departments:decide", args=[health.pk]),
                           {"decision": "approve", "version": health.version}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = summary(response.content.decode())
    assert [label for label, _value in rows] == ["申请", "部门", "审批决定", "附加条件"]
    assert rows[2][1] == "批准"


def test_another_departments_review_is_a_404_at_both_steps(client, health, officers):
    client.force_login(officers["tax"])
    url = reverse("departments:decide", args=[health.pk])
    assert client.post(url, {"decision": "approve", "version": health.version}).status_code == 404
    assert client.post(url, {"decision": "approve", "version": health.version, "confirm": "1"}).status_code == 404
    assert decisions() == 0


def test_a_confirmed_decision_reads_the_review_once_before_the_engine(client, health, officers):
    """What the decision's page costs besides the engine: the visitor (session, account, second
    factor), then the review with the officer's role in its department, and the department's
    standard reasons, once each. The engine's statements follow in its transaction."""
    StandardReason.objects.create(department=health.department, text="Incomplete plans", position=1)
    frozen_schema(health.application.service_version_id)  # read once per process, as a worker's first request does
    client.force_login(officers["health"])
    url = reverse("departments:decide", args=[health.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"decision": "approve", "version": health.version, "confirm": "1"})
    assert response.status_code == 302
    statements = [q["sql"] for q in queries.captured_queries]
    engine = next(i for i, sql in enumerate(statements) if sql.startswith("SAVEPOINT"))
    assert [re.findall(r'FROM "(\w+)"', sql) for sql in statements[:engine]] == [
        ["django_session"], ["accounts_user"], ["otp_totp_totpdevice"], ["departments_membership", "approvals_review"],
        ["departments_standardreason"]]
    health.refresh_from_db()
    assert (health.status, decisions()) == (ReviewStatus.APPROVED, 1)
