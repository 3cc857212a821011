"""Fixtures for the rectification of bad ratings (registered in the root conftest): an application
rejected after two departments decided, and the same rated 1 on a Friday, which opened a case for
each of the two (due the next Friday)."""

import pytest
import time_machine

from approvals import ratings, workflow
from approvals.models import ApplicationStatus, Rectification

# A Friday: five working days later is the next Friday (the test catalogue works Monday to Friday).
RATED_ON = "2026-12-04 10:00 +0800"
ACCOUNT = "We called the applicant, apologised and shortened our checklist."


def decide(application, officers, code, decision="approve", **kwargs):
    review = application.reviews.get(department__code=code)
    return workflow.review_decide(review_id=review.pk, actor=officers[code], decision=decision, **kwargs)


@pytest.fixture
def rejected(submit, officers):
    """Registration approved, health rejected: tax and fire were cancelled without a decision."""
    application = submit()
    decide(application, officers, "registration")
    decide(application, officers, "health", "reject", reason="No ventilation")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    return application


@pytest.fixture
def rated(rejected, citizen):
    with time_machine.travel(RATED_ON, tick=False):
        ratings.rating_give(application_id=rejected.pk, actor=citizen, score=1, comment="Nobody answered the phone.")
    return rejected


def rate_badly(submit, officers, citizen, score: int = 1):
    """A new application of ``citizen`` rejected by health and rated ``score``: one case, health's."""
    application = submit()
    decide(application, officers, "health", "reject", reason="No ventilation")
    ratings.rating_give(application_id=application.pk, actor=citizen, score=score)
    return application


def assert_constant_queries(shown, *, submit, officers, citizen) -> None:
    """``shown()`` (how many cases a page shows, and its queries) with one badly rated
    application, then with three: the same number of queries."""
    rate_badly(submit, officers, citizen)
    one, one_queries = shown()
    rate_badly(submit, officers, citizen)
    rate_badly(submit, officers, citizen)
    three, three_queries = shown()
    assert (one, three) == (1, 3)
    assert len(three_queries) == len(one_queries), "\n".join(q["sql"] for q in three_queries.captured_queries)


def case_of(application, code) -> Rectification:
    return Rectification.objects.select_related("department").get(application=application, department__code=code)
