"""Fixtures of the permit tests: an application approved by every department, its permit
rendered and signed by the real renderer."""

import pytest
from django.core.cache import cache

from accounts.models import Role
from approvals import workflow
from approvals.permit_flow import permit_reissue_approve, permit_reissue_propose, permit_render
from permits.models import Permit
from tests.factories import DepartmentFactory, UserFactory, officer

# People who may not manage the tests' permit.
OUTSIDERS = ["officer", "other_supervisor", "citizen", "manager"]


def approve_all(application, officers):
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve",
                                   conditions=f"Condition of {review.department.code}.")
    return Permit.objects.get(application=application)


def stored_bytes(field_file) -> bytes:
    """A stored file's content, read through the storage, wherever it keeps files."""
    with field_file.open("rb") as handle:
        return handle.read()


def local_copy(permit, tmp_path) -> str:
    """The stored permit copied to a file, for the command-line tools that read one (poppler)."""
    path = tmp_path / f"{permit.number}.pdf"
    path.write_bytes(stored_bytes(permit.file))
    return str(path)


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


def reissued(permit, officers, corrections: dict, reason: str = "Corrected.") -> Permit:
    """The corrected permit issued in place of ``permit``: proposed by one supervisor, approved
    by another (four eyes), its file not produced yet."""
    request = permit_reissue_propose(permit_id=permit.pk, actor=officers["health_supervisor"],
                                     corrections=corrections, reason=reason)
    return permit_reissue_approve(request_id=request.pk, actor=officers["fire_supervisor"])


def outsider(who: str, officers, citizen):
    """One of OUTSIDERS: an officer (not a supervisor) of an approving department, a supervisor
    of a department that did not review it, the citizen, a manager."""
    if who == "officer":
        return officers["health"]
    if who == "other_supervisor":
        return officer(DepartmentFactory(code="parks"), role="supervisor")
    if who == "citizen":
        return citizen
    return UserFactory(email="manager@example.gov", role=Role.MANAGER)
