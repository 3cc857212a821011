"""The supervisor's page of due dates a calendar change would move: only their departments'
reviews, applied or kept from the list (audited), every refusal a message and nothing written,
and the same queries for one review as for many."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import workflow
from approvals.calendar_changes import calendar_changes_record
from approvals.models import CalendarChangeReview, CalendarChangeState, Review
from approvals.tests import test_sla
from audit.models import Action, AuditEvent
from catalogue.calendar import calendar_change
from catalogue.models import Holiday

pytestmark = pytest.mark.django_db

URL = reverse("departments:calendar_changes")
DECIDE = reverse("departments:calendar_changes_decide")
travel, routed = test_sla.travel, test_sla.routed  # fixtures: an application routed on Friday 2026-11-20


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def holiday_on_tuesday(travel) -> None:
    travel(date(2026, 11, 23), 9)
    with calendar_change():
        Holiday.objects.create(date=date(2026, 11, 24))
    calendar_changes_record()


@pytest.fixture
def listed(routed, travel):
    holiday_on_tuesday(travel)
    return routed


def item_of(application, code) -> CalendarChangeReview:
    return CalendarChangeReview.objects.get(review__application=application, department__code=code)


def due(application, code) -> date:
    return Review.objects.get(application=application, department__code=code).due_date


def test_a_supervisor_sees_only_their_departments_reviews(client, listed, officers):
    client.force_login(officers["tax_supervisor"])
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert [i.department.code for i in response.context["items"]] == ["tax"]
    assert listed.reference in page
    # The dates, machine-readable, and each checkbox labelled by its reference.
    assert '<time datetime="2026-11-24">' in page and '<time datetime="2026-11-25">' in page
    item = item_of(listed, "tax")
    assert f'id="item-{item.pk}"' in page
    assert f'<label class="visually-hidden" for="item-{item.pk}">Choose {listed.reference}</label>' in page
    # The queue says there is something to decide.
    assert "A calendar change would move due dates" in text(client.get(reverse("departments:queue")))


def test_an_officer_sees_nothing_to_decide(client, listed, officers):
    client.force_login(officers["tax"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["items"] == []
    assert "The supervisors of a department decide" in text(response)
    assert "A calendar change would move due dates" not in text(client.get(reverse("departments:queue")))


def test_applying_the_ticked_reviews(client, listed, officers):
    client.force_login(officers["health_supervisor"])
    item = item_of(listed, "health")
    response = client.post(DECIDE, {"action": "apply", "item": [item.pk], "shown": [item.pk]}, follow=True)
    assert "The recomputed due date was applied to 1 review." in text(response)
    assert due(listed, "health") == date(2026, 11, 30)
    assert due(listed, "tax") == date(2026, 11, 24)  # another department's: untouched
    assert AuditEvent.objects.filter(action=Action.REVIEW_DUE_RECOMPUTED, actor=officers["health_supervisor"]).count() == 1
    assert response.context["items"] == []


def test_keeping_all_the_shown_reviews(client, listed, officers):
    client.force_login(officers["registration_supervisor"])
    item = item_of(listed, "registration")
    response = client.post(DECIDE, {"action": "keep_all", "shown": [item.pk]}, follow=True)
    assert "The current due date of 1 review was kept." in text(response)
    assert due(listed, "registration") == date(2026, 11, 25)
    item.refresh_from_db()
    assert item.state == CalendarChangeState.KEPT


@pytest.mark.parametrize(("who", "data", "message"), [
    ("tax", lambda i: {"action": "apply", "item": [i["tax"]]},
     "Only a supervisor of the department can decide on its due dates."),
    ("health_supervisor", lambda i: {"action": "apply", "item": [i["tax"]]},
     "That calendar change is not in your list"),
    ("tax_supervisor", lambda i: {"action": "apply", "item": [i["tax"], 999_999]},
     "That calendar change is not in your list"),
    ("tax_supervisor", lambda i: {"action": "apply", "item": ["x"]}, "Choose at least one review."),
    ("tax_supervisor", lambda i: {"action": "apply"}, "Choose at least one review."),
    ("tax_supervisor", lambda i: {"action": "delete", "item": [i["tax"]]},
     "Choose whether to apply the recomputed dates or keep the current ones."),
], ids=["officer", "another department", "unknown id", "not a number", "none ticked", "unknown action"])
def test_refusals_are_messages_and_change_nothing(client, listed, officers, who, data, message):
    ids = {code: item_of(listed, code).pk for code in ("tax", "registration", "health")}
    client.force_login(officers[who])
    response = client.post(DECIDE, data(ids), follow=True)
    assert response.status_code == 200
    assert message in text(response)
    assert due(listed, "tax") == date(2026, 11, 24)
    assert CalendarChangeReview.objects.filter(state=CalendarChangeState.PENDING).count() == 3
    assert not AuditEvent.objects.filter(action__in=[Action.REVIEW_DUE_RECOMPUTED, Action.REVIEW_DUE_KEPT]).exists()


def test_a_stale_review_is_refused_with_a_message(client, listed, officers):
    supervisor = officers["registration_supervisor"]
    workflow.review_extend(review_id=item_of(listed, "registration").review_id, actor=supervisor,
                           due_date=date(2026, 12, 4), reason="Site visit")
    client.force_login(supervisor)
    response = client.post(DECIDE, {"action": "apply", "item": [item_of(listed, "registration").pk]}, follow=True)
    assert f"The dates of {listed.reference} changed since the calendar change was recorded" in text(response)
    assert due(listed, "registration") == date(2026, 12, 4)


def test_get_is_not_a_decision(client, listed, officers):
    client.force_login(officers["tax_supervisor"])
    assert client.get(DECIDE).status_code == 405


def test_the_list_takes_the_same_queries_for_one_review_as_for_many(client, submit, officers, travel):
    travel(test_sla.FRIDAY, 10)
    applications = [submit() for _ in range(3)]
    workflow.application_route(application_ids=[a.pk for a in applications])
    holiday_on_tuesday(travel)
    client.force_login(officers["tax_supervisor"])
    items = CalendarChangeReview.objects.filter(department__code="tax")
    assert items.count() == 3

    def page(pending: int):
        items.update(state=CalendarChangeState.KEPT)
        items.filter(pk__in=list(items.order_by("pk").values_list("pk", flat=True)[:pending])).update(
            state=CalendarChangeState.PENDING)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        assert len(response.context["items"]) == pending
        return queries

    one, three = page(1), page(3)
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_a_review_decided_meanwhile_leaves_the_list(client, listed, officers):
    workflow.review_decide(review_id=item_of(listed, "tax").review_id, actor=officers["tax"], decision="approve")
    client.force_login(officers["tax_supervisor"])
    assert client.get(URL).context["items"] == []
