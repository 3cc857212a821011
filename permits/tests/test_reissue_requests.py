"""Four eyes on a re-issue: one supervisor proposes the corrected details, another (any other
person allowed to manage the permit) approves or rejects; the proposer never approves their
own. Every step is audited; nothing is issued before the approval."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role
from approvals.permit_flow import (
    permit_reissue_approve,
    permit_reissue_propose,
    permit_reissue_reject,
    permit_render,
    permit_revoke,
)
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from departments.models import Department
from permits.models import Permit, PermitStatus, ReissueRequest, ReissueRequestStatus
from tests.factories import UserFactory, officer

from .conftest import OUTSIDERS, approve_all, outsider

pytestmark = pytest.mark.django_db

REQUEST_ACTIONS = [Action.PERMIT_REISSUE_PROPOSED, Action.PERMIT_REISSUE_APPROVED, Action.PERMIT_REISSUE_REJECTED]


def snapshot(permit):
    """What a refused step must leave as it was."""
    permit.refresh_from_db()
    return (permit.status, Permit.objects.count(),
            sorted(ReissueRequest.objects.values_list("pk", "status", "decided_by_id")),
            AuditEvent.objects.exclude(action=Action.ACCESS_DENIED).count())


def events(*actions):
    return [(e.action, e.actor.email, e.object_type, e.details) for e in
            AuditEvent.objects.filter(action__in=actions, actor__isnull=False).select_related("actor").order_by("pk")]


def propose(permit, actor, corrections=None, reason="The holder's name was misspelt."):
    return permit_reissue_propose(permit_id=permit.pk, actor=actor, reason=reason,
                                  corrections=corrections or {"holder": "Li Lei"})


def test_one_supervisor_alone_cannot_put_another_holder_on_a_permit(client, issued_permit, officers):
    """The attack: one supervisor re-issues a signed permit to someone else. Now it is only a proposal."""
    client.force_login(officers["fire_supervisor"])
    response = client.post(reverse("permits:reissue", args=[issued_permit.number]), {
        "reissue-holder": "Li Lei", "reissue-business_name": "Golden Dragon",
        "reissue-site_address": "1 Harbour Road", "reissue-reason": "Sold to my cousin."})
    assert response.status_code == 302
    issued_permit.refresh_from_db()
    assert (issued_permit.status, Permit.objects.count()) == (PermitStatus.VALID, 1)
    request = ReissueRequest.objects.get()
    assert (request.status, request.corrections, request.proposed_by, request.reason) == (
        ReissueRequestStatus.PENDING, {"holder": "Li Lei"}, officers["fire_supervisor"], "Sold to my cousin.")


def test_the_proposer_cannot_approve_their_own_correction(issued_permit, officers):
    request = propose(issued_permit, officers["fire_supervisor"])
    before = snapshot(issued_permit)
    with pytest.raises(NotAllowed) as error:
        permit_reissue_approve(request_id=request.pk, actor=officers["fire_supervisor"])
    assert error.value.message == "You proposed this correction: another supervisor must approve it."
    assert snapshot(issued_permit) == before


def test_a_second_supervisor_approves_and_the_corrected_permit_is_issued(issued_permit, officers):
    proposer, approver = officers["health_supervisor"], officers["fire_supervisor"]
    request = propose(issued_permit, proposer, {"holder": "Li Lei", "business_name": "Golden Dragon"},
                      reason="  Sold   to Li Lei. ")
    assert request.corrections == {"holder": "Li Lei"}  # only what changes
    new = permit_reissue_approve(request_id=request.pk, actor=approver, ip="203.0.113.9")
    issued_permit.refresh_from_db()
    request.refresh_from_db()
    assert issued_permit.status == PermitStatus.SUPERSEDED
    assert (new.replaces, new.data["holder"], new.data["business_name"], new.reissue_reason) == (
        issued_permit, "Li Lei", "Golden Dragon", "Sold to Li Lei.")
    assert (request.status, request.decided_by, request.reissued) == (ReissueRequestStatus.APPROVED, approver, new)
    assert request.decided_at is not None
    number = issued_permit.number
    assert events(*REQUEST_ACTIONS, Action.PERMIT_SUPERSEDED, Action.PERMIT_ISSUED) == [
        (Action.PERMIT_REISSUE_PROPOSED, proposer.email, "permit",
         {"number": number, "request": request.pk, "corrected": "holder", "reason": "Sold to Li Lei."}),
        (Action.PERMIT_SUPERSEDED, approver.email, "permit", {"number": number, "by": new.number,
                                                              "reason": "Sold to Li Lei."}),
        (Action.PERMIT_ISSUED, approver.email, "permit", {"number": new.number, "replaces": number,
                                                          "corrected": "holder"}),
        (Action.PERMIT_REISSUE_APPROVED, approver.email, "permit",
         {"number": number, "request": request.pk, "by": new.number}),
    ]
    assert AuditEvent.objects.get(action=Action.PERMIT_REISSUE_APPROVED).ip == "203.0.113.9"
    with pytest.raises(InvalidTransition):
        permit_reissue_approve(request_id=request.pk, actor=officers["tax_supervisor"])
    assert Permit.objects.count() == 2


def test_a_second_supervisor_of_the_same_department_or_an_administrator_may_approve(issued_permit, officers):
    colleague = officer(Department.objects.get(code="health"), role="supervisor", email="second@example.gov")
    request = propose(issued_permit, officers["health_supervisor"])
    new = permit_reissue_approve(request_id=request.pk, actor=colleague)
    assert new.data["holder"] == "Li Lei"
    assert permit_render(permit_id=new.pk) == "rendered"
    admin = UserFactory(email="admin@example.gov", role=Role.ADMIN)
    request = propose(new, admin, {"business_name": "Golden Dragon Inn"})
    assert permit_reissue_approve(request_id=request.pk, actor=officers["tax_supervisor"]).data[
        "business_name"] == "Golden Dragon Inn"


def test_a_rejection_changes_nothing_and_is_on_record(issued_permit, officers):
    request = propose(issued_permit, officers["health_supervisor"])
    rejected = permit_reissue_reject(request_id=request.pk, actor=officers["tax_supervisor"],
                                     reason=" The sale is not registered yet. ")
    issued_permit.refresh_from_db()
    assert (issued_permit.status, Permit.objects.count()) == (PermitStatus.VALID, 1)
    assert (rejected.status, rejected.decided_by, rejected.decision_note, rejected.reissued) == (
        ReissueRequestStatus.REJECTED, officers["tax_supervisor"], "The sale is not registered yet.", None)
    assert events(Action.PERMIT_REISSUE_REJECTED) == [
        (Action.PERMIT_REISSUE_REJECTED, officers["tax_supervisor"].email, "permit",
         {"number": issued_permit.number, "request": request.pk, "reason": "The sale is not registered yet."})]
    with pytest.raises(InvalidTransition):
        permit_reissue_approve(request_id=request.pk, actor=officers["fire_supervisor"])
    # Decided, it no longer blocks a new proposal.
    assert propose(issued_permit, officers["health_supervisor"]).status == ReissueRequestStatus.PENDING


def test_the_proposer_may_withdraw_their_own_proposal(issued_permit, officers):
    request = propose(issued_permit, officers["health_supervisor"])
    withdrawn = permit_reissue_reject(request_id=request.pk, actor=officers["health_supervisor"], reason="Typo.")
    assert withdrawn.status == ReissueRequestStatus.REJECTED


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_rejection_needs_a_reason(reason, issued_permit, officers):
    request = propose(issued_permit, officers["health_supervisor"])
    before = snapshot(issued_permit)
    with pytest.raises(ValidationFailed) as error:
        permit_reissue_reject(request_id=request.pk, actor=officers["fire_supervisor"], reason=reason)
    assert list(error.value.errors) == ["reason"]
    assert snapshot(issued_permit) == before


def test_one_proposal_at_a_time(issued_permit, officers):
    propose(issued_permit, officers["health_supervisor"])
    before = snapshot(issued_permit)
    with pytest.raises(InvalidTransition) as error:
        propose(issued_permit, officers["fire_supervisor"], {"business_name": "Other"})
    assert error.value.message == ("A correction of this permit is already waiting for a second supervisor: "
                                   "approve or reject it first.")
    assert snapshot(issued_permit) == before


def test_a_proposal_must_correct_something_valid(issued_permit, submit, officers):
    supervisor = officers["tax_supervisor"]
    before = snapshot(issued_permit)
    with pytest.raises(ValidationFailed) as error:
        propose(issued_permit, supervisor, {"holder": "Wang Fang", "business_name": "Golden Dragon"})
    assert list(error.value.errors) == ["__all__"]
    with pytest.raises(ValidationFailed) as error:
        propose(issued_permit, supervisor, {"holder": "", "business_name": "B" * 201})
    assert sorted(error.value.errors) == ["business_name", "holder"]
    with pytest.raises(ValidationFailed) as error:
        propose(issued_permit, supervisor, reason=" ")
    assert list(error.value.errors) == ["reason"]
    assert snapshot(issued_permit) == before
    with pytest.raises(InvalidTransition):  # its file is not produced yet
        propose(approve_all(submit(), officers), supervisor)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nobody_else_may_propose_approve_or_reject(who, issued_permit, officers, citizen):
    actor = outsider(who, officers, citizen)
    request = propose(issued_permit, officers["health_supervisor"])
    before = snapshot(issued_permit)
    with pytest.raises(NotAllowed):
        propose(issued_permit, actor)
    with pytest.raises(NotAllowed):
        permit_reissue_approve(request_id=request.pk, actor=actor)
    with pytest.raises(NotAllowed):
        permit_reissue_reject(request_id=request.pk, actor=actor, reason="No.")
    assert snapshot(issued_permit) == before


def test_a_revocation_closes_the_waiting_proposal(issued_permit, officers):
    request = propose(issued_permit, officers["health_supervisor"])
    permit_revoke(permit_id=issued_permit.pk, actor=officers["fire_supervisor"], reason="Closed.")
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == (
        ReissueRequestStatus.REJECTED, officers["fire_supervisor"], "Closed.")
    assert events(Action.PERMIT_REISSUE_REJECTED)[0][3] == {
        "number": issued_permit.number, "request": request.pk, "reason": "Closed."}
    with pytest.raises(InvalidTransition):
        permit_reissue_approve(request_id=request.pk, actor=officers["tax_supervisor"])
    assert Permit.objects.count() == 1


def test_the_database_refuses_an_approval_by_the_proposer(issued_permit, officers):
    request = propose(issued_permit, officers["health_supervisor"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReissueRequest.objects.filter(pk=request.pk).update(
            status=ReissueRequestStatus.APPROVED, decided_by=officers["health_supervisor"], reissued=issued_permit)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReissueRequest.objects.create(permit=issued_permit, corrections={"holder": "X"}, reason="Twice.",
                                      proposed_by=officers["fire_supervisor"])
