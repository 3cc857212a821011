"""Two supervisors deciding the same proposed correction of a permit at the same moment, on real
PostgreSQL: exactly one decision counts, and an approval issues exactly one new version."""

import pytest

from approvals.permit_flow import permit_reissue_approve, permit_reissue_propose, permit_reissue_reject, permit_render
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition
from departments.models import Department
from permits.models import Permit, PermitStatus, ReissueRequest, ReissueRequestStatus
from permits.tests.conftest import approve_all
from tests.factories import officer
from tests.test_concurrency import race_rounds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


@pytest.fixture
def waiting_requests(submit, officers):
    """Rendered permits, each with a correction proposed by the health supervisor."""
    requests = []
    for _ in range(ROUNDS):
        permit = approve_all(submit(), officers)
        assert permit_render(permit_id=permit.pk) == "rendered"
        requests.append(permit_reissue_propose(permit_id=permit.pk, actor=officers["health_supervisor"],
                                               corrections={"holder": "Li Lei"}, reason="Sold."))
    return requests


def attempt(outcomes, call):
    def run():
        try:
            outcomes.append(type(call()).__name__)
        except InvalidTransition:
            outcomes.append("refused")
    return run


def test_two_approvals_at_once_issue_exactly_one_new_version(waiting_requests, officers):
    colleague = officer(Department.objects.get(code="fire"), role="supervisor", email="second.fire@example.gov")
    outcomes = []
    rounds = [{lane: attempt(outcomes, lambda r=request, a=actor: permit_reissue_approve(request_id=r.pk, actor=a))
               for lane, actor in (("a", officers["fire_supervisor"]), ("b", colleague))}
              for request in waiting_requests]
    assert race_rounds(["a", "b"], rounds) == []
    assert sorted(outcomes) == ["Permit"] * ROUNDS + ["refused"] * ROUNDS
    for request in waiting_requests:
        request.refresh_from_db()
        versions = Permit.objects.filter(application_id=request.permit.application_id)
        assert sorted(versions.values_list("status", flat=True)) == [PermitStatus.SUPERSEDED, PermitStatus.VALID]
        assert (request.status, request.reissued.replaces_id) == (ReissueRequestStatus.APPROVED, request.permit_id)
    assert AuditEvent.objects.filter(action=Action.PERMIT_REISSUE_APPROVED).count() == ROUNDS
    assert AuditEvent.objects.filter(action=Action.PERMIT_ISSUED, details__has_key="replaces").count() == ROUNDS


def test_an_approval_and_a_rejection_at_once_decide_once(waiting_requests, officers):
    outcomes = []
    rounds = [{"a": attempt(outcomes, lambda r=request: permit_reissue_approve(request_id=r.pk,
                                                                               actor=officers["fire_supervisor"])),
               "b": attempt(outcomes, lambda r=request: permit_reissue_reject(request_id=r.pk,
                                                                              actor=officers["tax_supervisor"],
                                                                              reason="Not yet."))}
              for request in waiting_requests]
    assert race_rounds(["a", "b"], rounds) == []
    assert outcomes.count("refused") == ROUNDS
    for request in waiting_requests:
        request.refresh_from_db()
        new_versions = Permit.objects.filter(replaces_id=request.permit_id).count()
        assert (request.status, new_versions) in {(ReissueRequestStatus.APPROVED, 1), (ReissueRequestStatus.REJECTED, 0)}
    decided = AuditEvent.objects.filter(action__in=[Action.PERMIT_REISSUE_APPROVED, Action.PERMIT_REISSUE_REJECTED])
    assert decided.count() == ROUNDS
    assert ReissueRequest.objects.filter(status=ReissueRequestStatus.PENDING).count() == 0
