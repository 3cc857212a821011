"""Fixtures of the permit tests: an application approved by every department, its permit
rendered and signed by the real renderer."""

import pytest
from django.core.cache import cache

from approvals import workflow
from approvals.permit_flow import permit_render
from permits.models import Permit


def approve_all(application, officers):
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve",
                                   conditions=f"Condition of {review.department.code}.")
    return Permit.objects.get(application=application)


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_our_address(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"  # the address the tests expect in QR codes and permit.json
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def approved_permit(submit, officers):
    """The permit row of an approved application, its file not produced yet."""
    return approve_all(submit(), officers)


@pytest.fixture
def issued_permit(approved_permit):
    assert permit_render(permit_id=approved_permit.pk) == "rendered"
    approved_permit.refresh_from_db()
    return approved_permit
