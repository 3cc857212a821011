"""The record of an access is written once a minute (audit.services.access_record): a reload or a
browser's prefetch of a review, a shared application, a file, an API read or the administration's
page of a citizen within 60 seconds of the same access adds no second event, so "who viewed my
data" lists visits, not requests. Another person, another object, another address or a later
minute is another access. Refused accesses are all kept: each is an attempt."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import TokenKind
from api.services import api_token_create
from approvals.events import engine_event
from audit.models import Action, AuditEvent
from tests.concurrent import run_together
from tests.engine_fixtures import submitted_application
from tests.factories import officer

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 12, 7, 4, 0, 0, tzinfo=UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOON, tick=False)
    return time_machine


@pytest.fixture
def application(submit):
    return submit()


def viewed(action=Action.REVIEW_VIEWED, **where) -> int:
    return AuditEvent.objects.filter(action=action, **where).count()


def test_a_review_opened_twice_in_a_minute_is_one_visit_and_the_next_minute_another(
        client, application, officers, frozen):
    review = application.reviews.get(department__code="health")
    url = reverse("departments:review", args=[review.pk])
    client.force_login(officers["health"])
    assert client.get(url).status_code == 200
    frozen.shift(timedelta(seconds=59))
    assert client.get(url).status_code == 200  # a reload
    assert viewed() == 1
    frozen.shift(timedelta(seconds=2))  # 61 s after the recorded visit
    assert client.get(url).status_code == 200
    assert viewed() == 2
    assert [e.at for e in AuditEvent.objects.filter(action=Action.REVIEW_VIEWED).order_by("pk")] == [
        NOON, NOON + timedelta(seconds=61)]


def test_two_officers_in_the_same_minute_are_two_visits(client, application, officers, frozen):
    review = application.reviews.get(department__code="health")
    url = reverse("departments:review", args=[review.pk])
    colleague = officer(review.department, email="second.health@example.gov")
    for person in (officers["health"], colleague, officers["health"], colleague):
        client.force_login(person)
        assert client.get(url).status_code == 200
    assert sorted(AuditEvent.objects.filter(action=Action.REVIEW_VIEWED).values_list("actor_id", flat=True)) == sorted(
        [officers["health"].pk, colleague.pk])


def test_each_object_is_its_own_visit(client, application, officers, frozen):
    client.force_login(officers["health"])
    review = application.reviews.get(department__code="health")
    attachment = application.attachments.get()
    download = reverse("departments:attachment", args=[review.pk, attachment.pk])
    for url in (reverse("departments:review", args=[review.pk]), download, download,
                reverse("departments:review", args=[review.pk])):
        assert client.get(url).status_code == 200
    assert (viewed(), viewed(Action.ATTACHMENT_VIEWED)) == (1, 1)


def test_another_address_is_another_visit(client, application, officers, frozen):
    review = application.reviews.get(department__code="health")
    url = reverse("departments:review", args=[review.pk])
    client.force_login(officers["health"])
    client.get(url, REMOTE_ADDR="203.0.113.7")
    client.get(url, REMOTE_ADDR="203.0.113.7")
    client.get(url, REMOTE_ADDR="198.51.100.4")
    assert sorted(AuditEvent.objects.filter(action=Action.REVIEW_VIEWED).values_list("ip", flat=True)) == [
        "198.51.100.4", "203.0.113.7"]


def test_an_api_read_twice_in_a_minute_is_one_visit(application, frozen):
    review = application.reviews.get(department__code="health")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer " + api_token_create(
        kind=TokenKind.DEPARTMENT, name="health system", department=review.department)[1])
    for _ in range(3):
        assert api.get(reverse("api:review", args=[review.pk])).status_code == 200
    assert viewed(purpose="api") == 1
    frozen.shift(timedelta(seconds=61))
    assert api.get(reverse("api:review", args=[review.pk])).status_code == 200
    assert viewed(purpose="api") == 2


def test_the_administrations_page_of_a_citizen_twice_in_a_minute_is_one_visit(frozen, admin_client, citizen):
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url).status_code == 200
    assert viewed(Action.PERSONAL_DATA_VIEWED, subject_id=citizen.pk) == 1


def test_refused_accesses_are_recorded_by_their_own_rule(client, application, officers, frozen):
    """A refusal is not a visit: it is counted by access_denied's rule (each object tried is on
    record; the same request again within the window only adds to the next record's count)."""
    reviews = list(application.reviews.exclude(department__code="tax"))
    client.force_login(officers["tax"])
    for review in (reviews[0], reviews[0], reviews[1]):
        assert client.get(reverse("departments:review", args=[review.pk])).status_code == 404
    assert viewed(Action.ACCESS_DENIED, actor=officers["tax"]) == 2
    assert viewed() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_requests_at_the_same_moment_are_one_visit(restaurant, citizen, officers, settings, tmp_path):
    from audit.services import access_record

    settings.MEDIA_ROOT = str(tmp_path / "media")
    review = submitted_application(restaurant, citizen).reviews.select_related("application").get(
        department__code="health")

    def visit(address):
        return lambda: access_record(engine_event(Action.REVIEW_VIEWED, review.application, obj=review,
                                                  actor=officers["health"], ip=address, department_code="health",
                                                  purpose="review"))

    for n in range(1, 6):
        assert sorted(run_together(*[visit(f"192.0.2.{n}")] * 3)) == [False, False, True]
    assert viewed() == 5
