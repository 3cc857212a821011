"""Two "Start application" requests of one citizen at the same moment (a double click) make
one draft, on real PostgreSQL, through the web views."""

from collections import Counter

import pytest
from django.urls import reverse

from approvals.models import Application, ApplicationStatus
from tests.client import PortalClient
from tests.factories import UserFactory, restaurant_service
from tests.test_concurrency import race_rounds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 30


def click(client: PortalClient, slug: str, data=None):
    def post():
        response = client.post(reverse("approvals:start", args=[slug]), data or {})
        assert response.status_code == 302, response.status_code
    return post


def signed_in_pairs(citizens):
    pairs = []
    for citizen in citizens:
        pair = []
        for _lane in range(2):
            client = PortalClient()
            client.force_login(citizen)
            pair.append(client)
        pairs.append(pair)
    return pairs


def drafts_per_citizen(citizens) -> Counter:
    return Counter(Application.objects.filter(applicant__in=citizens, status=ApplicationStatus.DRAFT)
                   .values_list("applicant_id", flat=True))


def test_double_click_on_start_makes_one_draft():
    service = restaurant_service(slug="race-start")
    citizens = [UserFactory() for _ in range(ROUNDS)]
    pairs = signed_in_pairs(citizens)
    rounds = [{"a": click(a, service.slug), "b": click(b, service.slug)} for a, b in pairs]
    assert race_rounds(["a", "b"], rounds) == []
    assert drafts_per_citizen(citizens) == {c.pk: 1 for c in citizens}


def test_double_click_on_start_another_makes_one_more_draft():
    """A citizen who already has a draft asks for a second one on purpose, with a double click."""
    service = restaurant_service(slug="race-another")
    citizens = [UserFactory() for _ in range(ROUNDS)]
    pairs = signed_in_pairs(citizens)
    for (a, _b) in pairs:
        click(a, service.slug)()
    Application.objects.filter(applicant__in=citizens).update(created_at="2026-01-01T00:00:00Z")
    rounds = [{"a": click(a, service.slug, {"another": "1"}), "b": click(b, service.slug, {"another": "1"})}
              for a, b in pairs]
    assert race_rounds(["a", "b"], rounds) == []
    assert drafts_per_citizen(citizens) == {c.pk: 2 for c in citizens}
